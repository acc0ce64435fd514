#include "test/fuzz/proxy_fuzz_support.h"

#include <event2/buffer.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/config_set.h"
#include "common/hash.h"
#include "dataplane/http/headers.h"
#include "dataplane/upstream/connection_pool.h"
#include "google/protobuf/struct.pb.h"

namespace sluice::fuzz {

namespace {

const char* harness_name = "fuzz";

// Loop passes without visible progress after which the loop counts as settled. A step the
// harness cannot observe (connect done, then the request queued, then written) takes a pass each.
constexpr int kQuietRounds = 4;
constexpr int kMaxRounds = 2000;

}  // namespace

void SetHarnessName(const char* name) { harness_name = name; }

void Fail(const char* what, std::string_view detail) {
  fprintf(stderr, "%s: invariant broken: %s\n%.*s\n", harness_name, what,
          static_cast<int>(std::min<size_t>(detail.size(), 4096)), detail.data());
  abort();
}

// ---------------------------------------------------------------------------------------------
// The in-process upstream.

Upstream::Upstream(event_base* base) : base_(base) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  listener_ = evconnlistener_new_bind(base, &OnAccept, this,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                                      reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  if (listener_ == nullptr) abort();
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.sin_port);
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &OnMessageBegin;
  settings_.on_url = &OnUrl;
  settings_.on_header_field = &OnHeaderField;
  settings_.on_header_value = &OnHeaderValue;
  settings_.on_body = &OnBody;
  settings_.on_headers_complete = &OnHeadersComplete;
  settings_.on_message_complete = &OnMessageComplete;
}

uint64_t Upstream::TakeRequestCount() { return std::exchange(requests_, 0); }

std::vector<UpstreamRequest> Upstream::TakeRequests() {
  // Requests still being received keep their index: they are recorded no further.
  for (UpstreamPeer* peer : peers_) peer->recording = -1;
  return std::exchange(recorded_, {});
}

void Upstream::CloseAll() {
  while (!peers_.empty()) Free(*peers_.begin());
}

void Upstream::OnAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* self = static_cast<Upstream*>(arg);
  ++self->activity_;
  if (self->refusing_) {
    close(fd);
    return;
  }
  auto* peer = new UpstreamPeer();
  peer->owner = self;
  peer->bev = bufferevent_socket_new(self->base_, fd, BEV_OPT_CLOSE_ON_FREE);
  http_parser_init(&peer->parser, HTTP_REQUEST);
  peer->parser.data = peer;
  bufferevent_setcb(peer->bev, &OnRead, &OnWrite, &OnEvent, peer);
  bufferevent_enable(peer->bev, EV_READ | EV_WRITE);
  self->peers_.insert(peer);
}

void Upstream::OnRead(bufferevent* bev, void* arg) {
  auto* peer = static_cast<UpstreamPeer*>(arg);
  Upstream* self = peer->owner;
  ++self->activity_;
  evbuffer* in = bufferevent_get_input(bev);
  size_t len = evbuffer_get_length(in);
  std::string data(len, '\0');
  evbuffer_remove(in, data.data(), len);
  if (peer->received.size() < 65536) peer->received.append(data);
  size_t n = http_parser_execute(&peer->parser, &self->settings_, data.data(), data.size());
  http_errno err = HTTP_PARSER_ERRNO(&peer->parser);
  if (err != HPE_OK || n != data.size()) {
    std::string detail = std::string(http_errno_name(err)) + " in:\n" + peer->received;
    Fail("the proxy sent the upstream something that is not HTTP/1.1", detail);
  }
}

void Upstream::OnWrite(bufferevent* bev, void* arg) {
  auto* peer = static_cast<UpstreamPeer*>(arg);
  ++peer->owner->activity_;
  if (peer->close_after_flush && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    peer->owner->Free(peer);
  }
}

void Upstream::OnEvent(bufferevent*, short, void* arg) {
  auto* peer = static_cast<UpstreamPeer*>(arg);
  ++peer->owner->activity_;
  peer->owner->Free(peer);
}

