#pragma once
// H1ServerConnection: one client connection speaking HTTP/1.1 (parsed with http-parser), with
// keep-alive and pipelining. Requests are handled one at a time: parsing pauses after a request
// until its response is done, so a pipelined request never overtakes the one before it.
#include <http_parser.h>

#include <functional>
#include <memory>
#include <string>

#include "dataplane/http/codec.h"
#include "dataplane/http/h1_request_validator.h"
#include "dataplane/net/lazy_timer.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"

namespace sluice::http {

struct H1Limits {
  // Request line plus headers; beyond: 431 request_headers_too_large.
  size_t max_header_bytes = 60 * 1024;
  // Beyond: 431 too_many_headers.
  size_t max_headers = 100;
  // From the first byte of a request (or the connection's start) to the end of its headers;
  // beyond: 408 request_timeout (slowloris).
  uint32_t headers_timeout_ms = 10000;
  // Longest silence while a request body is being received; beyond: 408 request_timeout
  // (slow POST).
  uint32_t body_idle_timeout_ms = 30000;
  // An idle keep-alive connection is closed after this.
  uint32_t keepalive_timeout_ms = 75000;
  // RFC 9112 strictness (underscores in header names refused by default).
  H1Strictness strictness;
};

class H1ServerConnection : public ResponseEncoder,
                           public Deferrable,
                           public Drainable,
                           public StreamSocket::Callbacks {
 public:
  using StreamFactory = std::function<std::unique_ptr<StreamHandler>(ResponseEncoder*)>;

  // Takes over `sock` (plain or TLS), whose callbacks it replaces; bytes already in its input
  // (read while the protocol was being detected) are processed at once.
  H1ServerConnection(Worker* worker, std::unique_ptr<StreamSocket> sock, ConnectionInfo info,
                     StreamFactory factory, H1Limits limits);
  ~H1ServerConnection() override;

  // ResponseEncoder
  void EncodeHeaders(int status, const HeaderMap& headers, bool end_stream) override;
  void EncodeData(const char* data, size_t len, bool end_stream) override;
  void EncodeTrailers(const HeaderMap& trailers) override;
  size_t BufferedBytes() const override;
  void SetRequestReadEnabled(bool enabled) override;
  void SendContinue() override;
  void Reset() override;

  // Drainable
  void Drain() override;

 private:
  // StreamSocket::Callbacks
  void OnReadable() override;
  void OnClosed(int error) override;
  void OnDrained() override;

  static void OnResume(evutil_socket_t, short, void* arg);
  static void OnTimer(void* arg);
  static const http_parser_settings& Settings();
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);

  void ProcessInput();
  bool CountHeaderBytes(size_t len);
  bool CanDiscardRest() const;
  void FinishStream();
  // Answers a request the codec itself rejects (malformed, too large) and closes.
  void RejectAndClose(int status, std::string_view code, std::string_view message);
  void CloseNow(bool notify_stream);
  void CloseAfterFlush();
  void PauseParser();
  // One timer serves every phase of the connection; arming it again replaces the deadline.
  enum class TimerPhase { kNone, kIdle, kHeaders, kBody };
  void ArmTimer(TimerPhase phase);

  Worker* worker_;
  std::unique_ptr<StreamSocket> sock_;
  event* resume_ev_ = nullptr;
  std::unique_ptr<LazyTimer> timer_;
  TimerPhase timer_phase_ = TimerPhase::kNone;
  // Bytes of the current request seen (0: waiting for a new request).
  bool request_started_ = false;
  uint64_t requests_served_ = 0;
  ConnectionInfo info_;
  StreamFactory factory_;
  H1Limits limits_;

  H1RequestValidator validator_;
  http_parser parser_;
  RequestHead head_;
  HeaderCollector header_collector_;
  size_t header_bytes_ = 0;
  uint64_t body_bytes_ = 0;
  // Kept from the request head (which moves into the stream).
  int req_minor_ = 1;
  bool req_chunked_ = false;
  uint64_t req_content_length_ = 0;
  // Set by a callback that wants parsing to stop with an error response.
  int reject_status_ = 0;
  const char* reject_code_ = nullptr;
  std::string reject_message_;

  std::unique_ptr<StreamHandler> stream_;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool head_request_ = false;
  bool keep_alive_ = true;
  enum class Framing { kNone, kLength, kChunked, kClose } framing_ = Framing::kNone;
  // After a response that did not wait for the request body: the rest of that body is read and
  // dropped (small bodies only; the connection is closed otherwise).
  bool discarding_body_ = false;
  bool paused_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool read_enabled_ = true;
};

}  // namespace sluice::http
