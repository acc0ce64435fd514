#include "dataplane/http/h2_server_connection.h"

#include <event2/buffer.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strings.h"

namespace sluice::http {

namespace {

nghttp2_nv MakeNv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

// HTTP/2 field names are lower case, and connection-specific fields do not exist (RFC 9113
// §8.2.2); `names` keeps the lowered names alive until nghttp2 has copied them.
// `drop_length`: the response may not carry Content-Length (RFC 9110 §8.6: 204).
void AppendFields(const HeaderMap& headers, std::vector<std::string>* names,
                  std::vector<nghttp2_nv>* nva, bool drop_length = false) {
  // Reserved up front: no reallocation may move a name nghttp2_nv already points to.
  names->reserve(headers.size());
  for (const Header& h : headers.all()) {
    if (IsHopByHop(h.name, headers)) continue;
    if (drop_length && EqualsIgnoreCase(h.name, "content-length")) continue;
    std::string& n = names->emplace_back(ToLower(h.name));
    nva->push_back(MakeNv(n, h.value));
  }
}

}  // namespace

class H2ServerConnection::Stream final : public ResponseEncoder, public Deferrable {
 public:
  Stream(H2ServerConnection* conn, int32_t id) : conn_(conn), id_(id), out_(evbuffer_new()) {}
  ~Stream() override {
    handler.reset();
    evbuffer_free(out_);
  }

  void EncodeHeaders(int status, const HeaderMap& headers, bool end_stream) override {
    if (closed) return;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    std::vector<std::string> names;
    std::vector<nghttp2_nv> nva;
    nva.reserve(headers.size() + 1);
    nva.push_back(MakeNv(":status", code));
    AppendFields(headers, &names, &nva, status == 204);
    response_started = true;
    // Responses to HEAD, 204 and 304 end with their head: a body the upstream or a local
    // response would add is dropped, as the HTTP/1.1 encoder does (RFC 9110 §6.4.1).
    if (end_stream || head_request || status == 204 || status == 304) {
      end_queued = true;
      nghttp2_submit_response(conn_->session_, id_, nva.data(), nva.size(), nullptr);
    } else {
      nghttp2_data_provider prd;
      prd.source.ptr = this;
      prd.read_callback = &H2ServerConnection::ReadResponseData;
      nghttp2_submit_response(conn_->session_, id_, nva.data(), nva.size(), &prd);
    }
    conn_->SendPending();
  }

  void EncodeData(const char* data, size_t len, bool end_stream) override {
    if (closed || end_queued) return;
    if (len > 0) evbuffer_add(out_, data, len);
    if (evbuffer_get_length(out_) > StreamSocket::kLowWatermark) above_watermark = true;
    if (end_stream) end_queued = true;
    Wake();
  }

  void EncodeTrailers(const HeaderMap& t) override {
    if (closed || end_queued) return;
    trailers = t;
    has_trailers = true;
    end_queued = true;
    Wake();
  }

  size_t BufferedBytes() const override { return evbuffer_get_length(out_); }

  void SetRequestReadEnabled(bool enabled) override {
    read_enabled = enabled;
    if (closed || !enabled || unconsumed == 0) return;
    nghttp2_session_consume_stream(conn_->session_, id_, unconsumed);
    unconsumed = 0;
    conn_->SendPending();
  }

  void SendContinue() override {
    if (closed || response_started) return;
    nghttp2_nv nv = MakeNv(":status", "100");
    nghttp2_submit_headers(conn_->session_, NGHTTP2_FLAG_NONE, id_, nullptr, &nv, 1, nullptr);
    conn_->SendPending();
  }

