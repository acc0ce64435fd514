#include "dataplane/proxy/proxy_stream.h"

#include <openssl/rand.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strings.h"
#include "dataplane/upstream/connection_pool.h"

namespace sluice {

namespace {
// Request body bytes buffered (before the upstream is ready, or towards a slow upstream) before
// the client is paused.
constexpr size_t kMaxBufferedRequestBody = 1024 * 1024;
// Response bytes buffered towards a slow client before the upstream is paused.
constexpr size_t kMaxBufferedResponse = 1024 * 1024;
constexpr size_t kMaxReplayBody = 64 * 1024;
constexpr std::string_view kVia = "1.1 sluice";

// Request ids: 128 random bits from a per-thread generator seeded by OpenSSL (a fresh CSPRNG
// call per request would cost more than the rest of routing).
std::string NewRequestId() {
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) abort();
    return seed;
  }();
  auto next = [] {
    // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t a = next(), b = next();
  char buf[40];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
           static_cast<unsigned long long>(b));
  return std::string(buf, 32);
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}
}  // namespace

ProxyStream::ProxyStream(Worker* worker, http::ResponseEncoder* encoder)
    : worker_(worker), encoder_(encoder) {}

ProxyStream::~ProxyStream() {
  if (upstream_ != nullptr) {
    if (state_ == State::kDone) {
      upstream_->Release();
    } else {
      upstream_->Abort();
    }
    upstream_ = nullptr;
  }
  if (pending_body_ != nullptr) evbuffer_free(pending_body_);
  if (replay_body_ != nullptr) evbuffer_free(replay_body_);
}

void ProxyStream::DecodeHeaders(http::RequestHead head) {
  head_ = std::move(head);
  const std::string* rid = head_.headers.Get("x-request-id");
  request_id_ = (rid != nullptr && ValidRequestId(*rid)) ? *rid : NewRequestId();

  snapshot_ = worker_->snapshot();
  if (snapshot_ == nullptr) {
    SendLocalResponse(503, "no_config",
                      "this data plane has not received a configuration from the control plane "
                      "yet",
                      nullptr);
    return;
  }
  if (head_.target.empty() || head_.target[0] != '/') {
    SendLocalResponse(400, "bad_request", "the request target must be an absolute path", nullptr);
    return;
  }
  std::string_view target = head_.target;
  std::string_view path = target.substr(0, target.find('?'));
  const std::string* host = head_.headers.Get("host");
  router::MatchInput in{head_.method, host == nullptr ? std::string_view() : HostWithoutPort(*host),
                        path, &head_.headers};
  router::RouteMatch match = snapshot_->routes().Match(in);
  if (match.route == nullptr) {
    SendLocalResponse(404, "no_route", "no route matches this request", nullptr);
    return;
  }
  route_ = match.route;
  strip_length_ = match.strip_length;
  service_ = snapshot_->FindService(route_->service_id);
  if (service_ == nullptr) {
    // The snapshot's reference check makes this unreachable; answer rather than crash.
    SendLocalResponse(500, "internal_error", "the route's service is missing", nullptr);
    return;
  }
  if (route_->max_request_body_bytes > 0 && head_.content_length > route_->max_request_body_bytes) {
    SendBodyTooLarge();
    return;
  }
  plugins_ = &snapshot_->PluginsFor(route_->id);
  state_ = State::kAccess;
  RunAccessPhase();
}

void ProxyStream::RunAccessPhase() {
  while (plugin_index_ < plugins_->size()) {
    const plugins::PluginInstance& p = *(*plugins_)[plugin_index_];
    plugins::PhaseResult r = p.OnAccess(*this);
    if (r == plugins::PhaseResult::kPause) {
      paused_in_plugin_ = true;
      return;
    }
    if (r == plugins::PhaseResult::kStop || state_ == State::kDone) return;
    ++plugin_index_;
  }
  StartUpstream();
}

void ProxyStream::Resume(plugins::PhaseResult result) {
  if (!paused_in_plugin_ || state_ != State::kAccess) return;
  paused_in_plugin_ = false;
  if (result == plugins::PhaseResult::kContinue) {
    ++plugin_index_;
    RunAccessPhase();
  }
}

