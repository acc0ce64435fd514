#include "controlplane/xds/node_registry.h"

namespace sluice::controlplane {

void NodeRegistry::Connected(const std::string& node_id, const std::string& hostname,
                             const std::string& build_version, const std::string& address,
                             int64_t now) {
  absl::MutexLock lock(&mu_);
  Node& n = nodes_[node_id];
  n.info.node_id = node_id;
  n.info.hostname = hostname;
  n.info.build_version = build_version;
  n.info.address = address;
  if (n.streams++ == 0) n.info.connected_since = now;
  n.info.connected = true;
  n.info.last_seen = now;
}

void NodeRegistry::Seen(const std::string& node_id, int64_t now) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it != nodes_.end()) it->second.info.last_seen = now;
}

void NodeRegistry::Acked(const std::string& node_id, uint64_t version, int64_t now) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  it->second.info.last_acked_version = version;
  it->second.info.last_seen = now;
}

void NodeRegistry::Nacked(const std::string& node_id, uint64_t version,
                          const std::string& message, int64_t now) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  it->second.info.last_nack = NackRecord{version, message, now};
  it->second.info.last_seen = now;
}

void NodeRegistry::Disconnected(const std::string& node_id, int64_t now) {
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  Node& n = it->second;
  if (n.streams > 0) --n.streams;
  n.info.connected = n.streams > 0;
  n.info.last_seen = now;
}

std::vector<DataplaneInfo> NodeRegistry::List(int64_t now) {
  absl::MutexLock lock(&mu_);
  std::vector<DataplaneInfo> out;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    const DataplaneInfo& info = it->second.info;
    if (!info.connected && now - info.last_seen > kForgetAfterSeconds) {
      it = nodes_.erase(it);
      continue;
    }
    out.push_back(info);
    if (info.connected) out.back().last_seen = now;
    ++it;
  }
  return out;
}

size_t NodeRegistry::ConnectedCount() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [id, node] : nodes_) n += node.info.connected ? 1 : 0;
  return n;
}

}  // namespace sluice::controlplane
