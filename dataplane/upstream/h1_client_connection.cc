#include "dataplane/upstream/h1_client_connection.h"

#include <event2/buffer.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/upstream_tls.h"

namespace sluice {

namespace {

void AppendDecimal(std::string* out, uint64_t n) {
  char buf[24];
  int len = snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  out->append(buf, static_cast<size_t>(len));
}

}  // namespace

H1ClientConnection::H1ClientConnection(Worker* worker, ConnectionPool* pool,
                                       const UpstreamPeer& peer)
    : worker_(worker),
      pool_(pool),
      host_(peer.host),
      port_(peer.port),
      tls_(peer.tls),
      tls_id_(peer.tls == nullptr ? 0 : peer.tls->id()) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  timer_ = std::make_unique<LazyTimer>(worker_->base(), &OnTimer, this);
}

H1ClientConnection::~H1ClientConnection() {
  Close();
}

void H1ClientConnection::ArmTimer(TimerPhase phase) {
  timer_phase_ = phase;
  switch (phase) {
    case TimerPhase::kNone: timer_->Disarm(); return;
    case TimerPhase::kConnect: timer_->Arm(timeouts_.connect_ms); return;
    case TimerPhase::kWrite: timer_->Arm(timeouts_.write_ms); return;
    case TimerPhase::kRead: timer_->Arm(timeouts_.read_ms); return;
    case TimerPhase::kIdle: timer_->Arm(ConnectionPool::kIdleTimeoutMs); return;
  }
}

void H1ClientConnection::OnTimer(void* arg) {
  auto* self = static_cast<H1ClientConnection*>(arg);
  if (self->closed_) return;
  switch (self->timer_phase_) {
    case TimerPhase::kNone:
      return;
    case TimerPhase::kIdle:
      self->Close();
      self->pool_->Forget(self);
      return;
    case TimerPhase::kConnect: self->Fail(UpstreamError::kConnectTimeout); return;
    case TimerPhase::kWrite: self->Fail(UpstreamError::kWriteTimeout); return;
    case TimerPhase::kRead: self->Fail(UpstreamError::kReadTimeout); return;
  }
}

void H1ClientConnection::Connect(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  ArmTimer(TimerPhase::kConnect);
  sock_ = std::make_unique<StreamSocket>(worker_, host_, port_, this);
}

void H1ClientConnection::OnConnected(int error) {
  if (error != 0) {
    if (error > 0) LOG_DEBUG("upstream ", host_, ":", port_, ": connect failed: ", strerror(error));
    Fail(UpstreamError::kConnectFailed);
    return;
  }
  if (tls_ != nullptr) {
    // The connect timer keeps running through the handshake.
    SSL* ssl = tls_->NewSsl(host_, UpstreamProtocol::kHttp1);
    tls_ = nullptr;  // the snapshot that owns it may go away while the connection lives on
    if (ssl == nullptr) {
      error_detail_ = "cannot create a TLS session";
      Fail(UpstreamError::kTls);
      return;
    }
    sock_->StartTls(ssl);
    return;
  }
  Ready();
}

void H1ClientConnection::OnTlsEstablished() { Ready(); }

void H1ClientConnection::Ready() {
  connected_ = true;
  // The request may already be queued; a write timeout covers its sending.
  ArmTimer(TimerPhase::kWrite);
  if (handler_ != nullptr) handler_->OnUpstreamConnected();
}

void H1ClientConnection::Attach(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  reused_ = true;
  ArmTimer(TimerPhase::kWrite);
}

void H1ClientConnection::SendHeaders(const UpstreamRequest& request, bool end_stream) {
  // One reused buffer per thread: the head costs no allocation once the buffer has grown.
  thread_local std::string out;
  out.clear();
  out.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\nHost: ");
  out.append(request.authority).append("\r\n");
  for (const http::Header& h : request.headers.all()) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  chunked_request_ = request.body == UpstreamRequest::Body::kUnknown;
  if (chunked_request_) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (request.body == UpstreamRequest::Body::kLength) {
    out.append("Content-Length: ");
    AppendDecimal(&out, request.content_length);
    out.append("\r\n");
  }
  out.append("\r\n");
  if (end_stream && chunked_request_) out.append("0\r\n\r\n");
  head_request_ = request.method == "HEAD";
  if (sock_ != nullptr) sock_->Write(out.data(), out.size());
  if (end_stream) RequestSent();
}

void H1ClientConnection::SendData(const char* data, size_t len, bool end_stream) {
  if (sock_ != nullptr && len > 0) {
    if (chunked_request_) {
      char size_line[32];
      int n = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
      sock_->Write(size_line, static_cast<size_t>(n));
      sock_->Write(data, len);
      sock_->Write("\r\n", 2);
    } else {
      sock_->Write(data, len);
    }
  }
  if (end_stream) {
    if (chunked_request_ && sock_ != nullptr) sock_->Write("0\r\n\r\n", 5);
    RequestSent();
  }
}