int Upstream::OnMessageBegin(http_parser* p) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  Upstream* self = peer->owner;
  peer->field.clear();
  peer->value.clear();
  peer->in_value = false;
  peer->recording = -1;
  if (self->recording_) {
    peer->recording = static_cast<int64_t>(self->recorded_.size());
    self->recorded_.emplace_back();
  }
  return 0;
}

int Upstream::OnUrl(http_parser* p, const char* at, size_t len) {
  static_cast<UpstreamPeer*>(p->data)->target.append(at, len);
  return 0;
}

void Upstream::RecordField(UpstreamPeer* peer) {
  if (peer->recording < 0 || !peer->in_value) return;
  UpstreamRequest& r = peer->owner->recorded_[static_cast<size_t>(peer->recording)];
  if (http::EqualsIgnoreCase(peer->field, peer->owner->tag_header_)) {
    r.tags.push_back(peer->value);
  } else if (http::EqualsIgnoreCase(peer->field, "host")) {
    ++r.host_headers;
  }
  peer->field.clear();
  peer->value.clear();
  peer->in_value = false;
}

int Upstream::OnHeaderField(http_parser* p, const char* at, size_t len) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  if (peer->recording < 0) return 0;
  if (peer->in_value) RecordField(peer);
  peer->field.append(at, len);
  return 0;
}

int Upstream::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  if (peer->recording < 0) return 0;
  peer->in_value = true;
  peer->value.append(at, len);
  return 0;
}

int Upstream::OnHeadersComplete(http_parser* p) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  Upstream* self = peer->owner;
  if (peer->recording >= 0) {
    RecordField(peer);
    UpstreamRequest& r = self->recorded_[static_cast<size_t>(peer->recording)];
    r.chunked = (p->flags & F_CHUNKED) != 0;
    r.has_content_length = (p->flags & F_CONTENTLENGTH) != 0;
    r.content_length = r.has_content_length ? p->content_length : 0;
  }
  if (self->scripted_) bufferevent_write(peer->bev, self->script_.data(), self->script_.size());
  return 0;
}

int Upstream::OnBody(http_parser* p, const char* at, size_t len) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  if (peer->recording >= 0) {
    peer->owner->recorded_[static_cast<size_t>(peer->recording)].body_bytes += len;
  }
  if (peer->body.size() < 65536) peer->body.append(at, len);
  return 0;
}

int Upstream::OnMessageComplete(http_parser* p) {
  auto* peer = static_cast<UpstreamPeer*>(p->data);
  ++peer->owner->requests_;
  if (peer->recording >= 0) {
    peer->owner->recorded_[static_cast<size_t>(peer->recording)].complete = true;
    peer->recording = -1;
  }
  if (!peer->owner->scripted_) peer->owner->Echo(peer, p->method == HTTP_HEAD);
  peer->target.clear();
  peer->body.clear();
  return 0;
}

void Upstream::Echo(UpstreamPeer* peer, bool head) {
  std::string out;
  const std::string& t = peer->target;
  if (t.find("nobody") != std::string::npos) {
    out = "HTTP/1.1 204 No Content\r\nX-Echo: nobody\r\n\r\n";
  } else if (t.find("chunked") != std::string::npos) {
    out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (!head) {
      char size_line[32];
      if (!peer->body.empty()) {
        snprintf(size_line, sizeof size_line, "%zx\r\n", peer->body.size());
        out.append(size_line).append(peer->body).append("\r\n");
      }
      out.append("3\r\nend\r\n0\r\nX-Trailer: t\r\n\r\n");
    }
  } else if (t.find("close") != std::string::npos) {
    out = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
    if (!head) out.append(peer->body);
    peer->close_after_flush = true;
  } else {
    out = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
          std::to_string(peer->body.size()) + "\r\nX-Echo-Target: ";
    for (char c : t) out.push_back(c >= 0x21 && c <= 0x7e ? c : '_');
    out.append("\r\n\r\n");
    if (!head) out.append(peer->body);
  }
  bufferevent_write(peer->bev, out.data(), out.size());
}