  void Reset() override {
    if (closed) return;
    handler_done = true;
    nghttp2_submit_rst_stream(conn_->session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    conn_->SendPending();
  }

  // Answers without a handler (the codec refused the request).
  void Reject(int status, std::string_view code, std::string_view message) {
    handler_done = true;
    std::string body = JsonError(code, message);
    body.push_back('\n');
    HeaderMap h;
    h.Add("content-type", "application/json");
    h.Add("content-length", std::to_string(body.size()));
    EncodeHeaders(status, h, false);
    EncodeData(body.data(), body.size(), true);
  }

  ssize_t Read(uint8_t* buf, size_t length, uint32_t* flags) {
    size_t avail = evbuffer_get_length(out_);
    if (avail == 0 && !end_queued) {
      deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = std::min(length, avail);
    if (n > 0) evbuffer_remove(out_, buf, n);
    if (evbuffer_get_length(out_) == 0 && end_queued) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (has_trailers) {
        std::vector<std::string> names;
        std::vector<nghttp2_nv> nva;
        AppendFields(trailers, &names, &nva);
        if (!nva.empty()) {
          *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          nghttp2_submit_trailer(conn_->session_, id_, nva.data(), nva.size());
        }
      }
    }
    if (above_watermark && evbuffer_get_length(out_) <= StreamSocket::kLowWatermark) {
      above_watermark = false;
      conn_->drained_.push_back(id_);
    }
    return static_cast<ssize_t>(n);
  }

  int32_t id() const { return id_; }

  RequestHead head;
  // The request's method is HEAD (`head` itself is handed to the handler).
  bool head_request = false;
  size_t header_bytes = 0;
  size_t header_count = 0;
  int reject_status = 0;
  bool malformed = false;
  bool has_content_length = false;
  uint64_t head_content_length = 0;
  uint64_t body_received = 0;
  const char* reject_code = nullptr;
  std::string reject_message;
  std::unique_ptr<StreamHandler> handler;
  // The handler has finished with this stream (or never had it): no more calls into it.
  bool handler_done = false;
  bool request_complete = false;
  bool response_started = false;
  bool end_queued = false;
  bool closed = false;
  bool read_enabled = true;
  size_t unconsumed = 0;

 private:
  void Wake() {
    if (deferred) {
      deferred = false;
      nghttp2_session_resume_data(conn_->session_, id_);
    }
    conn_->SendPending();
  }

  H2ServerConnection* conn_;
  int32_t id_;
  evbuffer* out_;
  HeaderMap trailers;
  bool has_trailers = false;
  bool deferred = false;
  bool above_watermark = false;
};

H2ServerConnection::H2ServerConnection(Worker* worker, std::unique_ptr<StreamSocket> sock,
                                       ConnectionInfo info, StreamFactory factory,
                                       H1Limits limits, H2Settings settings)
    : worker_(worker),
      sock_(std::move(sock)),
      info_(std::move(info)),
      factory_(std::move(factory)),
      limits_(limits),
      settings_(settings) {
  sock_->set_callbacks(this);
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &OnDataChunkRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &OnStreamClose);
  // A field nghttp2 would otherwise drop silently (a bad character in a name) makes the request
  // malformed: the stream is reset instead (RFC 9113 §8.2.1).
  nghttp2_session_callbacks_set_on_invalid_header_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t, const uint8_t*,
              size_t, uint8_t, void*) { return static_cast<int>(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE); });
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  // Request bodies are acknowledged as the upstream takes them (backpressure), not on arrival.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // Rapid reset (CVE-2023-44487) and CONTINUATION flood (CVE-2024-28182) protections.
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_continuations(opt, 8);
  nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);

  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits_.max_header_bytes)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(settings_.connection_window_size));
  timer_ev_ = evtimer_new(worker_->base(), &OnTimer, this);
  resume_ev_ = event_new(worker_->base(), -1, 0, &OnResume, this);
  worker_->AddConnection(this);
  UpdateTimer();
  SendPending();
  if (evbuffer_get_length(sock_->input()) > 0) event_active(resume_ev_, 0, 0);
}

H2ServerConnection::~H2ServerConnection() {
  streams_.clear();
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (timer_ev_ != nullptr) event_free(timer_ev_);
  if (resume_ev_ != nullptr) event_free(resume_ev_);
}

void H2ServerConnection::OnResume(evutil_socket_t, short, void* arg) {
  static_cast<H2ServerConnection*>(arg)->ProcessInput();
}

void H2ServerConnection::OnReadable() { ProcessInput(); }

void H2ServerConnection::ProcessInput() {
  if (closed_) return;
  evbuffer* in = sock_->input();
  while (!closed_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    ssize_t n = nghttp2_session_mem_recv(session_, static_cast<const uint8_t*>(vec.iov_base),
                                         vec.iov_len);
    if (closed_) return;
    if (n < 0) {
      LOG_DEBUG("HTTP/2 connection from ", info_.client_ip, " failed: ", nghttp2_strerror(static_cast<int>(n)));
      Fail(static_cast<int>(n));
      return;
    }
    evbuffer_drain(in, static_cast<size_t>(n));
  }
  SendPending();
}

void H2ServerConnection::Fail(int lib_error) {
  // A fatal error (a flood, too many CONTINUATION frames, a bad preface). nghttp2 queues a GOAWAY
  // only for the connection errors it recovers from, so this one is queued here: the peer learns
  // why (RFC 9113 §5.4.1). MaybeFinishClose closes once it is written; the timer bounds the wait
  // for a peer that does not read.
  evbuffer_drain(sock_->input(), evbuffer_get_length(sock_->input()));
  sock_->SetReadEnabled(false);
  failed_ = true;
  uint32_t code = lib_error == NGHTTP2_ERR_FLOODED || lib_error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS
                      ? NGHTTP2_ENHANCE_YOUR_CALM
                      : NGHTTP2_PROTOCOL_ERROR;
  nghttp2_session_terminate_session(session_, code);
  SendPending();
  if (closed_) return;
  timeval tv{1, 0};
  evtimer_add(timer_ev_, &tv);
}