void ProxyStream::StartUpstream() {
  if (service_->upstream != nullptr) {
    const UpstreamTarget* t = service_->upstream->Pick();
    if (t == nullptr) {
      SendLocalResponse(503, "no_healthy_upstream",
                        absl::StrCat("upstream '", service_->upstream->name(),
                                     "' has no target in rotation"),
                        nullptr);
      return;
    }
    target_host_ = t->host;
    target_port_ = t->port;
  } else {
    target_host_ = service_->host;
    target_port_ = service_->port;
  }
  if (head_.expect_continue) encoder_->SendContinue();
  BuildUpstreamRequest();
  state_ = State::kConnecting;
  ConnectUpstream(false);
}

void ProxyStream::ConnectUpstream(bool fresh) {
  UpstreamTimeouts t{service_->connect_timeout_ms, service_->read_timeout_ms,
                     service_->write_timeout_ms};
  UpstreamPeer peer{target_host_, target_port_, service_->upstream_protocol,
                    service_->upstream_tls.get()};
  upstream_ = worker_->pool().Acquire(peer, this, t, fresh);
  if (upstream_->ready()) SendRequestHead();
}

void ProxyStream::OnUpstreamConnected() {
  if (state_ == State::kConnecting) SendRequestHead();
}

std::string ProxyStream::UpstreamPath() const {
  std::string_view target = head_.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q);
  if (route_->strip_path && strip_length_ > 0) path.remove_prefix(std::min(strip_length_, path.size()));
  // Kong's joining rule: service path + remaining request path, with exactly one '/' between.
  std::string out = service_->path;
  if (path.empty()) {
    if (out.empty()) out = "/";
  } else if (!out.empty() && out.back() == '/' && path.front() == '/') {
    out.append(path.substr(1));
  } else if (!out.empty() && out.back() != '/' && path.front() != '/') {
    out.push_back('/');
    out.append(path);
  } else {
    if (out.empty() && path.front() != '/') out.push_back('/');
    out.append(path);
  }
  out.append(query);
  return out;
}

void ProxyStream::BuildUpstreamRequest() {
  UpstreamRequest& r = upstream_request_;
  r.method = head_.method;
  r.path = UpstreamPath();
  // The client's fields are filtered in place: no copy of the ones that pass.
  r.headers = std::move(head_.headers);
  upstream_request_built_ = true;
  std::vector<http::Header>& fields = r.headers.mutable_all();
  // Fields that Connection names are hop-by-hop too. Collected first, since the list is
  // compacted as it is walked (rare: clients seldom send Connection with names).
  http::HeaderMap connection_fields;
  for (const http::Header& f : fields) {
    if (http::EqualsIgnoreCase(f.name, "connection")) connection_fields.Add(f.name, f.value);
  }
  std::string client_host, xff, via;
  bool has_client_host = false, has_xff = false, has_via = false;
  size_t kept = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    http::Header& f = fields[i];
    std::string_view n = f.name;
    if (http::EqualsIgnoreCase(n, "host")) {
      if (!has_client_host) client_host = std::move(f.value);
      has_client_host = true;
      continue;
    }
    if (http::EqualsIgnoreCase(n, "te")) {
      // Only "trailers" may cross into HTTP/2 (RFC 9113 §8.2.2); gRPC servers require it.
      for (std::string_view v = f.value; !v.empty();) {
        size_t comma = v.find(',');
        std::string_view token = v.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
        if (http::EqualsIgnoreCase(token, "trailers")) r.te_trailers = true;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
      continue;
    }
    if (http::IsHopByHop(n, connection_fields) || http::EqualsIgnoreCase(n, "content-length") ||
        http::EqualsIgnoreCase(n, "expect") || http::EqualsIgnoreCase(n, "x-request-id") ||
        http::EqualsIgnoreCase(n, "x-forwarded-proto") ||
        http::EqualsIgnoreCase(n, "x-forwarded-host") ||
        http::EqualsIgnoreCase(n, "x-forwarded-port") || http::EqualsIgnoreCase(n, "x-real-ip")) {
      continue;
    }
    if (http::EqualsIgnoreCase(n, "x-forwarded-for")) {
      if (has_xff) {
        xff.append(", ").append(f.value);
      } else {
        xff = std::move(f.value);
      }
      has_xff = true;
      continue;
    }
    if (http::EqualsIgnoreCase(n, "via")) {
      if (has_via) {
        via.append(", ").append(f.value);
      } else {
        via = std::move(f.value);
      }
      has_via = true;
      continue;
    }
    if (kept != i) fields[kept] = std::move(f);
    ++kept;
  }
  fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(kept), fields.end());
  fields.reserve(kept + 7);
  r.headers.Add("X-Request-Id", request_id_);
  if (has_xff) xff.append(", ");
  xff.append(head_.client_ip);
  r.headers.Add("X-Forwarded-For", std::move(xff));
  r.headers.Add("X-Real-IP", head_.client_ip);
  r.headers.Add("X-Forwarded-Proto", head_.tls ? "https" : "http");
  if (has_client_host) r.headers.Add("X-Forwarded-Host", client_host);
  r.headers.Add("X-Forwarded-Port", std::to_string(head_.local_port));
  if (has_via) via.append(", ");
  via.append(kVia);
  r.headers.Add("Via", std::move(via));
  if (route_->preserve_host && has_client_host) {
    r.authority = std::move(client_host);
  } else {
    r.authority = service_->host_header;
  }
  if (head_.chunked) {
    r.body = UpstreamRequest::Body::kUnknown;
  } else if (head_.has_body || head_.method == "POST" || head_.method == "PUT" ||
             head_.method == "PATCH") {
    r.body = UpstreamRequest::Body::kLength;
    r.content_length = head_.content_length;
  } else {
    r.body = UpstreamRequest::Body::kNone;
  }
}

