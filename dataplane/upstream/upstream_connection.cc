#include "dataplane/upstream/upstream_connection.h"

#include <event2/buffer.h>

#include <cstring>

#include "common/log.h"
#include "dataplane/upstream/connection_pool.h"

namespace sluice {

const char* UpstreamErrorName(UpstreamError e) {
  switch (e) {
    case UpstreamError::kConnectFailed: return "connect_failed";
    case UpstreamError::kConnectTimeout: return "connect_timeout";
    case UpstreamError::kReadTimeout: return "read_timeout";
    case UpstreamError::kWriteTimeout: return "write_timeout";
    case UpstreamError::kReset: return "reset";
    case UpstreamError::kProtocol: return "protocol_error";
  }
  return "unknown";
}

UpstreamConnection::UpstreamConnection(Worker* worker, ConnectionPool* pool, std::string key,
                                       std::string host, int port)
    : worker_(worker), pool_(pool), key_(std::move(key)), host_(std::move(host)), port_(port) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  timer_ = evtimer_new(worker_->base(), &OnTimer, this);
}

UpstreamConnection::~UpstreamConnection() {
  Close();
  if (timer_ != nullptr) event_free(timer_);
}

void UpstreamConnection::ArmTimer(TimerPhase phase) {
  timer_phase_ = phase;
  uint32_t ms = 0;
  switch (phase) {
    case TimerPhase::kNone:
      evtimer_del(timer_);
      return;
    case TimerPhase::kConnect: ms = timeouts_.connect_ms; break;
    case TimerPhase::kWrite: ms = timeouts_.write_ms; break;
    case TimerPhase::kRead: ms = timeouts_.read_ms; break;
    case TimerPhase::kIdle: ms = ConnectionPool::kIdleTimeoutMs; break;
  }
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(timer_, &tv);
}

void UpstreamConnection::OnTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
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

void UpstreamConnection::Connect(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  ArmTimer(TimerPhase::kConnect);
  sock_ = std::make_unique<StreamSocket>(worker_, host_, port_, this);
}

void UpstreamConnection::OnConnected(int error) {
  if (error != 0) {
    if (error > 0) LOG_DEBUG("upstream ", key_, ": connect failed: ", strerror(error));
    Fail(UpstreamError::kConnectFailed);
    return;
  }
  connected_ = true;
  // The request may already be queued; a write timeout covers its sending.
  ArmTimer(TimerPhase::kWrite);
  if (handler_ != nullptr) handler_->OnUpstreamConnected();
}

void UpstreamConnection::Attach(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  reused_ = true;
  ArmTimer(TimerPhase::kWrite);
}

void UpstreamConnection::RequestSent() {
  // From here on the upstream owes us bytes; a slow client upload never counted against it.
  if (timer_phase_ == TimerPhase::kWrite) ArmTimer(TimerPhase::kRead);
  request_sent_ = true;
}

void UpstreamConnection::Write(const void* data, size_t len) {
  if (sock_ != nullptr) sock_->Write(data, len);
}

size_t UpstreamConnection::BufferedBytes() const {
  return sock_ == nullptr ? 0 : sock_->BufferedOutput();
}

