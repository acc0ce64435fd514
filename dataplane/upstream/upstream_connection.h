#pragma once
// UpstreamConnection: one HTTP/1.1 connection to a target, parsed with http-parser. It is either
// idle in the worker's ConnectionPool or attached to exactly one request.
#include <http_parser.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/http/headers.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"

namespace sluice {

class ConnectionPool;

enum class UpstreamError {
  kConnectFailed,   // DNS failure, refused, unreachable
  kConnectTimeout,
  kReadTimeout,     // no bytes from the upstream within read_timeout
  kWriteTimeout,
  kReset,           // closed or reset before the response was complete
  kProtocol,        // not valid HTTP/1.1
};
const char* UpstreamErrorName(UpstreamError e);

// The request that owns an upstream connection receives its events through this interface.
class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  virtual void OnUpstreamConnected() = 0;
  virtual void OnUpstreamHeaders(int status, http::HeaderMap headers) = 0;
  virtual void OnUpstreamData(const char* data, size_t len) = 0;
  virtual void OnUpstreamComplete() = 0;
  // The connection is unusable; it is closed by the time this returns.
  virtual void OnUpstreamError(UpstreamError error) = 0;
  // The request bytes queued to the upstream dropped below the low watermark.
  virtual void OnUpstreamDrained() = 0;
};

struct UpstreamTimeouts {
  uint32_t connect_ms = 60000;
  uint32_t read_ms = 60000;
  uint32_t write_ms = 60000;
};

class UpstreamConnection : public Deferrable, public StreamSocket::Callbacks {
 public:
  UpstreamConnection(Worker* worker, ConnectionPool* pool, std::string key, std::string host,
                     int port);
  ~UpstreamConnection() override;

  // Starts connecting; handler events follow.
  void Connect(UpstreamHandler* handler, const UpstreamTimeouts& timeouts);
  // Takes an idle pooled connection for a new request.
  void Attach(UpstreamHandler* handler, const UpstreamTimeouts& timeouts);
  // The next response belongs to a HEAD request (no body, whatever the headers say).
  void ExpectHeadResponse(bool head) { head_request_ = head; }
  void Write(const void* data, size_t len);
  // The whole request is queued: from now on the read timeout runs.
  void RequestSent();
  bool connected() const { return connected_; }
  size_t BufferedBytes() const;
  // Stops or resumes reading the response (backpressure from a slow client).
  void SetReadEnabled(bool enabled);
  // The request is done with the connection: back to the pool when the response ended cleanly
  // and the connection may be kept alive, closed otherwise. The handler gets no more events.
  void Release();
  // Closes at once (request aborted).
  void Abort();

  bool reused() const { return reused_; }
  const std::string& key() const { return key_; }
  // Pool use: parks the connection and watches it for a close from the upstream.
  void StartIdle();
  void Close();

 private:
  // StreamSocket::Callbacks
  void OnReadable() override;
  void OnClosed(int error) override;
  void OnDrained() override;
  void OnConnected(int error) override;

  static void OnTimer(evutil_socket_t, short, void* arg);
  // One timer per connection: connect, then write (while the request goes out), then read
  // (between response bytes), then idle (in the pool).
  enum class TimerPhase { kNone, kConnect, kWrite, kRead, kIdle };
  void ArmTimer(TimerPhase phase);
  static const http_parser_settings& Settings();
  static int OnMessageBegin(http_parser* p);
  static int OnStatus(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);

  void Fail(UpstreamError error);
  void ParseInput();

  Worker* worker_;
  ConnectionPool* pool_;
  std::string key_;
  std::string host_;
  int port_;
  std::unique_ptr<StreamSocket> sock_;
  event* timer_ = nullptr;
  TimerPhase timer_phase_ = TimerPhase::kNone;
  UpstreamHandler* handler_ = nullptr;
  UpstreamTimeouts timeouts_;
  http_parser parser_;
  http::HeaderMap headers_;
  http::HeaderCollector header_collector_;
  bool head_request_ = false;
  bool connected_ = false;
  bool reused_ = false;
  bool request_sent_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool keep_alive_ = false;
  bool closed_ = false;
  bool interim_ = false;
};

}  // namespace sluice
