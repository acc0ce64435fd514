#include "dataplane/upstream/h2_client_connection.h"

#include <event2/buffer.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/upstream_tls.h"

namespace sluice {

namespace {

// A request body above this in a stream's buffer counts as backed up; OnUpstreamDrained follows
// once it is below again.
constexpr size_t kLowWatermark = 64 * 1024;

void ArmEvent(event* ev, uint32_t ms) {
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(ev, &tv);
}

bool IsConnectionSpecific(std::string_view lower_name) {
  // RFC 9113 §8.2.2; "te" is sent separately, and only as "trailers".
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade" || lower_name == "host" || lower_name == "te";
}

std::string ErrorCodeText(uint32_t code) {
  return absl::StrCat("stream reset by the upstream (", nghttp2_http2_strerror(code), ")");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// H2ClientStream

H2ClientStream::H2ClientStream(Worker* worker, H2ClientConnection* conn, UpstreamHandler* handler,
                               const UpstreamTimeouts& timeouts, bool reused_connection)
    : worker_(worker),
      conn_(conn),
      handler_(handler),
      timeouts_(timeouts),
      reused_connection_(reused_connection) {
  body_ = evbuffer_new();
  timer_ = evtimer_new(worker_->base(), &OnTimer, this);
  notify_ev_ = event_new(worker_->base(), -1, 0, &OnNotify, this);
}

H2ClientStream::~H2ClientStream() {
  event_free(timer_);
  event_free(notify_ev_);
  evbuffer_free(body_);
  if (pending_response_ != nullptr) evbuffer_free(pending_response_);
}

bool H2ClientStream::ready() const { return conn_ != nullptr && conn_->connected() && !failed_; }

void H2ClientStream::ArmTimer(TimerPhase phase) {
  timer_phase_ = phase;
  switch (phase) {
    case TimerPhase::kNone: evtimer_del(timer_); return;
    case TimerPhase::kWrite: ArmEvent(timer_, timeouts_.write_ms); return;
    case TimerPhase::kRead: ArmEvent(timer_, timeouts_.read_ms); return;
  }
}

void H2ClientStream::OnTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<H2ClientStream*>(arg);
  UpstreamError e = self->timer_phase_ == TimerPhase::kWrite ? UpstreamError::kWriteTimeout
                                                             : UpstreamError::kReadTimeout;
  self->timer_phase_ = TimerPhase::kNone;
  self->FailLater(e, false, "");
}

void H2ClientStream::FailLater(UpstreamError error, bool safe_to_retry, std::string detail) {
  if (failed_ || complete_delivered_) return;
  failed_ = true;
  pending_error_ = error;
  safe_to_retry_ = safe_to_retry;
  error_detail_ = std::move(detail);
  error_pending_ = true;
  ArmTimer(TimerPhase::kNone);
  if (conn_ != nullptr && !closed_ && id_ >= 0) {
    nghttp2_submit_rst_stream(conn_->session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
    conn_->SendPending();
  }
  event_active(notify_ev_, 0, 0);
}

void H2ClientStream::NotifyDrainedLater() {
  drain_pending_ = true;
  event_active(notify_ev_, 0, 0);
}

void H2ClientStream::OnNotify(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<H2ClientStream*>(arg);
  if (self->error_pending_) {
    self->error_pending_ = false;
    UpstreamHandler* h = self->handler_;
    // The handler lets go of a failed stream without calling Release.
    self->handler_ = nullptr;
    self->released_ = true;
    if (h != nullptr) h->OnUpstreamError(self->pending_error_);
    self->MaybeDestroy();
    return;
  }
  if (self->drain_pending_) {
    self->drain_pending_ = false;
    if (self->handler_ != nullptr && !self->failed_) self->handler_->OnUpstreamDrained();
  }
}

void H2ClientStream::SendHeaders(const UpstreamRequest& request, bool end_stream) {
  if (conn_ == nullptr || conn_->session_ == nullptr || failed_ || id_ >= 0) return;
  // Field names go lower-cased into one buffer (reserved up front, so the views into it stay
  // valid); nghttp2 copies the fields when the request is submitted.
  thread_local std::string names;
  thread_local std::vector<nghttp2_nv> nva;
  names.clear();
  nva.clear();
  size_t total = 0;
  for (const http::Header& h : request.headers.all()) total += h.name.size();
  names.reserve(total);
  auto add = [](std::string_view n, std::string_view v) {
    nva.push_back(nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(n.data())),
                             const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(v.data())),
                             n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  };
  add(":method", request.method);
  add(":scheme", conn_->tls_id_ != 0 ? "https" : "http");
  add(":authority", request.authority);
  add(":path", request.path);
  for (const http::Header& h : request.headers.all()) {
    size_t start = names.size();
    for (char c : h.name) names.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
    std::string_view lower(names.data() + start, h.name.size());
    if (IsConnectionSpecific(lower)) continue;
    add(lower, h.value);
  }
  if (request.te_trailers) add("te", "trailers");
  char length[24];
  if (request.body == UpstreamRequest::Body::kLength) {
    int n = snprintf(length, sizeof length, "%llu",
                     static_cast<unsigned long long>(request.content_length));
    add("content-length", std::string_view(length, static_cast<size_t>(n)));
  }
  body_end_ = end_stream;
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &H2ClientConnection::ReadRequestData;
  int32_t id = nghttp2_submit_request(conn_->session_, nullptr, nva.data(), nva.size(),
                                      end_stream ? nullptr : &provider, this);
  if (id < 0) {
    // Stream ids used up, or the session is going away: nothing reached the upstream.
    FailLater(UpstreamError::kReset, true, nghttp2_strerror(id));
    return;
  }
  id_ = id;
  ++conn_->streams_started_;
  ArmTimer(end_stream ? TimerPhase::kRead : TimerPhase::kWrite);
  conn_->SendPending();
}

void H2ClientStream::SendData(const char* data, size_t len, bool end_stream) {
  if (conn_ == nullptr || closed_ || failed_ || id_ < 0 || body_end_) return;
  if (len > 0) evbuffer_add(body_, data, len);
  if (end_stream) body_end_ = true;
  if (evbuffer_get_length(body_) > kLowWatermark) above_low_watermark_ = true;
  if (timer_phase_ == TimerPhase::kNone && evbuffer_get_length(body_) > 0) {
    ArmTimer(TimerPhase::kWrite);
  }
  if (data_deferred_) {
    data_deferred_ = false;
    nghttp2_session_resume_data(conn_->session_, id_);
  }
  conn_->SendPending();
}

size_t H2ClientStream::BufferedBytes() const { return evbuffer_get_length(body_); }

void H2ClientStream::SetReadEnabled(bool enabled) {
  if (read_enabled_ == enabled) return;
  read_enabled_ = enabled;
  if (!enabled) {
    // The read timeout pauses while the client is the slow side.
    if (timer_phase_ == TimerPhase::kRead) ArmTimer(TimerPhase::kNone);
    return;
  }
  if (request_sent_ && !remote_ended_ && !failed_ && timer_phase_ == TimerPhase::kNone) {
    ArmTimer(TimerPhase::kRead);
  }
  Deliver();
}

void H2ClientStream::Deliver() {
  if (delivering_) return;  // a handler call re-enabled reading: the outer loop goes on
  delivering_ = true;
  size_t consumed = 0;
  while (handler_ != nullptr && read_enabled_ && !failed_ && pending_response_ != nullptr &&
         evbuffer_get_length(pending_response_) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(pending_response_, -1, nullptr, &vec, 1) < 1) break;
    handler_->OnUpstreamData(static_cast<const char*>(vec.iov_base), vec.iov_len);
    evbuffer_drain(pending_response_, vec.iov_len);
    consumed += vec.iov_len;
  }
  delivering_ = false;
  if (consumed > 0 && conn_ != nullptr && !closed_) {
    nghttp2_session_consume_stream(conn_->session_, id_, consumed);
    conn_->SendPending();  // the WINDOW_UPDATE
  }
  bool drained = pending_response_ == nullptr || evbuffer_get_length(pending_response_) == 0;
  if (handler_ != nullptr && read_enabled_ && remote_ended_ && drained && !failed_ &&
      !complete_delivered_) {
    complete_delivered_ = true;
    ArmTimer(TimerPhase::kNone);
    if (has_trailers_) {
      has_trailers_ = false;
      handler_->OnUpstreamTrailers(std::move(trailers_));
    }
    if (handler_ != nullptr) handler_->OnUpstreamComplete();
  }
}

void H2ClientStream::Release() {
  handler_ = nullptr;
  released_ = true;
  ArmTimer(TimerPhase::kNone);
  if (conn_ != nullptr && !closed_) {
    if (id_ < 0) {
      Detach();
    } else if (!(request_sent_ && remote_ended_)) {
      // The exchange did not end cleanly on both sides: free the server's slot now.
      nghttp2_submit_rst_stream(conn_->session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
      conn_->SendPending();
    }
  }
  MaybeDestroy();
}

void H2ClientStream::Abort() {
  handler_ = nullptr;
  released_ = true;
  ArmTimer(TimerPhase::kNone);
  if (conn_ != nullptr && !closed_) {
    if (id_ < 0) {
      Detach();
    } else {
      nghttp2_submit_rst_stream(conn_->session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
      conn_->SendPending();
    }
  }
  MaybeDestroy();
}

void H2ClientStream::Detach() {
  if (conn_ != nullptr) {
    H2ClientConnection* c = conn_;
    conn_ = nullptr;
    c->RemoveStream(this);
  }
  closed_ = true;
  if (timer_phase_ == TimerPhase::kWrite) ArmTimer(TimerPhase::kNone);
}

void H2ClientStream::MaybeDestroy() {
  if (released_ && closed_ && !destroy_queued_) {
    destroy_queued_ = true;
    worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
  }
}

// ---------------------------------------------------------------------------------------------
// H2ClientConnection

H2ClientConnection::H2ClientConnection(Worker* worker, ConnectionPool* pool,
                                       const UpstreamPeer& peer, const UpstreamTimeouts& timeouts)
    : worker_(worker),
      pool_(pool),
      host_(peer.host),
      port_(peer.port),
      tls_(peer.tls),
      tls_id_(peer.tls == nullptr ? 0 : peer.tls->id()) {
  timer_ = evtimer_new(worker_->base(), &OnTimer, this);
  timer_phase_ = TimerPhase::kConnect;
  ArmEvent(timer_, timeouts.connect_ms);
  sock_ = std::make_unique<StreamSocket>(worker_, host_, port_, this);
}

H2ClientConnection::~H2ClientConnection() {
  Close();
  std::vector<H2ClientStream*> streams;
  streams.swap(streams_);
  for (H2ClientStream* s : streams) {
    s->conn_ = nullptr;
    s->closed_ = true;
    s->MaybeDestroy();
  }
  if (session_ != nullptr) nghttp2_session_del(session_);
  event_free(timer_);
}

bool H2ClientConnection::CanTakeStream(uint32_t assumed_limit) const {
  if (closed_ || goaway_received_) return false;
  uint32_t limit = assumed_limit;
  if (session_ != nullptr) {
    if (nghttp2_session_check_request_allowed(session_) == 0) return false;
    if (settings_received_) {
      limit = nghttp2_session_get_remote_settings(session_,
                                                  NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    }
  }
  return streams_.size() < limit;
}

H2ClientStream* H2ClientConnection::NewStream(UpstreamHandler* handler,
                                              const UpstreamTimeouts& timeouts) {
  auto* s = new H2ClientStream(worker_, this, handler, timeouts, streams_started_ > 0);
  streams_.push_back(s);
  if (timer_phase_ == TimerPhase::kIdle) {
    timer_phase_ = TimerPhase::kNone;
    evtimer_del(timer_);
  }
  return s;
}

void H2ClientConnection::OnTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<H2ClientConnection*>(arg);
  TimerPhase phase = self->timer_phase_;
  self->timer_phase_ = TimerPhase::kNone;
  switch (phase) {
    case TimerPhase::kNone: return;
    case TimerPhase::kConnect:
      self->FailAll(UpstreamError::kConnectTimeout, "");
      return;
    case TimerPhase::kIdle:
      if (!self->streams_.empty()) return;
      self->Close();
      self->pool_->Forget(self);
      return;
  }
}

void H2ClientConnection::OnConnected(int error) {
  if (error != 0) {
    FailAll(UpstreamError::kConnectFailed, error > 0 ? strerror(error) : "name not resolved");
    return;
  }
  if (tls_ != nullptr) {
    // The connect timer keeps running through the handshake.
    SSL* ssl = tls_->NewSsl(host_, UpstreamProtocol::kHttp2);
    tls_ = nullptr;  // the snapshot that owns it may go away while the connection lives on
    if (ssl == nullptr) {
      FailAll(UpstreamError::kTls, "cannot create a TLS session");
      return;
    }
    sock_->StartTls(ssl);
    return;
  }
  StartSession();
}

void H2ClientConnection::OnTlsEstablished() {
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(sock_->ssl(), &alpn, &alpn_len);
  if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
    FailAll(UpstreamError::kProtocol, "the upstream did not select HTTP/2 (ALPN h2) for TLS");
    return;
  }
  StartSession();
}

void H2ClientConnection::StartSession() {
  static nghttp2_session_callbacks* callbacks = [] {
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &OnFrameRecv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, &OnFrameSend);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &OnDataChunkRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &OnStreamClose);
    return cb;
  }();
  static nghttp2_option* options = [] {
    nghttp2_option* o;
    nghttp2_option_new(&o);
    // Response bytes are acknowledged only once the client side took them (backpressure).
    nghttp2_option_set_no_auto_window_update(o, 1);
    nghttp2_option_set_no_closed_streams(o, 1);
    return o;
  }();
  if (nghttp2_session_client_new2(&session_, callbacks, this, options) != 0) {
    session_ = nullptr;
    FailAll(UpstreamError::kProtocol, "cannot create an HTTP/2 session");
    return;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  timer_phase_ = TimerPhase::kNone;
  evtimer_del(timer_);
  SendPending();
  if (closed_) return;
  if (streams_.empty()) {
    timer_phase_ = TimerPhase::kIdle;
    ArmEvent(timer_, ConnectionPool::kIdleTimeoutMs);
    return;
  }
  // Requests that waited for the connection go now, in the order they came.
  std::vector<H2ClientStream*> waiting = streams_;
  for (H2ClientStream* s : waiting) {
    if (closed_) return;
    if (s->handler_ != nullptr && !s->failed_ && s->id_ < 0 && s->conn_ == this) {
      s->handler_->OnUpstreamConnected();
    }
  }
}

void H2ClientConnection::SendPending() {
  if (session_ == nullptr || closed_ || in_nghttp2_) return;  // the outer loop sends it
  in_nghttp2_ = true;
  while (sock_->BufferedOutput() < kMaxSocketOutput) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      in_nghttp2_ = false;
      FailAll(UpstreamError::kProtocol, nghttp2_strerror(static_cast<int>(n)));
      return;
    }
    if (n == 0) break;
    sock_->Write(data, static_cast<size_t>(n));
  }
  in_nghttp2_ = false;
}

