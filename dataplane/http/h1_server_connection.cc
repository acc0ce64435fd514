#include "dataplane/http/h1_server_connection.h"

#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <climits>
#include <cstdio>
#include <cstring>

#include "common/json.h"
#include "common/log.h"

namespace sluice::http {

namespace {
// Pipelined input buffered while a request is in progress before reading stops.
constexpr size_t kMaxPipelinedInput = 64 * 1024;
// A response that went out before its request body was read keeps the connection only if at
// most this much body is left to read and drop.
constexpr uint64_t kMaxDiscardBody = 64 * 1024;

// Holds a finished stream until the loop unwinds: its destructor may run from inside its own
// callbacks otherwise.
class DeferredStream final : public Deferrable {
 public:
  explicit DeferredStream(std::unique_ptr<StreamHandler> s) : s_(std::move(s)) {}

 private:
  std::unique_ptr<StreamHandler> s_;
};

const char* Reason(int status) {
  const char* r = http_status_str(static_cast<http_status>(status));
  return (r == nullptr || r[0] == '<') ? "Unknown" : r;
}
}  // namespace

H1ServerConnection::H1ServerConnection(Worker* worker, std::unique_ptr<StreamSocket> sock,
                                       ConnectionInfo info, StreamFactory factory, H1Limits limits)
    : worker_(worker),
      sock_(std::move(sock)),
      info_(std::move(info)),
      factory_(std::move(factory)),
      limits_(limits),
      validator_(limits.strictness) {
  sock_->set_callbacks(this);
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  resume_ev_ = event_new(worker_->base(), -1, 0, &OnResume, this);
  timer_ = std::make_unique<LazyTimer>(worker_->base(), &OnTimer, this);
  worker_->AddConnection(this);
  // A new connection must send its first request head as fast as any later one.
  ArmTimer(TimerPhase::kHeaders);
  if (evbuffer_get_length(sock_->input()) > 0) event_active(resume_ev_, 0, 0);
}

void H1ServerConnection::ArmTimer(TimerPhase phase) {
  timer_phase_ = phase;
  switch (phase) {
    case TimerPhase::kNone: timer_->Disarm(); return;
    case TimerPhase::kIdle: timer_->Arm(limits_.keepalive_timeout_ms); return;
    case TimerPhase::kHeaders: timer_->Arm(limits_.headers_timeout_ms); return;
    case TimerPhase::kBody: timer_->Arm(limits_.body_idle_timeout_ms); return;
  }
}

void H1ServerConnection::OnTimer(void* arg) {
  auto* self = static_cast<H1ServerConnection*>(arg);
  if (self->closed_) return;
  switch (self->timer_phase_) {
    case TimerPhase::kNone:
      return;
    case TimerPhase::kIdle:
      self->CloseNow(false);
      return;
    case TimerPhase::kHeaders:
      if (!self->request_started_) {
        // Nothing was asked: close quietly, as for an idle keep-alive connection.
        self->CloseNow(false);
        return;
      }
      self->RejectAndClose(408, "request_timeout",
                           "the request headers did not arrive within " +
                               std::to_string(self->limits_.headers_timeout_ms) + " ms");
      return;
    case TimerPhase::kBody:
      self->RejectAndClose(408, "request_timeout",
                           "the request body stalled for more than " +
                               std::to_string(self->limits_.body_idle_timeout_ms) + " ms");
      return;
  }
}

H1ServerConnection::~H1ServerConnection() {
  stream_.reset();
  if (resume_ev_ != nullptr) event_free(resume_ev_);
  sock_.reset();
}

const http_parser_settings& H1ServerConnection::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &OnMessageBegin;
    s.on_url = &OnUrl;
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_headers_complete = &OnHeadersComplete;
    s.on_body = &OnBody;
    s.on_message_complete = &OnMessageComplete;
    return s;
  }();
  return settings;
}

void H1ServerConnection::OnReadable() { ProcessInput(); }

void H1ServerConnection::OnResume(evutil_socket_t, short, void* arg) {
  static_cast<H1ServerConnection*>(arg)->ProcessInput();
}

