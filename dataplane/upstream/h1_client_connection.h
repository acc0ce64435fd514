#pragma once
// H1ClientConnection: one HTTP/1.1 connection to a target (cleartext or TLS), parsed with
// http-parser. It is either idle in the worker's ConnectionPool or attached to exactly one
// request, for which it is the UpstreamStream.
#include <http_parser.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/http/headers.h"
#include "dataplane/net/lazy_timer.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"
#include "dataplane/upstream/upstream_peer.h"
#include "dataplane/upstream/upstream_stream.h"

namespace sluice {

class ConnectionPool;

class H1ClientConnection final : public UpstreamStream,
                                 public Deferrable,
                                 public StreamSocket::Callbacks {
 public:
  // `peer.host` is copied; `peer.tls` is used only while connecting.
  H1ClientConnection(Worker* worker, ConnectionPool* pool, const UpstreamPeer& peer);
  ~H1ClientConnection() override;

  // Starts connecting; handler events follow.
  void Connect(UpstreamHandler* handler, const UpstreamTimeouts& timeouts);
  // Takes an idle pooled connection for a new request.
  void Attach(UpstreamHandler* handler, const UpstreamTimeouts& timeouts);

  // UpstreamStream
  bool ready() const override { return connected_; }
  void SendHeaders(const UpstreamRequest& request, bool end_stream) override;
  void SendData(const char* data, size_t len, bool end_stream) override;
  size_t BufferedBytes() const override;
  void SetReadEnabled(bool enabled) override;
  void Release() override;
  void Abort() override;
  bool safe_to_retry() const override { return reused_; }
  std::string_view error_detail() const override { return error_detail_; }

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // The TLS settings the connection was made with (UpstreamTlsContext::id(); 0: cleartext).
  uint64_t tls_id() const { return tls_id_; }
  // Pool use: parks the connection and watches it for a close from the upstream.
  void StartIdle();
  void Close();

 private:
  // StreamSocket::Callbacks
  void OnReadable() override;
  void OnClosed(int error) override;
  void OnDrained() override;
  void OnConnected(int error) override;
  void OnTlsEstablished() override;

  static void OnTimer(void* arg);
  // One timer per connection: connect (TCP and TLS), then write (while the request goes out),
  // then read (between response bytes), then idle (in the pool).
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

  // The whole request is queued: from now on the read timeout runs.
  void RequestSent();
  void Ready();
  void Fail(UpstreamError error);
  void ParseInput();

  Worker* worker_;
  ConnectionPool* pool_;
  std::string host_;
  int port_;
  const UpstreamTlsContext* tls_;
  uint64_t tls_id_;
  std::unique_ptr<StreamSocket> sock_;
  std::unique_ptr<LazyTimer> timer_;
  TimerPhase timer_phase_ = TimerPhase::kNone;
  UpstreamHandler* handler_ = nullptr;
  UpstreamTimeouts timeouts_;
  http_parser parser_;
  http::HeaderMap headers_;
  http::HeaderCollector header_collector_;
  std::string error_detail_;
  bool chunked_request_ = false;
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
