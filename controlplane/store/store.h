#pragma once
// Store: the control plane's committed configuration, persisted in RocksDB.
//
// One column family per resource kind (named by KindName), values are serialized
// sluice.discovery.v1.Resource keyed by id, and the default column family holds the config
// version. Every Commit is one synced WriteBatch that also bumps the version, so a change is
// either durable with its version or absent. The whole configuration is loaded into memory at
// Open and kept in step with each commit; reads never touch RocksDB.
//
// Not thread-safe: one thread (the admin loop) reads and commits. Other threads learn about
// commits through CommitObserver.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config_set.h"
#include "controlplane/store/config_index.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace sluice::controlplane {

// The resources one admin write adds or replaces and the ones it deletes.
struct ChangeSet {
  std::vector<Resource> upserts;
  std::vector<ResourceKey> removes;

  bool empty() const { return upserts.empty() && removes.empty(); }
};

class CommitObserver {
 public:
  virtual ~CommitObserver() = default;
  // Called on the committing thread right after `change` became durable as `version`. Must not
  // block: hand work to other threads.
  virtual void OnCommit(uint64_t version, const ChangeSet& change) = 0;
};

class Store {
 public:
  // Opens (creating if needed) the database in `data_dir` and loads it.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& data_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const ConfigSet& config() const { return config_; }
  const ConfigIndex& index() const { return index_; }
  uint64_t version() const { return config_.version(); }
  const std::string& data_dir() const { return data_dir_; }
  // False after a write failed (disk full, I/O error) until a later write succeeds.
  bool healthy() const { return healthy_; }

  // Writes `change` and the next version in one synced batch, then applies it in memory and
  // tells the observer. Returns the new version. On error nothing changes.
  absl::StatusOr<uint64_t> Commit(const ChangeSet& change);

  // At most one observer (the xDS server); nullptr detaches.
  void SetObserver(CommitObserver* observer) { observer_ = observer; }

 private:
  Store() = default;
  absl::Status Load();
  rocksdb::ColumnFamilyHandle* HandleFor(ResourceKind kind) const;

  std::string data_dir_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  // Indexed by ResourceKind value; [0] unused.
  std::vector<rocksdb::ColumnFamilyHandle*> kind_cfs_;
  // Every handle opened (including column families of kinds this build does not know).
  std::vector<rocksdb::ColumnFamilyHandle*> all_cfs_;
  ConfigSet config_;
  ConfigIndex index_;
  bool healthy_ = true;
  CommitObserver* observer_ = nullptr;
};

}  // namespace sluice::controlplane