void H1ServerConnection::ProcessInput() {
  if (closed_ || closing_) return;
  evbuffer* in = sock_->input();
  if (!request_started_ && !paused_ && evbuffer_get_length(in) > 0) {
    request_started_ = true;
    if (timer_phase_ == TimerPhase::kIdle) ArmTimer(TimerPhase::kHeaders);
  }
  while (!paused_ && !closed_ && read_enabled_) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1 || vec.iov_len == 0) break;
    // The strict validator reads the bytes first and says how many belong to the current
    // request; http-parser only ever sees bytes whose framing has a single reading.
    const char* data = static_cast<const char*>(vec.iov_base);
    size_t take = 0;
    if (absl::Status strict = validator_.Scan(data, vec.iov_len, &take); !strict.ok()) {
      const int status = H1RejectHttpStatus(strict);
      RejectAndClose(status, status == 505 ? "http_version_not_supported" : "bad_request",
                     std::string(strict.message()));
      return;
    }
    size_t n = http_parser_execute(&parser_, &Settings(), data, take);
    evbuffer_drain(in, n);
    if (closed_) return;
    if (reject_status_ != 0) {
      RejectAndClose(reject_status_, reject_code_, reject_message_);
      return;
    }
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED && n != take && request_complete_ && !closing_) {
      // Cannot happen while the two agree on where a request ends; refuse rather than guess.
      RejectAndClose(400, "bad_request", "framing_mismatch: ambiguous request framing");
      return;
    }
    if (err == HPE_PAUSED) break;
    if (err != HPE_OK) {
      RejectAndClose(400, "bad_request",
                     std::string("malformed HTTP/1.1 request: ") + http_errno_description(err));
      return;
    }
  }
  if (paused_ && evbuffer_get_length(in) > kMaxPipelinedInput) {
    sock_->SetReadEnabled(false);
  }
}

int H1ServerConnection::OnMessageBegin(http_parser* p) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  self->request_started_ = true;
  if (self->timer_phase_ == TimerPhase::kIdle) self->ArmTimer(TimerPhase::kHeaders);
  self->head_ = RequestHead();
  self->header_collector_.Reset();
  self->header_bytes_ = 0;
  self->body_bytes_ = 0;
  self->request_complete_ = false;
  self->discarding_body_ = false;
  return 0;
}

bool H1ServerConnection::CountHeaderBytes(size_t len) {
  header_bytes_ += len;
  if (header_bytes_ > limits_.max_header_bytes) {
    reject_status_ = 431;
    reject_code_ = "request_headers_too_large";
    reject_message_ = "request headers exceed " + std::to_string(limits_.max_header_bytes) +
                      " bytes";
    return false;
  }
  return true;
}

int H1ServerConnection::OnUrl(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  if (!self->CountHeaderBytes(len)) return 1;
  self->head_.target.append(at, len);
  return 0;
}

int H1ServerConnection::OnHeaderField(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  if (!self->CountHeaderBytes(len)) return 1;
  self->header_collector_.OnName(at, len);
  return 0;
}

int H1ServerConnection::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  if (!self->CountHeaderBytes(len)) return 1;
  if (self->header_collector_.AtNewHeader() &&
      self->head_.headers.size() >= self->limits_.max_headers) {
    self->reject_status_ = 431;
    self->reject_code_ = "too_many_headers";
    self->reject_message_ =
        "more than " + std::to_string(self->limits_.max_headers) + " request headers";
    return 1;
  }
  self->header_collector_.OnValue(&self->head_.headers, at, len);
  return 0;
}

int H1ServerConnection::OnHeadersComplete(http_parser* p) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  RequestHead& h = self->head_;
  h.method = http_method_str(static_cast<http_method>(p->method));
  h.version_major = p->http_major;
  h.version_minor = p->http_minor;
  h.chunked = (p->flags & F_CHUNKED) != 0;
  h.content_length = (p->content_length == ULLONG_MAX) ? 0 : p->content_length;
  h.has_body = h.chunked || h.content_length > 0;
  h.client_ip = self->info_.client_ip;
  h.local_port = self->info_.local_port;
  h.tls = self->info_.tls;
  if (const std::string* expect = h.headers.Get("expect")) {
    h.expect_continue = EqualsIgnoreCase(*expect, "100-continue");
  }
  size_t hosts = h.headers.Count("host");
  if (hosts > 1 || (hosts == 0 && h.version_major == 1 && h.version_minor >= 1)) {
    self->reject_status_ = 400;
    self->reject_code_ = "bad_request";
    self->reject_message_ = hosts > 1 ? "more than one Host header" : "missing Host header";
    return -1;
  }
  self->keep_alive_ = http_should_keep_alive(p) != 0;
  self->head_request_ = p->method == HTTP_HEAD;
  self->req_minor_ = h.version_minor;
  self->req_chunked_ = h.chunked;
  self->req_content_length_ = h.content_length;
  // While a body arrives, its silences are limited; without one, nothing is timed here (an SSE
  // response may be silent for minutes; the upstream's read timeout covers a stuck upstream).
  self->ArmTimer(h.has_body ? TimerPhase::kBody : TimerPhase::kNone);
  self->stream_ = self->factory_(self);
  self->stream_->DecodeHeaders(std::move(self->head_));
  return 0;
}

