#include "dataplane/upstream/connection_pool.h"

#include <algorithm>
#include <functional>

#include "dataplane/upstream/h1_client_connection.h"
#include "dataplane/upstream/h2_client_connection.h"
#include "dataplane/upstream/upstream_tls.h"

namespace sluice {

size_t ConnectionPool::KeyHash::operator()(const KeyView& k) const {
  size_t h = std::hash<std::string_view>{}(k.host);
  h ^= (static_cast<size_t>(k.port) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  h ^= (static_cast<size_t>(k.tls_id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  return h;
}

ConnectionPool::KeyView ConnectionPool::KeyOf(const UpstreamPeer& peer) {
  return {peer.host, peer.port, peer.tls == nullptr ? 0 : peer.tls->id()};
}

ConnectionPool::~ConnectionPool() {
  for (auto& [key, conns] : idle_) {
    for (H1ClientConnection* c : conns) delete c;
  }
  for (auto& [key, target] : h2_) {
    for (H2ClientConnection* c : target.conns) delete c;
  }
}

UpstreamStream* ConnectionPool::Acquire(const UpstreamPeer& peer, UpstreamHandler* handler,
                                        const UpstreamTimeouts& timeouts, bool fresh) {
  if (peer.protocol == UpstreamProtocol::kHttp2) return AcquireH2(peer, handler, timeouts);
  if (!fresh) {
    auto it = idle_.find(KeyOf(peer));
    if (it != idle_.end() && !it->second.empty()) {
      // Most recently used first: it is the least likely to have been closed by the upstream.
      H1ClientConnection* conn = it->second.back();
      it->second.pop_back();
      conn->Attach(handler, timeouts);
      return conn;
    }
  }
  auto* conn = new H1ClientConnection(worker_, this, peer);
  conn->Connect(handler, timeouts);
  return conn;
}

void ConnectionPool::Park(H1ClientConnection* conn) {
  KeyView key{conn->host(), conn->port(), conn->tls_id()};
  auto it = idle_.find(key);
  if (it == idle_.end()) {
    it = idle_.emplace(Key{conn->host(), conn->port(), conn->tls_id()},
                       std::deque<H1ClientConnection*>())
             .first;
  }
  auto& conns = it->second;
  if (conns.size() >= kMaxIdlePerTarget) {
    conn->Close();
    worker_->DeferDelete(std::unique_ptr<Deferrable>(conn));
    return;
  }
  conns.push_back(conn);
  conn->StartIdle();
}

void ConnectionPool::Forget(H1ClientConnection* conn) {
  auto it = idle_.find(KeyView{conn->host(), conn->port(), conn->tls_id()});
  if (it != idle_.end()) {
    auto& conns = it->second;
    conns.erase(std::remove(conns.begin(), conns.end(), conn), conns.end());
  }
  worker_->DeferDelete(std::unique_ptr<Deferrable>(conn));
}

UpstreamStream* ConnectionPool::AcquireH2(const UpstreamPeer& peer, UpstreamHandler* handler,
                                          const UpstreamTimeouts& timeouts) {
  KeyView key = KeyOf(peer);
  auto it = h2_.find(key);
  if (it == h2_.end()) {
    it = h2_.emplace(Key{std::string(key.host), key.port, key.tls_id}, H2Target()).first;
  }
  H2Target& target = it->second;
  // The oldest connection with a free slot first: requests gather on few connections.
  for (H2ClientConnection* conn : target.conns) {
    if (conn->CanTakeStream(target.stream_limit)) return conn->NewStream(handler, timeouts);
  }
  auto* conn = new H2ClientConnection(worker_, this, peer, timeouts);
  target.conns.push_back(conn);
  return conn->NewStream(handler, timeouts);
}

void ConnectionPool::Forget(H2ClientConnection* conn) {
  auto it = h2_.find(KeyView{conn->host(), conn->port(), conn->tls_id()});
  if (it != h2_.end()) {
    auto& conns = it->second.conns;
    conns.erase(std::remove(conns.begin(), conns.end(), conn), conns.end());
  }
  worker_->DeferDelete(std::unique_ptr<Deferrable>(conn));
}

void ConnectionPool::NoteStreamLimit(const H2ClientConnection* conn, uint32_t limit) {
  auto it = h2_.find(KeyView{conn->host(), conn->port(), conn->tls_id()});
  if (it != h2_.end()) it->second.stream_limit = limit == 0 ? 1 : limit;
}

size_t ConnectionPool::h2_connection_count() const {
  size_t n = 0;
  for (const auto& [key, target] : h2_) n += target.conns.size();
  return n;
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [key, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace sluice