void H2ClientConnection::OnReadable() {
  evbuffer* in = sock_->input();
  if (session_ == nullptr) {
    evbuffer_drain(in, evbuffer_get_length(in));
    return;
  }
  in_nghttp2_ = true;
  while (!closed_ && evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) break;
    ssize_t n = nghttp2_session_mem_recv(session_, static_cast<const uint8_t*>(vec.iov_base),
                                         vec.iov_len);
    if (n < 0) {
      in_nghttp2_ = false;
      LOG_WARN("upstream ", host_, ":", port_, ": HTTP/2 error: ",
               nghttp2_strerror(static_cast<int>(n)));
      FailAll(UpstreamError::kProtocol, nghttp2_strerror(static_cast<int>(n)));
      return;
    }
    evbuffer_drain(in, static_cast<size_t>(n));
  }
  in_nghttp2_ = false;
  if (closed_) return;
  SendPending();
  MaybeFinish();
}

void H2ClientConnection::OnDrained() { SendPending(); }

void H2ClientConnection::OnClosed(int error) {
  if (closed_) return;
  if (sock_->tls() && error == EPROTO) {
    FailAll(UpstreamError::kTls, sock_->tls_error());
  } else if (session_ == nullptr) {
    FailAll(UpstreamError::kConnectFailed, "closed during the TLS handshake");
  } else {
    FailAll(UpstreamError::kReset,
            error != 0 ? strerror(error) : "the upstream closed the connection");
  }
}