void ProxyStream::SendRequestHead() {
  state_ = State::kProxying;
  size_t pending = pending_body_ == nullptr ? 0 : evbuffer_get_length(pending_body_);
  bool end_stream = request_complete_ && pending == 0;
  upstream_->SendHeaders(upstream_request_, end_stream);
  if (end_stream) {
    request_sent_ = true;
    return;
  }
  if (pending > 0) {
    const char* data = reinterpret_cast<const char*>(evbuffer_pullup(pending_body_, -1));
    WriteBody(data, pending, request_complete_);
    evbuffer_drain(pending_body_, pending);
  }
}

void ProxyStream::WriteBody(const char* data, size_t len, bool end_stream) {
  if (len == 0 && !end_stream) return;
  if (replayable_ && len > 0) {
    if (replay_body_ == nullptr) replay_body_ = evbuffer_new();
    if (evbuffer_get_length(replay_body_) + len <= kMaxReplayBody) {
      evbuffer_add(replay_body_, data, len);
    } else {
      replayable_ = false;
      evbuffer_free(replay_body_);
      replay_body_ = nullptr;
    }
  }
  if (end_stream) request_sent_ = true;
  upstream_->SendData(data, len, end_stream);
  if (upstream_->BufferedBytes() > kMaxBufferedRequestBody && !downstream_paused_) {
    downstream_paused_ = true;
    encoder_->SetRequestReadEnabled(false);
  }
}

void ProxyStream::FinishRequestBody() {
  if (request_sent_) return;
  request_sent_ = true;
  upstream_->SendData(nullptr, 0, true);
}

void ProxyStream::SendBodyTooLarge() {
  std::string message = absl::StrCat("the request body exceeds this route's limit of ",
                                     route_->max_request_body_bytes, " bytes");
  if (response_started_) {
    // Only a chunked body can grow past the limit this late; the response already began.
    state_ = State::kDone;
    encoder_->Reset();
    return;
  }
  SendLocalResponse(413, "request_body_too_large", message, nullptr);
}