int H1ServerConnection::OnBody(http_parser* p, const char* at, size_t len) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  self->body_bytes_ += len;
  if (self->timer_phase_ == TimerPhase::kBody) self->ArmTimer(TimerPhase::kBody);
  if (self->stream_ != nullptr && !self->discarding_body_) self->stream_->DecodeData(at, len);
  return 0;
}

int H1ServerConnection::OnMessageComplete(http_parser* p) {
  auto* self = static_cast<H1ServerConnection*>(p->data);
  self->request_complete_ = true;
  self->request_started_ = false;
  if (self->timer_phase_ == TimerPhase::kBody) self->ArmTimer(TimerPhase::kNone);
  if (self->stream_ != nullptr && !self->discarding_body_) {
    self->stream_->DecodeComplete();
    if (self->closed_) return 0;
  }
  if (self->stream_ == nullptr) {
    // The response is already done (it did not wait for the body): go on with the next request.
    self->discarding_body_ = false;
    self->ArmTimer(TimerPhase::kIdle);
    return 0;
  }
  // Hold further (pipelined) requests until this response is done.
  self->PauseParser();
  return 0;
}

bool H1ServerConnection::CanDiscardRest() const {
  if (req_chunked_) return false;
  return req_content_length_ - body_bytes_ <= kMaxDiscardBody;
}

void H1ServerConnection::EncodeHeaders(int status, const HeaderMap& headers, bool end_stream) {
  if (closed_) return;
  response_started_ = true;
  evbuffer* out = sock_->output();
  // Built by hand: snprintf costs more than the rest of this function.
  char line[64] = "HTTP/1.1 000 ";
  line[9] = static_cast<char>('0' + status / 100 % 10);
  line[10] = static_cast<char>('0' + status / 10 % 10);
  line[11] = static_cast<char>('0' + status % 10);
  size_t n = 13;
  const char* reason = Reason(status);
  size_t rlen = strnlen(reason, sizeof line - n - 3);
  memcpy(line + n, reason, rlen);
  n += rlen;
  line[n++] = '\r';
  line[n++] = '\n';
  evbuffer_add(out, line, n);
  bool no_body = head_request_ || status == 204 || status == 304 || (status >= 100 && status < 200);
  bool has_length = false;
  std::string block;
  block.reserve(512);
  for (const Header& h : headers.all()) {
    if (EqualsIgnoreCase(h.name, "connection") || EqualsIgnoreCase(h.name, "transfer-encoding") ||
        EqualsIgnoreCase(h.name, "keep-alive")) {
      continue;
    }
    if (EqualsIgnoreCase(h.name, "content-length")) {
      // RFC 9110 §8.6: never on 1xx or 204 (a client would take the next response as its body).
      if (status == 204 || (status >= 100 && status < 200)) continue;
      has_length = true;
    }
    block.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (no_body) {
    framing_ = Framing::kNone;
  } else if (has_length) {
    framing_ = Framing::kLength;
  } else if (end_stream) {
    framing_ = Framing::kNone;
    block.append("Content-Length: 0\r\n");
  } else if (req_minor_ >= 1) {
    framing_ = Framing::kChunked;
    block.append("Transfer-Encoding: chunked\r\n");
  } else {
    framing_ = Framing::kClose;
    keep_alive_ = false;
  }
  if (!request_complete_ && !CanDiscardRest()) keep_alive_ = false;
  if (!keep_alive_) {
    block.append("Connection: close\r\n");
  } else if (req_minor_ == 0) {
    block.append("Connection: keep-alive\r\n");
  }
  block.append("\r\n");
  evbuffer_add(out, block.data(), block.size());
  sock_->ScheduleFlush();
  if (end_stream) FinishStream();
}

void H1ServerConnection::EncodeTrailers(const HeaderMap&) { EncodeData(nullptr, 0, true); }

void H1ServerConnection::EncodeData(const char* data, size_t len, bool end_stream) {
  if (closed_) return;
  evbuffer* out = sock_->output();
  switch (framing_) {
    case Framing::kChunked:
      if (len > 0) {
        char size_line[32];
        int n = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
        evbuffer_add(out, size_line, static_cast<size_t>(n));
        evbuffer_add(out, data, len);
        evbuffer_add(out, "\r\n", 2);
      }
      if (end_stream) evbuffer_add(out, "0\r\n\r\n", 5);
      break;
    case Framing::kLength:
    case Framing::kClose:
      if (len > 0) evbuffer_add(out, data, len);
      break;
    case Framing::kNone:
      break;
  }
  sock_->ScheduleFlush();
  if (end_stream) FinishStream();
}

void H1ServerConnection::FinishStream() {
  ++requests_served_;
  if (stream_ != nullptr) {
    worker_->DeferDelete(std::make_unique<DeferredStream>(std::move(stream_)));
  }
  response_started_ = false;
  if (!keep_alive_ || framing_ == Framing::kClose) {
    framing_ = Framing::kNone;
    CloseAfterFlush();
    return;
  }
  framing_ = Framing::kNone;
  if (!request_complete_) {
    // Keep parsing: the rest of this request's body is dropped (CanDiscardRest() held when the
    // response started), then the next request is read.
    discarding_body_ = true;
    return;
  }
  paused_ = false;
  http_parser_pause(&parser_, 0);
  ArmTimer(TimerPhase::kIdle);
  sock_->SetReadEnabled(true);
  // Pipelined requests already buffered: parse them from the loop, not from inside the callback
  // that finished this response.
  if (evbuffer_get_length(sock_->input()) > 0) event_active(resume_ev_, 0, 0);
}

size_t H1ServerConnection::BufferedBytes() const {
  return sock_->BufferedOutput();
}

void H1ServerConnection::SetRequestReadEnabled(bool enabled) {
  if (closed_ || enabled == read_enabled_) return;
  read_enabled_ = enabled;
  if (enabled) {
    sock_->SetReadEnabled(true);
    event_active(resume_ev_, 0, 0);
  } else {
    sock_->SetReadEnabled(false);
  }
}

void H1ServerConnection::SendContinue() {
  if (closed_ || response_started_ || req_minor_ < 1) return;
  static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
  sock_->Write(kContinue, sizeof kContinue - 1);
}

void H1ServerConnection::Drain() {
  if (closed_) return;
  keep_alive_ = false;
  // An idle keep-alive connection closes now. A connection that has not sent its first request
  // yet is most likely sending it right now (it was accepted moments ago): it gets that request
  // answered, within the headers timeout, rather than a close.
  if (stream_ == nullptr && !request_started_ && !closing_ && requests_served_ > 0) {
    CloseNow(false);
  }
}

void H1ServerConnection::Reset() {
  if (closed_) return;
  // What the stream already wrote still goes out; the close then tells the client that the
  // response is incomplete (no final chunk, or fewer bytes than Content-Length).
  if (stream_ != nullptr) {
    worker_->DeferDelete(std::make_unique<DeferredStream>(std::move(stream_)));
  }
  keep_alive_ = false;
  CloseAfterFlush();
}

void H1ServerConnection::RejectAndClose(int status, std::string_view code,
                                        std::string_view message) {
  if (response_started_) {
    CloseNow(true);
    return;
  }
  if (stream_ != nullptr) {
    std::unique_ptr<StreamHandler> s = std::move(stream_);
    s->OnDownstreamReset();
    worker_->DeferDelete(std::make_unique<DeferredStream>(std::move(s)));
  }
  keep_alive_ = false;
  request_complete_ = true;  // nothing more is read
  paused_ = true;
  HeaderMap h;
  h.Add("Content-Type", "application/json");
  std::string body = JsonError(code, message);
  h.Add("Content-Length", std::to_string(body.size()));
  EncodeHeaders(status, h, false);
  EncodeData(body.data(), body.size(), true);
}

void H1ServerConnection::PauseParser() {
  paused_ = true;
  // http-parser asserts when a parser that already failed is paused; a failed parser stops anyway.
  http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_OK || err == HPE_PAUSED) http_parser_pause(&parser_, 1);
}