void H2ClientConnection::FailAll(UpstreamError error, std::string detail) {
  if (closed_) return;
  Close();
  std::vector<H2ClientStream*> streams;
  streams.swap(streams_);
  for (H2ClientStream* s : streams) {
    s->conn_ = nullptr;
    s->closed_ = true;
    if (!s->remote_ended_) {
      // Beyond GOAWAY's last stream id the server never processed it; on a connection that had
      // served requests before, a reset before any response byte is the stale-connection race.
      bool beyond_goaway = goaway_received_ && s->id_ > goaway_last_stream_id_;
      bool retry = error == UpstreamError::kReset && !s->response_bytes_ &&
                   (beyond_goaway || s->reused_connection_);
      s->FailLater(error, retry, detail);
    }
    s->MaybeDestroy();
  }
  pool_->Forget(this);
}

void H2ClientConnection::RemoveStream(H2ClientStream* s) {
  auto it = std::find(streams_.begin(), streams_.end(), s);
  if (it != streams_.end()) streams_.erase(it);
  if (streams_.empty() && session_ != nullptr && !closed_) {
    // Idle: closed after a while, or at once after GOAWAY (from the loop, not from inside
    // nghttp2).
    timer_phase_ = TimerPhase::kIdle;
    ArmEvent(timer_, goaway_received_ ? 0 : ConnectionPool::kIdleTimeoutMs);
  }
}