void Upstream::Free(UpstreamPeer* peer) {
  peers_.erase(peer);
  bufferevent_free(peer->bev);
  delete peer;
}

// ---------------------------------------------------------------------------------------------
// The config.

namespace {

Resource Service(const std::string& id, const std::string& host, int port,
                 const std::string& path = "") {
  Resource r;
  auto* s = r.mutable_service();
  s->set_id(id);
  s->set_name(id);
  s->set_host(host);
  s->set_port(static_cast<uint32_t>(port));
  s->set_path(path);
  return r;
}

Resource Route(const std::string& id, const std::string& service, const std::string& path) {
  Resource r;
  auto* route = r.mutable_route();
  route->set_id(id);
  route->set_name(id);
  route->add_paths(path);
  route->mutable_service()->set_id(service);
  return r;
}

}  // namespace

std::shared_ptr<const Snapshot> BuildSnapshot(int echo_port, int dead_port) {
  ConfigSet c;
  c.Put(Service("echo", "127.0.0.1", echo_port));
  c.Put(Service("echo-base", "127.0.0.1", echo_port, "/base/"));
  c.Put(Service("dead", "127.0.0.1", dead_port));
  c.Put(Service("balanced", "pool", 80));
  Resource up;
  up.mutable_upstream()->set_id("up-pool");
  up.mutable_upstream()->set_name("pool");
  c.Put(up);
  Resource target;
  target.mutable_target()->set_id("t-echo");
  target.mutable_target()->mutable_upstream()->set_id("up-pool");
  target.mutable_target()->set_target("127.0.0.1:" + std::to_string(echo_port));
  c.Put(target);
  // Weight 0: out of rotation, so every input picks the same target whatever ran before.
  target.mutable_target()->set_id("t-dead");
  target.mutable_target()->set_target("127.0.0.1:" + std::to_string(dead_port));
  target.mutable_target()->set_weight(0);
  c.Put(target);

  Resource r = Route("r-echo", "echo", "/echo");
  r.mutable_route()->set_strip_path(false);
  c.Put(r);
  r = Route("r-strip", "echo-base", "/strip");
  r.mutable_route()->set_strip_path(true);
  c.Put(r);
  r = Route("r-exact", "echo", "=/exact");
  r.mutable_route()->add_methods("GET");
  r.mutable_route()->add_methods("POST");
  c.Put(r);
  r = Route("r-regex", "echo", "~/v1/models/[^/]+$");
  r.mutable_route()->set_regex_priority(5);
  c.Put(r);
  r = Route("r-host", "echo", "/");
  r.mutable_route()->add_hosts("api.example.com");
  r.mutable_route()->add_hosts("*.wild.test");
  r.mutable_route()->set_preserve_host(true);
  c.Put(r);
  r = Route("r-header", "echo", "/hdr");
  (*r.mutable_route()->mutable_headers())["x-version"].add_values()->set_string_value("v2");
  c.Put(r);
  c.Put(Route("r-auth", "echo", "/auth"));
  c.Put(Route("r-anon", "echo", "/anon"));
  c.Put(Route("r-dead", "dead", "/dead"));
  c.Put(Route("r-pool", "balanced", "/pool"));

  Resource consumer;
  consumer.mutable_consumer()->set_id("c-alice");
  consumer.mutable_consumer()->set_username("alice");
  c.Put(consumer);
  consumer.mutable_consumer()->set_id("c-guest");
  consumer.mutable_consumer()->set_username("guest");
  c.Put(consumer);
  Resource cred;
  cred.mutable_key_auth_credential()->set_id("k-alice");
  cred.mutable_key_auth_credential()->mutable_consumer()->set_id("c-alice");
  cred.mutable_key_auth_credential()->set_key_hash(Sha256Hex("alice-key"));
  c.Put(cred);
  Resource plugin;
  plugin.mutable_plugin()->set_id("p-auth");
  plugin.mutable_plugin()->set_name("key-auth");
  plugin.mutable_plugin()->mutable_route()->set_id("r-auth");
  plugin.mutable_plugin()->mutable_key_auth();
  c.Put(plugin);
  plugin.mutable_plugin()->set_id("p-anon");
  plugin.mutable_plugin()->mutable_route()->set_id("r-anon");
  plugin.mutable_plugin()->mutable_key_auth()->set_anonymous("guest");
  plugin.mutable_plugin()->mutable_key_auth()->set_hide_credentials(false);
  c.Put(plugin);
  c.set_version(1);

  auto snap = Snapshot::Build(c);
  if (!snap.ok()) {
    fprintf(stderr, "%s: bad test config: %s\n", harness_name,
            std::string(snap.status().message()).c_str());
    abort();
  }
  return *snap;
}