void H1ClientConnection::RequestSent() {
  // From here on the upstream owes us bytes; a slow client upload never counted against it.
  if (timer_phase_ == TimerPhase::kWrite) ArmTimer(TimerPhase::kRead);
  request_sent_ = true;
}

size_t H1ClientConnection::BufferedBytes() const {
  return sock_ == nullptr ? 0 : sock_->BufferedOutput();
}

void H1ClientConnection::SetReadEnabled(bool enabled) {
  if (sock_ == nullptr || closed_) return;
  sock_->SetReadEnabled(enabled);
  if (enabled) {
    // The read timeout pauses while the client is the slow side.
    if (timer_phase_ == TimerPhase::kNone && request_sent_ && !response_complete_) {
      ArmTimer(TimerPhase::kRead);
    }
    // Bytes that arrived while reading was off are still in the input buffer.
    if (evbuffer_get_length(sock_->input()) > 0) ParseInput();
  } else if (timer_phase_ == TimerPhase::kRead) {
    ArmTimer(TimerPhase::kNone);
  }
}

void H1ClientConnection::Release() {
  handler_ = nullptr;
  // Bytes after the response are checked once the parse loop has drained what it parsed (see
  // ParseInput): the response's own bytes may still be in the input buffer here.
  bool reusable = !closed_ && response_complete_ && request_sent_ && keep_alive_ &&
                  sock_ != nullptr && sock_->BufferedOutput() == 0;
  if (reusable) {
    pool_->Park(this);
  } else {
    Close();
    worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  }
}

void H1ClientConnection::Abort() {
  handler_ = nullptr;
  Close();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

void H1ClientConnection::StartIdle() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  headers_.clear();
  header_collector_.Reset();
  chunked_request_ = false;
  head_request_ = false;
  response_started_ = false;
  response_complete_ = false;
  request_sent_ = false;
  keep_alive_ = false;
  ArmTimer(TimerPhase::kIdle);
  sock_->SetReadEnabled(true);
}

void H1ClientConnection::Close() {
  closed_ = true;
  timer_->Cancel();
  timer_phase_ = TimerPhase::kNone;
  if (sock_ != nullptr) sock_->Close();
}

void H1ClientConnection::Fail(UpstreamError error) {
  UpstreamHandler* h = handler_;
  handler_ = nullptr;
  Close();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  if (h != nullptr) h->OnUpstreamError(error);
}

void H1ClientConnection::OnDrained() {
  if (timer_phase_ == TimerPhase::kWrite) ArmTimer(TimerPhase::kWrite);  // progress: restart
  if (handler_ != nullptr) handler_->OnUpstreamDrained();
}

void H1ClientConnection::OnClosed(int error) {
  if (closed_) return;
  if (handler_ == nullptr) {
    // Idle in the pool: the upstream closed it.
    Close();
    pool_->Forget(this);
    return;
  }
  if (sock_->tls() && error == EPROTO) {
    // A failed handshake or verification, or an alert after it (TLS 1.3 servers check the
    // client certificate once the client thinks the handshake is over).
    error_detail_ = sock_->tls_error();
    Fail(UpstreamError::kTls);
    return;
  }
  if (!connected_) {
    Fail(UpstreamError::kConnectFailed);  // closed during the TLS handshake
    return;
  }
  if (error == 0 && response_started_ && !response_complete_) {
    // A body delimited by the close of the connection ends here.
    http_parser_execute(&parser_, &Settings(), nullptr, 0);
    if (response_complete_ || handler_ == nullptr) return;
  }
  Fail(UpstreamError::kReset);
}

void H1ClientConnection::OnReadable() {
  if (handler_ == nullptr) {
    // Bytes on an idle connection: the upstream broke the protocol; do not reuse it.
    Close();
    pool_->Forget(this);
    return;
  }
  if (timer_phase_ == TimerPhase::kRead) ArmTimer(TimerPhase::kRead);
  ParseInput();
}