void H2ClientConnection::MaybeFinish() {
  if (closed_ || session_ == nullptr) return;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    // The session is over (GOAWAY both ways and no stream left, or a fatal error sent).
    FailAll(UpstreamError::kReset, "the HTTP/2 session ended");
  }
}

void H2ClientConnection::Close() {
  if (closed_) return;
  closed_ = true;
  timer_phase_ = TimerPhase::kNone;
  evtimer_del(timer_);
  if (sock_ != nullptr) sock_->Close();
}

H2ClientStream* H2ClientConnection::StreamOf(int32_t stream_id) const {
  if (session_ == nullptr) return nullptr;
  return static_cast<H2ClientStream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
}

int H2ClientConnection::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2ClientStream* s = self->StreamOf(frame->hd.stream_id);
  if (s != nullptr) s->header_bytes_ = 0;
  return 0;
}

int H2ClientConnection::OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                                 const uint8_t* name, size_t namelen, const uint8_t* value,
                                 size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2ClientStream* s = self->StreamOf(frame->hd.stream_id);
  if (s == nullptr || s->failed_) return 0;
  s->header_bytes_ += namelen + valuelen + 32;
  if (s->header_bytes_ > kMaxHeaderBytes) {
    s->FailLater(UpstreamError::kProtocol, false, "the response head is too large");
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (!s->headers_delivered_) {
    if (n == ":status") {
      int status = 0;
      for (char c : v) status = status * 10 + (c - '0');  // nghttp2 checked: three digits
      s->status_ = status;
    } else if (n.empty() || n[0] != ':') {
      s->headers_.Add(std::string(n), std::string(v));
    }
  } else if (n.empty() || n[0] != ':') {
    s->trailers_.Add(std::string(n), std::string(v));
    s->has_trailers_ = true;
  }
  return 0;
}