void H2ServerConnection::SendPending() {
  if (sending_ || closed_) return;
  sending_ = true;
  while (sock_->BufferedOutput() < kMaxSocketOutput) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) {
      if (n < 0) LOG_DEBUG("HTTP/2 send failed: ", nghttp2_strerror(static_cast<int>(n)));
      break;
    }
    sock_->Write(data, static_cast<size_t>(n));
  }
  sending_ = false;
  // Streams whose buffered response fell below the watermark may take more from upstream; they
  // are told after the send loop, so their reaction does not re-enter it.
  while (!drained_.empty()) {
    int32_t id = drained_.back();
    drained_.pop_back();
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second->handler != nullptr && !it->second->handler_done) {
      it->second->handler->OnDownstreamDrained();
    }
  }
  MaybeFinishClose();
}

void H2ServerConnection::MaybeFinishClose() {
  if (closed_) return;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    // GOAWAY went out and every stream is over: close once the socket has sent everything.
    if (sock_->BufferedOutput() == 0) CloseNow();
  }
}

void H2ServerConnection::OnDrained() {
  SendPending();
}

void H2ServerConnection::OnClosed(int) { CloseNow(); }

void H2ServerConnection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  evtimer_del(timer_ev_);
  for (auto& [id, s] : streams_) {
    s->closed = true;
    if (s->handler != nullptr && !s->handler_done) {
      s->handler_done = true;
      s->handler->OnDownstreamReset();
    }
  }
  sock_->Close();
  worker_->RemoveConnection(this);
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

void H2ServerConnection::Drain() {
  if (closed_ || draining_) return;
  // Requests already received (a connection handed over moments ago may hold its first ones
  // unread) are opened first, so that GOAWAY names them as accepted.
  if (evbuffer_get_length(sock_->input()) > 0) ProcessInput();
  if (closed_) return;
  draining_ = true;
  // Streams in flight finish; new ones are refused; the session ends when none is left.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  SendPending();
}

void H2ServerConnection::UpdateTimer() {
  if (closed_ || failed_) return;  // a failed connection keeps its closing deadline
  if (!streams_.empty()) {
    evtimer_del(timer_ev_);
    return;
  }
  uint32_t ms = requests_started_ == 0 ? limits_.headers_timeout_ms : limits_.keepalive_timeout_ms;
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(timer_ev_, &tv);
}

void H2ServerConnection::OnTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<H2ServerConnection*>(arg);
  if (self->closed_) return;
  if (self->failed_) {
    self->CloseNow();
    return;
  }
  if (!self->streams_.empty()) return;
  nghttp2_session_terminate_session(self->session_, NGHTTP2_NO_ERROR);
  self->SendPending();
  if (!self->closed_) self->CloseNow();
}

int H2ServerConnection::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ServerConnection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto s = std::make_unique<Stream>(self, frame->hd.stream_id);
  s->head.version_major = 2;
  s->head.version_minor = 0;
  s->head.client_ip = self->info_.client_ip;
  s->head.local_port = self->info_.local_port;
  s->head.tls = self->info_.tls;
  self->streams_[frame->hd.stream_id] = std::move(s);
  ++self->requests_started_;
  evtimer_del(self->timer_ev_);
  return 0;
}