void ProxyStream::DecodeData(const char* data, size_t len) {
  if (state_ == State::kDone) return;
  body_received_ += len;
  if (route_ != nullptr && route_->max_request_body_bytes > 0 &&
      body_received_ > route_->max_request_body_bytes) {
    SendBodyTooLarge();
    return;
  }
  if (state_ == State::kProxying && upstream_ != nullptr) {
    WriteBody(data, len, false);
    return;
  }
  if (pending_body_ == nullptr) pending_body_ = evbuffer_new();
  evbuffer_add(pending_body_, data, len);
  if (evbuffer_get_length(pending_body_) > kMaxBufferedRequestBody && !downstream_paused_) {
    downstream_paused_ = true;
    encoder_->SetRequestReadEnabled(false);
  }
}

void ProxyStream::DecodeComplete() {
  request_complete_ = true;
  if (state_ == State::kProxying && upstream_ != nullptr) FinishRequestBody();
}

void ProxyStream::OnUpstreamDrained() {
  if (downstream_paused_ && upstream_ != nullptr &&
      upstream_->BufferedBytes() <= kMaxBufferedRequestBody) {
    downstream_paused_ = false;
    encoder_->SetRequestReadEnabled(true);
  }
}

void ProxyStream::OnUpstreamHeaders(int status, http::HeaderMap headers, bool end_stream) {
  response_started_ = true;
  http::HeaderMap out;
  for (http::Header& h : headers.mutable_all()) {
    if (http::IsHopByHop(h.name, headers)) continue;
    if (http::EqualsIgnoreCase(h.name, "via")) continue;
    out.Add(std::move(h.name), std::move(h.value));
  }
  const std::string* upstream_via = headers.Get("via");
  out.Add("Via", upstream_via != nullptr ? absl::StrCat(*upstream_via, ", ", Sv(kVia))
                                         : std::string(kVia));
  if (out.Get("x-request-id") == nullptr) out.Add("X-Request-Id", request_id_);
  // A head-only HTTP/2 response stays one HEADERS frame downstream: gRPC clients read the
  // grpc-status of a "trailers-only" response from it, and only from it.
  response_ended_with_head_ = end_stream;
  encoder_->EncodeHeaders(status, out, end_stream);
}

void ProxyStream::OnUpstreamData(const char* data, size_t len) {
  if (state_ == State::kDone) return;
  encoder_->EncodeData(data, len, false);
  if (encoder_->BufferedBytes() > kMaxBufferedResponse && !upstream_paused_ && upstream_) {
    upstream_paused_ = true;
    upstream_->SetReadEnabled(false);
  }
}

void ProxyStream::OnDownstreamDrained() {
  if (upstream_paused_ && upstream_ != nullptr &&
      encoder_->BufferedBytes() <= kMaxBufferedResponse) {
    upstream_paused_ = false;
    upstream_->SetReadEnabled(true);
  }
}

void ProxyStream::OnUpstreamTrailers(http::HeaderMap trailers) {
  response_trailers_ = std::move(trailers);
  has_response_trailers_ = true;
}

void ProxyStream::OnUpstreamComplete() {
  if (!request_sent_ || !request_complete_) {
    // The upstream answered before taking the whole request: the connection (HTTP/1.1) or the
    // stream (HTTP/2) cannot be reused.
    upstream_->Abort();
  } else {
    upstream_->Release();
  }
  upstream_ = nullptr;
  state_ = State::kDone;
  if (response_ended_with_head_) return;
  // After this call the encoder may destroy this stream (deferred).
  if (has_response_trailers_) {
    encoder_->EncodeTrailers(response_trailers_);
  } else {
    encoder_->EncodeData(nullptr, 0, true);
  }
}

