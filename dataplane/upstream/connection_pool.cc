#include "dataplane/upstream/connection_pool.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sluice {

ConnectionPool::~ConnectionPool() {
  for (auto& [key, conns] : idle_) {
    for (UpstreamConnection* c : conns) delete c;
  }
}

UpstreamConnection* ConnectionPool::Acquire(const std::string& host, int port,
                                            UpstreamHandler* handler,
                                            const UpstreamTimeouts& timeouts) {
  std::string key = absl::StrCat(host, ":", port);
  auto it = idle_.find(key);
  if (it != idle_.end() && !it->second.empty()) {
    // Most recently used first: it is the least likely to have been closed by the upstream.
    UpstreamConnection* conn = it->second.back();
    it->second.pop_back();
    conn->Attach(handler, timeouts);
    return conn;
  }
  auto* conn = new UpstreamConnection(worker_, this, std::move(key), host, port);
  conn->Connect(handler, timeouts);
  return conn;
}

void ConnectionPool::Park(UpstreamConnection* conn) {
  auto& conns = idle_[conn->key()];
  if (conns.size() >= kMaxIdlePerTarget) {
    conn->Close();
    worker_->DeferDelete(std::unique_ptr<Deferrable>(conn));
    return;
  }
  conns.push_back(conn);
  conn->StartIdle();
}

void ConnectionPool::Forget(UpstreamConnection* conn) {
  auto it = idle_.find(conn->key());
  if (it != idle_.end()) {
    auto& conns = it->second;
    conns.erase(std::remove(conns.begin(), conns.end(), conn), conns.end());
  }
  worker_->DeferDelete(std::unique_ptr<Deferrable>(conn));
}

size_t ConnectionPool::idle_count() const {
  size_t n = 0;
  for (const auto& [key, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace sluice