int H2ServerConnection::OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                                 const uint8_t* name, size_t namelen, const uint8_t* value,
                                 size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<H2ServerConnection*>(user);
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end()) return 0;
  Stream* s = it->second.get();
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // request trailers: not forwarded
  if (s->reject_status != 0 || s->malformed) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n.empty() || n[0] != ':') {
    // nghttp2 checks characters, but lets upper-case names through: HTTP/2 field names are lower
    // case without exception (RFC 9113 §8.2.1), and such a request is malformed.
    if (!IsToken(n) || std::any_of(n.begin(), n.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      s->malformed = true;
      return 0;
    }
  }
  // Counted as HPACK does (RFC 9113 §6.5.2), against the same limits as HTTP/1.1.
  s->header_bytes += namelen + valuelen + 32;
  if (s->header_bytes > self->limits_.max_header_bytes) {
    s->reject_status = 431;
    s->reject_code = "request_headers_too_large";
    s->reject_message = "the request headers exceed " +
                        std::to_string(self->limits_.max_header_bytes) + " bytes";
    return 0;
  }
  if (!n.empty() && n[0] == ':') {
    if (n == ":method") {
      s->head.method.assign(v);
      s->head_request = s->head.method == "HEAD";
      if (!IsKnownMethod(s->head.method) && s->reject_status == 0) {
        s->reject_status = 400;
        s->reject_code = "bad_request";
        s->reject_message = "invalid_method: unknown method (methods are case-sensitive)";
      }
    } else if (n == ":path") {
      s->head.target.assign(v);
    } else if (n == ":authority") {
      if (s->head.headers.Get("host") == nullptr) s->head.headers.Add("host", std::string(v));
    }
    return 0;
  }
  if (++s->header_count > self->limits_.max_headers) {
    s->reject_status = 431;
    s->reject_code = "too_many_headers";
    s->reject_message =
        "the request has more than " + std::to_string(self->limits_.max_headers) + " headers";
    return 0;
  }
  if (n == "host") {
    // :authority wins when both are present (RFC 9113 §8.3.1); a lone Host header is used.
    if (s->head.headers.Get("host") != nullptr) return 0;
  } else if (n == "cookie") {
    // Split cookies are joined again for HTTP/1.1 upstreams (RFC 9113 §8.2.3).
    if (std::string* c = s->head.headers.GetMutable("cookie")) {
      c->append("; ").append(v);
      return 0;
    }
  } else if (n == "content-length") {
    uint64_t cl = 0;
    if (absl::SimpleAtoi(Sv(v), &cl)) s->head.content_length = cl;
  }
  s->head.headers.Add(std::string(n), std::string(v));
  return 0;
}

void H2ServerConnection::StartRequest(Stream* s, bool end_stream) {
  RequestHead& h = s->head;
  h.has_body = !end_stream;
  bool has_length = h.headers.Get("content-length") != nullptr;
  s->has_content_length = has_length;
  s->head_content_length = h.content_length;
  // Without a length, an HTTP/1.1 upstream gets the body chunked.
  h.chunked = h.has_body && !has_length;
  if (!h.has_body) h.content_length = 0;
  if (const std::string* expect = h.headers.Get("expect")) {
    h.expect_continue = EqualsIgnoreCase(*expect, "100-continue");
  }
  if (s->malformed) {
    s->handler_done = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id(), NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  if (s->reject_status != 0) {
    s->Reject(s->reject_status, s->reject_code, s->reject_message);
    return;
  }
  if (draining_) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id(), NGHTTP2_REFUSED_STREAM);
    return;
  }
  s->handler = factory_(s);
  s->handler->DecodeHeaders(std::move(h));
  if (end_stream && !s->closed && !s->handler_done) {
    s->request_complete = true;
    s->handler->DecodeComplete();
  }
}

int H2ServerConnection::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ServerConnection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end()) return 0;
  Stream* s = it->second.get();
  bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self->StartRequest(s, end_stream);
    return 0;
  }
  if (end_stream && !s->request_complete) {
    s->request_complete = true;
    if (s->handler != nullptr && !s->handler_done) s->handler->DecodeComplete();
  }
  return 0;
}

int H2ServerConnection::OnDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                                        const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<H2ServerConnection*>(user);
  // The connection window is returned at once: a paused stream holds only its own window.
  nghttp2_session_consume_connection(session, len);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  Stream* s = it->second.get();
  if (s->handler == nullptr || s->handler_done) {
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  s->body_received += len;
  if (s->has_content_length && s->body_received > s->head_content_length) {
    // More DATA than content-length announced: malformed (RFC 9113 §8.1.1). The excess must not
    // reach an HTTP/1.1 upstream, where it would be read as the start of another request.
    s->handler_done = true;
    s->handler->OnDownstreamReset();
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_PROTOCOL_ERROR);
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  s->handler->DecodeData(reinterpret_cast<const char*>(data), len);
  if (s->read_enabled) {
    nghttp2_session_consume_stream(session, stream_id, len);
  } else {
    s->unconsumed += len;
  }
  return 0;
}

int H2ServerConnection::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                      void* user) {
  auto* self = static_cast<H2ServerConnection*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  std::unique_ptr<Stream> s = std::move(it->second);
  self->streams_.erase(it);
  s->closed = true;
  if (s->handler != nullptr && !s->handler_done &&
      (error_code != NGHTTP2_NO_ERROR || !s->end_queued || !s->request_complete)) {
    s->handler_done = true;
    s->handler->OnDownstreamReset();
  }
  // Its handler may be on the call stack (a response that just ended inside EncodeData).
  self->worker_->DeferDelete(std::move(s));
  self->UpdateTimer();
  return 0;
}

ssize_t H2ServerConnection::ReadResponseData(nghttp2_session*, int32_t, uint8_t* buf,
                                             size_t length, uint32_t* flags,
                                             nghttp2_data_source* source, void*) {
  return static_cast<Stream*>(source->ptr)->Read(buf, length, flags);
}

}  // namespace sluice::http
