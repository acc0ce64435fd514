#pragma once
// NodeRegistry: what the control plane knows about each data plane that opened a config stream
// (shown by GET /dataplanes). Thread-safe: streams update it, the admin loop reads it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sluice::controlplane {

struct NackRecord {
  uint64_t version = 0;  // the version the data plane refused
  std::string message;
  int64_t at = 0;  // unix seconds
};

struct DataplaneInfo {
  std::string node_id;
  std::string hostname;
  std::string address;
  std::string build_version;
  bool connected = false;
  int64_t connected_since = 0;
  int64_t last_seen = 0;
  uint64_t last_acked_version = 0;
  std::optional<NackRecord> last_nack;
};

class NodeRegistry {
 public:
  // Nodes neither connected nor seen within this many seconds are forgotten.
  static constexpr int64_t kForgetAfterSeconds = 24 * 3600;

  void Connected(const std::string& node_id, const std::string& hostname,
                 const std::string& build_version, const std::string& address, int64_t now);
  void Seen(const std::string& node_id, int64_t now);
  void Acked(const std::string& node_id, uint64_t version, int64_t now);
  void Nacked(const std::string& node_id, uint64_t version, const std::string& message,
              int64_t now);
  void Disconnected(const std::string& node_id, int64_t now);

  // Connected nodes and nodes seen in the last 24 h, ordered by node id. A connected node's
  // last_seen is `now`: its stream is alive (gRPC keepalive checks that).
  std::vector<DataplaneInfo> List(int64_t now);
  size_t ConnectedCount() const;

 private:
  struct Node {
    DataplaneInfo info;
    int streams = 0;  // a node may briefly hold two streams while it reconnects
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice::controlplane