int H2ClientConnection::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
        self->settings_received_ = true;
        self->pool_->NoteStreamLimit(
            self, nghttp2_session_get_remote_settings(self->session_,
                                                      NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
      }
      return 0;
    case NGHTTP2_GOAWAY:
      self->goaway_received_ = true;
      self->goaway_last_stream_id_ = frame->goaway.last_stream_id;
      LOG_DEBUG("upstream ", self->host_, ":", self->port_, ": GOAWAY, last stream ",
                frame->goaway.last_stream_id, ", error ", frame->goaway.error_code);
      return 0;
    case NGHTTP2_HEADERS: {
      H2ClientStream* s = self->StreamOf(frame->hd.stream_id);
      if (s == nullptr || s->failed_) return 0;
      if (!s->headers_delivered_) {
        if (s->status_ >= 100 && s->status_ < 200) {
          // An interim response (100 Continue, 103 Early Hints): wait for the final one.
          s->headers_.clear();
          s->status_ = 0;
          return 0;
        }
        s->headers_delivered_ = true;
        s->response_bytes_ = true;
        if (s->timer_phase_ == H2ClientStream::TimerPhase::kRead) {
          s->ArmTimer(H2ClientStream::TimerPhase::kRead);
        }
        bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
        if (s->handler_ != nullptr) {
          s->handler_->OnUpstreamHeaders(s->status_, std::move(s->headers_), end_stream);
        }
        s->headers_.clear();
      }
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        s->remote_ended_ = true;
        s->Deliver();
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
      H2ClientStream* s = self->StreamOf(frame->hd.stream_id);
      if (s == nullptr || s->failed_) return 0;
      s->remote_ended_ = true;
      s->Deliver();
      return 0;
    }
    default:
      return 0;
  }
}