void ProxyStream::OnUpstreamError(UpstreamError error) {
  UpstreamStream* failed = upstream_;
  upstream_ = nullptr;
  if (state_ == State::kDone) return;
  // A pooled keep-alive connection the upstream had already closed, or an HTTP/2 stream it
  // refused: try once more on another connection, if nothing of the response arrived and the
  // body sent so far can be replayed.
  if (error == UpstreamError::kReset && failed != nullptr && failed->safe_to_retry() &&
      !response_started_ && !retried_stale_ && replayable_) {
    retried_stale_ = true;
    request_sent_ = false;
    if (replay_body_ != nullptr && evbuffer_get_length(replay_body_) > 0) {
      if (pending_body_ == nullptr) pending_body_ = evbuffer_new();
      evbuffer* rest = evbuffer_new();
      evbuffer_add_buffer(rest, pending_body_);
      evbuffer_add_buffer(pending_body_, replay_body_);
      evbuffer_add_buffer(pending_body_, rest);
      evbuffer_free(rest);
    }
    state_ = State::kConnecting;
    ConnectUpstream(true);
    return;
  }
  LOG_DEBUG("request ", request_id_, ": upstream ", target_host_, ":", target_port_, " failed: ",
            UpstreamErrorName(error));
  if (response_started_) {
    // Too late for an error response: cut the client off so it sees the response is incomplete.
    state_ = State::kDone;
    encoder_->Reset();
    return;
  }
  switch (error) {
    case UpstreamError::kConnectTimeout:
    case UpstreamError::kReadTimeout:
    case UpstreamError::kWriteTimeout:
      SendLocalResponse(504, "upstream_timeout",
                        absl::StrCat("the upstream ", target_host_, ":", target_port_,
                                     " did not answer in time (", UpstreamErrorName(error), ")"),
                        nullptr);
      return;
    case UpstreamError::kProtocol:
      SendLocalResponse(502, "bad_upstream_response",
                        absl::StrCat("the upstream ", target_host_, ":", target_port_,
                                     " sent an invalid HTTP response"),
                        nullptr);
      return;
    case UpstreamError::kTls: {
      std::string_view detail = failed != nullptr ? failed->error_detail() : std::string_view();
      SendLocalResponse(502, "upstream_tls_error",
                        absl::StrCat("TLS with the upstream ", target_host_, ":", target_port_,
                                     " failed", detail.empty() ? "" : ": ", Sv(detail),
                                     " (check the service's ca_certificates, tls_verify and "
                                     "client_certificate)"),
                        nullptr);
      return;
    }
    case UpstreamError::kConnectFailed:
    case UpstreamError::kReset:
      SendLocalResponse(502, "upstream_unavailable",
                        absl::StrCat("cannot reach the upstream ", target_host_, ":", target_port_,
                                     " (", UpstreamErrorName(error), ")"),
                        nullptr);
      return;
  }
}

void ProxyStream::OnDownstreamReset() {
  state_ = State::kDone;
  if (upstream_ != nullptr) {
    upstream_->Abort();
    upstream_ = nullptr;
  }
}

void ProxyStream::RemoveQueryParam(std::string_view name) {
  size_t q = head_.target.find('?');
  if (q == std::string::npos) return;
  std::string_view query = std::string_view(head_.target).substr(q + 1);
  std::string kept;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::string_view key = pair.substr(0, pair.find('='));
    if (key != name) {
      if (!kept.empty()) kept.push_back('&');
      kept.append(pair);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  head_.target.resize(q);
  if (!kept.empty()) head_.target.append("?").append(kept);
}

const plugins::ConsumerInfo* ProxyStream::FindConsumerByKeyHash(std::string_view key_hash) const {
  return snapshot_->FindConsumerByKeyHash(key_hash);
}

const plugins::ConsumerInfo* ProxyStream::FindConsumer(std::string_view id_or_username) const {
  return snapshot_->FindConsumer(id_or_username);
}

void ProxyStream::SendLocalResponse(int status, std::string_view code, std::string_view message,
                                    const http::HeaderMap* extra_headers) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  if (upstream_ != nullptr) {
    upstream_->Abort();
    upstream_ = nullptr;
  }
  std::string body = JsonError(code, message);
  body.push_back('\n');
  http::HeaderMap h;
  h.Add("Content-Type", "application/json");
  h.Add("Content-Length", std::to_string(body.size()));
  h.Add("X-Request-Id", request_id_);
  if (extra_headers != nullptr) {
    for (const http::Header& e : extra_headers->all()) h.Add(e.name, e.value);
  }
  encoder_->EncodeHeaders(status, h, false);
  encoder_->EncodeData(body.data(), body.size(), true);
}

}  // namespace sluice
