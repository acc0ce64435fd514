#include "dataplane/upstream/upstream_connection.h"

#include <event2/buffer.h>
#include <event2/dns.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/log.h"
#include "dataplane/upstream/connection_pool.h"

namespace sluice {

namespace {
// Request bytes queued towards the upstream beyond which the client is no longer read
// (backpressure); reading resumes once the queue drains below this.
constexpr size_t kWriteLowWatermark = 64 * 1024;

timeval Millis(uint32_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}
}  // namespace

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
}

UpstreamConnection::~UpstreamConnection() { Close(); }

void UpstreamConnection::Connect(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  bev_ = bufferevent_socket_new(worker_->base(), -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev_, &OnRead, &OnWrite, &OnEvent, this);
  bufferevent_setwatermark(bev_, EV_WRITE, kWriteLowWatermark, 0);
  connect_timer_ = evtimer_new(worker_->base(), &OnConnectTimeout, this);
  timeval tv = Millis(timeouts_.connect_ms);
  evtimer_add(connect_timer_, &tv);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  if (bufferevent_socket_connect_hostname(bev_, worker_->dns(), AF_UNSPEC, host_.c_str(), port_) !=
      0) {
    // Reported from the loop, never from inside Connect(): callers are not ready for re-entry.
    connect_failed_now_ = true;
    timeval zero{0, 0};
    evtimer_add(connect_timer_, &zero);
  }
}

void UpstreamConnection::Attach(UpstreamHandler* handler, const UpstreamTimeouts& timeouts) {
  handler_ = handler;
  timeouts_ = timeouts;
  reused_ = true;
  ApplyTimeouts();
}

void UpstreamConnection::ApplyTimeouts() {
  // The read timeout runs only once the whole request is sent (see RequestSent()): a slow client
  // upload must not look like a slow upstream.
  timeval wt = Millis(timeouts_.write_ms);
  bufferevent_set_timeouts(bev_, nullptr, &wt);
}

void UpstreamConnection::RequestSent() {
  timeval rt = Millis(timeouts_.read_ms);
  timeval wt = Millis(timeouts_.write_ms);
  bufferevent_set_timeouts(bev_, &rt, &wt);
}

void UpstreamConnection::Write(const void* data, size_t len) {
  if (bev_ != nullptr) bufferevent_write(bev_, data, len);
}

size_t UpstreamConnection::BufferedBytes() const {
  return bev_ == nullptr ? 0 : evbuffer_get_length(bufferevent_get_output(bev_));
}

void UpstreamConnection::SetReadEnabled(bool enabled) {
  if (bev_ == nullptr) return;
  if (enabled) {
    bufferevent_enable(bev_, EV_READ);
    // Bytes that arrived while reading was off are still in the input buffer.
    if (evbuffer_get_length(bufferevent_get_input(bev_)) > 0) OnRead(bev_, this);
  } else {
    bufferevent_disable(bev_, EV_READ);
  }
}

void UpstreamConnection::Release() {
  handler_ = nullptr;
  // Bytes after the response are checked once the read loop has drained what it parsed (see
  // OnRead): the response's own bytes may still be in the input buffer here.
  bool reusable = !closed_ && response_complete_ && keep_alive_ &&
                  evbuffer_get_length(bufferevent_get_output(bev_)) == 0;
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
  header_field_.clear();
  in_header_value_ = false;
  head_request_ = false;
  response_started_ = false;
  response_complete_ = false;
  keep_alive_ = false;
  timeval idle = Millis(ConnectionPool::kIdleTimeoutMs);
  bufferevent_set_timeouts(bev_, &idle, nullptr);
  bufferevent_enable(bev_, EV_READ);
}

void UpstreamConnection::Close() {
  closed_ = true;
  if (connect_timer_ != nullptr) {
    event_free(connect_timer_);
    connect_timer_ = nullptr;
  }
  if (bev_ != nullptr) {
    bufferevent_free(bev_);
    bev_ = nullptr;
  }
}

void UpstreamConnection::Fail(UpstreamError error) {
  UpstreamHandler* h = handler_;
  handler_ = nullptr;
  Close();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  if (h != nullptr) h->OnUpstreamError(error);
}

void UpstreamConnection::OnConnectTimeout(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  self->Fail(self->connect_failed_now_ ? UpstreamError::kConnectFailed
                                       : UpstreamError::kConnectTimeout);
}