void UpstreamConnection::SetReadEnabled(bool enabled) {
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

void UpstreamConnection::Release() {
  handler_ = nullptr;
  // Bytes after the response are checked once the parse loop has drained what it parsed (see
  // ParseInput): the response's own bytes may still be in the input buffer here.
  bool reusable = !closed_ && response_complete_ && keep_alive_ && sock_ != nullptr &&
                  sock_->BufferedOutput() == 0;
  if (reusable) {
    pool_->Park(this);
  } else {
    Close();
    worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  }
}

void UpstreamConnection::Abort() {
  handler_ = nullptr;
  Close();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

void UpstreamConnection::StartIdle() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  headers_.clear();
  header_collector_.Reset();
  head_request_ = false;
  response_started_ = false;
  response_complete_ = false;
  request_sent_ = false;
  keep_alive_ = false;
  ArmTimer(TimerPhase::kIdle);
  sock_->SetReadEnabled(true);
}

void UpstreamConnection::Close() {
  closed_ = true;
  if (timer_ != nullptr) evtimer_del(timer_);
  timer_phase_ = TimerPhase::kNone;
  if (sock_ != nullptr) sock_->Close();
}

void UpstreamConnection::Fail(UpstreamError error) {
  UpstreamHandler* h = handler_;
  handler_ = nullptr;
  Close();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  if (h != nullptr) h->OnUpstreamError(error);
}

void UpstreamConnection::OnDrained() {
  if (timer_phase_ == TimerPhase::kWrite) ArmTimer(TimerPhase::kWrite);  // progress: restart
  if (handler_ != nullptr) handler_->OnUpstreamDrained();
}

void UpstreamConnection::OnClosed(int error) {
  if (closed_) return;
  if (handler_ == nullptr) {
    // Idle in the pool: the upstream closed it.
    Close();
    pool_->Forget(this);
    return;
  }
  if (error == 0 && response_started_ && !response_complete_) {
    // A body delimited by the close of the connection ends here.
    http_parser_execute(&parser_, &Settings(), nullptr, 0);
    if (response_complete_ || handler_ == nullptr) return;
  }
  Fail(UpstreamError::kReset);
}

void UpstreamConnection::OnReadable() {
  if (handler_ == nullptr) {
    // Bytes on an idle connection: the upstream broke the protocol; do not reuse it.
    Close();
    pool_->Forget(this);
    return;
  }
  if (timer_phase_ == TimerPhase::kRead) ArmTimer(TimerPhase::kRead);
  ParseInput();
}

void UpstreamConnection::ParseInput() {
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
      LOG_WARN("upstream ", key_, ": invalid HTTP response: ", http_errno_name(err));
      Fail(UpstreamError::kProtocol);
      return;
    }
  }
}

int UpstreamConnection::OnMessageBegin(http_parser* p) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  self->response_started_ = true;
  return 0;
}

int UpstreamConnection::OnStatus(http_parser*, const char*, size_t) { return 0; }

int UpstreamConnection::OnHeaderField(http_parser* p, const char* at, size_t len) {
  static_cast<UpstreamConnection*>(p->data)->header_collector_.OnName(at, len);
  return 0;
}

int UpstreamConnection::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  self->header_collector_.OnValue(&self->headers_, at, len);
  return 0;
}

int UpstreamConnection::OnHeadersComplete(http_parser* p) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  int status = p->status_code;
  if (status >= 100 && status < 200 && status != 101) {
    // An interim response (100 Continue, 103 Early Hints): skip it and read the final one.
    self->headers_.clear();
    self->header_collector_.Reset();
    self->interim_ = true;
    return 0;
  }
  if (status < 100 || status > 599) return -1;  // not a three-digit status: 502
  // http-parser (built non-strict) frames the body by a "Content-Length " with a space before the
  // colon, while such a name would pass through us unrecognised: a response whose field names
  // are not tokens is refused as a whole (502) rather than forwarded with two framings.
  for (const http::Header& h : self->headers_.all()) {
    if (!http::IsToken(h.name)) return -1;
  }
  self->keep_alive_ = http_should_keep_alive(p) != 0;
  if (self->handler_ != nullptr) self->handler_->OnUpstreamHeaders(status, std::move(self->headers_));
  self->headers_.clear();
  // 1 tells http-parser that this response has no body, whatever its Content-Length says
  // (RFC 9110 §6.4.1: responses to HEAD, 204 and 304 never have one).
  return (self->head_request_ || status == 204 || status == 304) ? 1 : 0;
}

int UpstreamConnection::OnBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  if (self->handler_ != nullptr) self->handler_->OnUpstreamData(at, len);
  return 0;
}

int UpstreamConnection::OnMessageComplete(http_parser* p) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  if (self->interim_) {
    self->interim_ = false;
    self->response_started_ = false;
    return 0;
  }
  self->response_complete_ = true;
  self->ArmTimer(TimerPhase::kNone);
  self->keep_alive_ = self->keep_alive_ && http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  if (self->handler_ != nullptr) self->handler_->OnUpstreamComplete();
  return 0;
}

const http_parser_settings& UpstreamConnection::Settings() {
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