int H2ClientConnection::OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  H2ClientStream* s = self->StreamOf(frame->hd.stream_id);
  if (s == nullptr) return 0;
  s->request_sent_ = true;
  if (!s->remote_ended_ && !s->failed_ && s->read_enabled_) {
    s->ArmTimer(H2ClientStream::TimerPhase::kRead);
  }
  return 0;
}

int H2ClientConnection::OnDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                                        const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  // The connection window is returned at once: only stream windows hold a slow client's bytes.
  nghttp2_session_consume_connection(session, len);
  H2ClientStream* s = self->StreamOf(stream_id);
  if (s == nullptr || s->failed_ || s->handler_ == nullptr) {
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  s->response_bytes_ = true;
  if (s->timer_phase_ == H2ClientStream::TimerPhase::kRead) {
    s->ArmTimer(H2ClientStream::TimerPhase::kRead);
  }
  bool queued = s->pending_response_ != nullptr && evbuffer_get_length(s->pending_response_) > 0;
  if (s->read_enabled_ && !queued) {
    s->handler_->OnUpstreamData(reinterpret_cast<const char*>(data), len);
    nghttp2_session_consume_stream(session, stream_id, len);
    return 0;
  }
  if (s->pending_response_ == nullptr) s->pending_response_ = evbuffer_new();
  evbuffer_add(s->pending_response_, data, len);
  return 0;
}

int H2ClientConnection::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                      void* user) {
  auto* self = static_cast<H2ClientConnection*>(user);
  H2ClientStream* s = self->StreamOf(stream_id);
  if (s == nullptr) return 0;
  s->closed_ = true;
  if (!s->remote_ended_ && !s->failed_) {
    bool refused = error_code == NGHTTP2_REFUSED_STREAM ||
                   (self->goaway_received_ && stream_id > self->goaway_last_stream_id_);
    UpstreamError e = error_code == NGHTTP2_PROTOCOL_ERROR ? UpstreamError::kProtocol
                                                           : UpstreamError::kReset;
    s->FailLater(e, refused && !s->response_bytes_, ErrorCodeText(error_code));
  }
  s->conn_ = nullptr;
  if (s->timer_phase_ == H2ClientStream::TimerPhase::kWrite) {
    s->ArmTimer(H2ClientStream::TimerPhase::kNone);
  }
  self->RemoveStream(s);
  s->MaybeDestroy();
  return 0;
}

ssize_t H2ClientConnection::ReadRequestData(nghttp2_session*, int32_t, uint8_t* buf,
                                            size_t length, uint32_t* flags,
                                            nghttp2_data_source* source, void*) {
  auto* s = static_cast<H2ClientStream*>(source->ptr);
  size_t available = evbuffer_get_length(s->body_);
  size_t n = std::min(length, available);
  if (n > 0) evbuffer_remove(s->body_, buf, n);
  if (n == available && s->body_end_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    s->data_deferred_ = true;
    // Waiting for the client, not for the upstream: no write timeout meanwhile.
    if (s->timer_phase_ == H2ClientStream::TimerPhase::kWrite) {
      s->ArmTimer(H2ClientStream::TimerPhase::kNone);
    }
    return NGHTTP2_ERR_DEFERRED;
  }
  if (s->timer_phase_ == H2ClientStream::TimerPhase::kWrite ||
      s->timer_phase_ == H2ClientStream::TimerPhase::kNone) {
    s->ArmTimer(evbuffer_get_length(s->body_) > 0 ? H2ClientStream::TimerPhase::kWrite
                                                  : H2ClientStream::TimerPhase::kNone);
  }
  if (s->above_low_watermark_ && evbuffer_get_length(s->body_) <= kLowWatermark) {
    s->above_low_watermark_ = false;
    s->NotifyDrainedLater();
  }
  return static_cast<ssize_t>(n);
}

}  // namespace sluice