void UpstreamConnection::OnEvent(bufferevent* bev, short what, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (what & BEV_EVENT_CONNECTED) {
    self->connected_ = true;
    if (self->connect_timer_ != nullptr) {
      event_free(self->connect_timer_);
      self->connect_timer_ = nullptr;
    }
    int one = 1;
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    self->ApplyTimeouts();
    if (self->handler_ != nullptr) self->handler_->OnUpstreamConnected();
    return;
  }
  if (self->handler_ == nullptr) {
    // Idle in the pool: the upstream closed it or it sat unused too long.
    self->Close();
    self->pool_->Forget(self);
    return;
  }
  if (!self->connected_) {
    if (what & BEV_EVENT_ERROR) {
      int dns_err = bufferevent_socket_get_dns_error(bev);
      if (dns_err != 0) {
        LOG_WARN("upstream ", self->key_, ": cannot resolve: ", evutil_gai_strerror(dns_err));
      }
    }
    self->Fail(UpstreamError::kConnectFailed);
    return;
  }
  if (what & BEV_EVENT_TIMEOUT) {
    self->Fail((what & BEV_EVENT_READING) ? UpstreamError::kReadTimeout
                                          : UpstreamError::kWriteTimeout);
    return;
  }
  if (what & BEV_EVENT_EOF) {
    // A body delimited by the close of the connection ends here.
    if (self->response_started_ && !self->response_complete_) {
      http_parser_execute(&self->parser_, &Settings(), nullptr, 0);
      if (self->response_complete_ || self->handler_ == nullptr) return;
    }
  }
  self->Fail(UpstreamError::kReset);
}

void UpstreamConnection::OnWrite(bufferevent*, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (self->handler_ != nullptr) self->handler_->OnUpstreamDrained();
}

void UpstreamConnection::OnRead(bufferevent* bev, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  evbuffer* in = bufferevent_get_input(bev);
  if (self->handler_ == nullptr) {
    // Bytes on an idle connection: the upstream broke the protocol; do not reuse it.
    self->Close();
    self->pool_->Forget(self);
    return;
  }
  while (self->handler_ != nullptr && !self->response_complete_ && !self->closed_) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1 || vec.iov_len == 0) break;
    size_t n = http_parser_execute(&self->parser_, &Settings(),
                                   static_cast<const char*>(vec.iov_base), vec.iov_len);
    if (self->closed_) return;  // the handler aborted; the buffer is gone
    evbuffer_drain(in, n);
    if (self->handler_ == nullptr) {
      // The response ended and the connection went back to the pool. Anything after the
      // response is a protocol violation: such a connection must not be reused.
      if (evbuffer_get_length(in) > 0) {
        self->Close();
        self->pool_->Forget(self);
      }
      return;
    }
    http_errno err = HTTP_PARSER_ERRNO(&self->parser_);
    if (err == HPE_PAUSED) {
      // Paused by OnMessageComplete (response done) or by the handler for backpressure.
      if (!self->response_complete_) http_parser_pause(&self->parser_, 0);
      break;
    }
    if (err != HPE_OK) {
      LOG_WARN("upstream ", self->key_, ": invalid HTTP response: ", http_errno_name(err));
      self->Fail(UpstreamError::kProtocol);
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
  auto* self = static_cast<UpstreamConnection*>(p->data);
  if (self->in_header_value_) {
    self->in_header_value_ = false;
    self->header_field_.clear();
  }
  self->header_field_.append(at, len);
  return 0;
}

int UpstreamConnection::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  if (!self->in_header_value_) {
    self->in_header_value_ = true;
    self->headers_.Add(self->header_field_, std::string());
  }
  self->headers_.mutable_all().back().value.append(at, len);
  return 0;
}

int UpstreamConnection::OnHeadersComplete(http_parser* p) {
  auto* self = static_cast<UpstreamConnection*>(p->data);
  int status = p->status_code;
  if (status >= 100 && status < 200 && status != 101) {
    // An interim response (100 Continue, 103 Early Hints): skip it and read the final one.
    self->headers_.clear();
    self->header_field_.clear();
    self->in_header_value_ = false;
    self->interim_ = true;
    return 0;
  }
  self->keep_alive_ = http_should_keep_alive(p) != 0;
  if (self->handler_ != nullptr) self->handler_->OnUpstreamHeaders(status, std::move(self->headers_));
  self->headers_.clear();
  // 1 tells http-parser that this response has no body.
  return self->head_request_ ? 1 : 0;
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
