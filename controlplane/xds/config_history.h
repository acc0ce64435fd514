#pragma once
// ConfigHistory: the current configuration plus a bounded log of which resources each recent
// version touched, so a stream that was last sent version N gets one DELTA carrying the latest
// state of everything changed since N, or a SNAPSHOT when the log no longer reaches back to N.
//
// Not thread-safe; the xDS server guards it with its own mutex.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "common/config_set.h"
#include "controlplane/store/store.h"
#include "sluice/discovery/v1/discovery.pb.h"

namespace sluice::controlplane {

class ConfigHistory {
 public:
  explicit ConfigHistory(size_t max_versions = 10000) : max_versions_(max_versions) {}

  // Starts over from `current`: no earlier version can be reached by a delta.
  void Reset(ConfigSet current);
  // Applies a committed change. `version` is normally version() + 1; anything else (a gap)
  // resets the log so streams behind get a snapshot.
  void Record(uint64_t version, const ChangeSet& change);

  uint64_t version() const { return current_.version(); }
  const ConfigSet& current() const { return current_; }
  // The oldest version a DELTA can start from.
  uint64_t oldest_base() const { return oldest_base_; }

  // What to send to a stream last sent `from_version`: a DELTA from it to version() when the
  // log covers it, else (or when `force_snapshot`) a SNAPSHOT of version(). Nonce is left empty.
  discovery::v1::DiscoveryResponse Build(uint64_t from_version, bool force_snapshot) const;
  discovery::v1::DiscoveryResponse BuildSnapshot() const;

 private:
  struct Entry {
    uint64_t version;
    std::vector<ResourceKey> touched;
  };

  size_t max_versions_;
  ConfigSet current_;
  uint64_t oldest_base_ = 0;
  std::deque<Entry> log_;
};

}  // namespace sluice::controlplane