void H1ServerConnection::CloseAfterFlush() {
  closing_ = true;
  // A client that stops reading cannot hold the connection (and its buffer) forever.
  ArmTimer(TimerPhase::kIdle);
  PauseParser();
  sock_->SetReadEnabled(false);
  if (sock_->BufferedOutput() == 0) CloseNow(false);
}

void H1ServerConnection::CloseNow(bool notify_stream) {
  if (closed_) return;
  closed_ = true;
  worker_->RemoveConnection(this);
  timer_->Cancel();
  PauseParser();
  // The buffers (and the bytes http-parser may still be reading) live until the deferred delete.
  sock_->Close();
  if (stream_ != nullptr) {
    std::unique_ptr<StreamHandler> s = std::move(stream_);
    if (notify_stream) s->OnDownstreamReset();
    worker_->DeferDelete(std::make_unique<DeferredStream>(std::move(s)));
  }
  // The connection itself goes with the deferred delete.
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

void H1ServerConnection::OnDrained() {
  if (closed_) return;
  if (closing_) {
    if (sock_->BufferedOutput() == 0) CloseNow(false);
    return;
  }
  if (stream_ != nullptr && response_started_) stream_->OnDownstreamDrained();
}

void H1ServerConnection::OnClosed(int) {
  if (closed_) return;
  // EOF or error: whatever was in flight is abandoned by the client.
  CloseNow(true);
}

}  // namespace sluice::http