void H1ClientConnection::ParseInput() {
  evbuffer* in = sock_->input();
  while (handler_ != nullptr && !response_complete_ && !closed_ && sock_->read_enabled()) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1 || vec.iov_len == 0) break;
    size_t n = http_parser_execute(&parser_, &Settings(), static_cast<const char*>(vec.iov_base),
                                   vec.iov_len);
    if (closed_) return;  // the handler aborted
    evbuffer_drain(in, n);
    if (handler_ == nullptr) {
      // The response ended and the connection went back to the pool. Anything after the
      // response is a protocol violation: such a connection must not be reused.
      if (evbuffer_get_length(in) > 0) {
        Close();
        pool_->Forget(this);
      }
      return;
    }
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      if (!response_complete_) http_parser_pause(&parser_, 0);
      break;
    }
    if (err != HPE_OK) {
      LOG_WARN("upstream ", host_, ":", port_, ": invalid HTTP response: ", http_errno_name(err));
      error_detail_ = http_errno_name(err);
      Fail(UpstreamError::kProtocol);
      return;
    }
  }
}

int H1ClientConnection::OnMessageBegin(http_parser* p) {
  auto* self = static_cast<H1ClientConnection*>(p->data);
  self->response_started_ = true;
  return 0;
}

int H1ClientConnection::OnStatus(http_parser*, const char*, size_t) { return 0; }

int H1ClientConnection::OnHeaderField(http_parser* p, const char* at, size_t len) {
  static_cast<H1ClientConnection*>(p->data)->header_collector_.OnName(at, len);
  return 0;
}

int H1ClientConnection::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ClientConnection*>(p->data);
  self->header_collector_.OnValue(&self->headers_, at, len);
  return 0;
}

int H1ClientConnection::OnHeadersComplete(http_parser* p) {
  auto* self = static_cast<H1ClientConnection*>(p->data);
  int status = p->status_code;
  if (status >= 100 && status < 200 && status != 101) {
    // An interim response (100 Continue, 103 Early Hints): skip it and read the final one. It
    // has no body, whatever a Content-Length on it says (RFC 9110 §15.2): 1 makes http-parser
    // read the next bytes as the next response.
    self->headers_.clear();
    self->header_collector_.Reset();
    self->interim_ = true;
    return 1;
  }
  // 101: the proxy never asks an upstream to switch protocols (Upgrade is hop-by-hop and not
  // forwarded), so a 101 is a broken response (502), not one to relay.
  if (status < 200 || status > 599) return -1;  // not a three-digit final status: 502
  // http-parser (built non-strict) frames the body by a "Content-Length " with a space before the
  // colon, while such a name would pass through us unrecognised: a response whose field names
  // are not tokens is refused as a whole (502) rather than forwarded with two framings. Control
  // characters in a value are refused too: HTTP/2 clients would take the response as malformed
  // (found by fuzz_h2_server).
  for (http::Header& h : self->headers_.mutable_all()) {
    http::TrimTrailingWhitespace(&h.value);
    if (!http::IsToken(h.name) || !http::IsFieldValue(h.value)) return -1;
  }
  self->keep_alive_ = http_should_keep_alive(p) != 0;
  self->header_collector_.Reset();
  if (self->handler_ != nullptr) self->handler_->OnUpstreamHeaders(status, std::move(self->headers_), false);
  self->headers_.clear();
  // 1 tells http-parser that this response has no body, whatever its Content-Length says
  // (RFC 9110 §6.4.1: responses to HEAD, 204 and 304 never have one).
  return (self->head_request_ || status == 204 || status == 304) ? 1 : 0;
}

int H1ClientConnection::OnBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ClientConnection*>(p->data);
  if (self->handler_ != nullptr && !self->interim_) self->handler_->OnUpstreamData(at, len);
  return 0;
}

int H1ClientConnection::OnMessageComplete(http_parser* p) {
  auto* self = static_cast<H1ClientConnection*>(p->data);
  if (self->interim_) {
    self->interim_ = false;
    self->response_started_ = false;
    return 0;
  }
  self->response_complete_ = true;
  self->ArmTimer(TimerPhase::kNone);
  self->keep_alive_ = self->keep_alive_ && http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  if (self->headers_.size() > 0) {
    // Chunked trailers. Names that are not tokens would be refused downstream: drop them all.
    bool valid = true;
    for (http::Header& h : self->headers_.mutable_all()) {
      http::TrimTrailingWhitespace(&h.value);
      valid = valid && http::IsToken(h.name) && http::IsFieldValue(h.value);
    }
    if (valid && self->handler_ != nullptr) {
      self->handler_->OnUpstreamTrailers(std::move(self->headers_));
    }
    self->headers_.clear();
  }
  if (self->handler_ != nullptr) self->handler_->OnUpstreamComplete();
  return 0;
}

const http_parser_settings& H1ClientConnection::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &OnMessageBegin;
    s.on_status = &OnStatus;
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_headers_complete = &OnHeadersComplete;
    s.on_body = &OnBody;
    s.on_message_complete = &OnMessageComplete;
    return s;
  }();
  return settings;
}

}  // namespace sluice