// ---------------------------------------------------------------------------------------------
// The fixture.

ProxyFixture::ProxyFixture() : worker_(0), upstream_(worker_.base()) {
  // A bound socket that never listens: connecting to it is refused at once.
  dead_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(dead_fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) abort();
  socklen_t len = sizeof sin;
  getsockname(dead_fd_, reinterpret_cast<sockaddr*>(&sin), &len);
  worker_.Publish(BuildSnapshot(upstream_.port(), ntohs(sin.sin_port)));
  for (int i = 0; i < 100 && worker_.snapshot() == nullptr; ++i) {
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
  }
  if (worker_.snapshot() == nullptr) abort();
}

int ProxyFixture::OpenClient(ClientBytes on_bytes) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) abort();
  client_fd_ = fds[1];
  client_eof_ = false;
  on_bytes_ = std::move(on_bytes);
  return fds[0];
}

bool ProxyFixture::WriteAll(std::string_view bytes) {
  size_t off = 0;
  for (int round = 0; off < bytes.size() && round < kMaxRounds; ++round) {
    ssize_t n = send(client_fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;  // server closed
    // The server is not reading (backpressure): let it run, and read what it answered.
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    ReadClient();
    if (client_eof_) return false;
  }
  return off == bytes.size();
}

size_t ProxyFixture::ReadClient() {
  size_t total = 0;
  char buf[16384];
  while (!client_eof_) {
    ssize_t n = recv(client_fd_, buf, sizeof buf, 0);
    if (n > 0) {
      total += static_cast<size_t>(n);
      received_bytes_ += static_cast<size_t>(n);
      on_bytes_(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      client_eof_ = true;
      ++received_bytes_;
      on_bytes_(nullptr, 0);  // tells the checker about the EOF
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  return total;
}

uint64_t ProxyFixture::Fingerprint() {
  return upstream_.activity() * 1000003u + received_bytes_ * 131u +
         static_cast<uint64_t>(event_base_get_num_events(
             worker_.base(), EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE)) +
         worker_.pool().idle_count() * 7919u;
}

void ProxyFixture::Pump() {
  int quiet = 0;
  for (int round = 0; round < kMaxRounds && quiet < kQuietRounds; ++round) {
    uint64_t before = Fingerprint();
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    ReadClient();
    quiet = Fingerprint() == before ? quiet + 1 : 0;
  }
}

void ProxyFixture::HalfCloseAndSettle(std::string_view input) {
  // Half-close: the server sees EOF and must wind the connection down.
  shutdown(client_fd_, SHUT_WR);
  Pump();
  if (!client_eof_) {
    // A request still waiting on the upstream: the upstream going away must end it.
    upstream_.set_refusing(true);
    upstream_.CloseAll();
    Pump();
  }
  if (!client_eof_) {
    Fail("the connection stays open after the client's EOF and the upstream's close",
         std::string(input));
  }
  // Idle pooled connections notice the close and leave the pool.
  upstream_.set_refusing(true);
  for (int i = 0; i < 10 && (worker_.pool().idle_count() > 0 || !upstream_.idle()); ++i) {
    upstream_.CloseAll();
    Pump();
  }
  if (worker_.pool().idle_count() > 0) Fail("pooled upstream connections outlive the upstream", "");
}

void ProxyFixture::CloseClient() {
  upstream_.set_refusing(false);
  close(client_fd_);
  client_fd_ = -1;
}

}  // namespace sluice::fuzz
