#pragma once
// ConnectionPool: a worker's keep-alive connections to upstream targets, keyed by "host:port".
// Connections are owned by the pool while idle and by their request while in use.
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "dataplane/upstream/upstream_connection.h"

namespace sluice {

class ConnectionPool {
 public:
  static constexpr size_t kMaxIdlePerTarget = 256;
  static constexpr uint32_t kIdleTimeoutMs = 60000;

  explicit ConnectionPool(Worker* worker) : worker_(worker) {}
  ~ConnectionPool();

  // An idle connection to host:port (attached to `handler`, which gets OnUpstreamConnected at
  // once), or a new one that is connecting.
  UpstreamConnection* Acquire(const std::string& host, int port, UpstreamHandler* handler,
                              const UpstreamTimeouts& timeouts);
  // Called by a connection that became idle; the pool owns it from now on.
  void Park(UpstreamConnection* conn);
  // Called by an idle connection that the upstream closed, or that timed out.
  void Forget(UpstreamConnection* conn);

  size_t idle_count() const;

 private:
  Worker* worker_;
  absl::flat_hash_map<std::string, std::deque<UpstreamConnection*>> idle_;
};

}  // namespace sluice
