#include "controlplane/store/store.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace sluice::controlplane {

namespace {

constexpr char kVersionKey[] = "config_version";

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string detail = s.ToString();
  if (s.IsIOError() && detail.find("lock") != std::string::npos) {
    return absl::UnavailableError(absl::StrCat(
        Sv(what), ": the data dir is locked; is another sluice-controlplane using it? (", detail,
        ")"));
  }
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(Sv(what), ": ", detail));
  return absl::UnavailableError(absl::StrCat(Sv(what), ": ", detail));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& data_dir) {
  std::unique_ptr<Store> store(new Store());
  store->data_dir_ = data_dir;

  // RocksDB creates only the last path component; make "--data-dir a/b/c" work too. Failures
  // surface from DB::Open with RocksDB's message.
  std::error_code ignored;
  std::filesystem::create_directories(data_dir, ignored);

  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.keep_log_file_num = 5;

  // Open every column family already present (a newer build may have added kinds), plus ours.
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, data_dir, &names).ok()) names.clear();
  auto add_name = [&names](const std::string& n) {
    for (const auto& x : names)
      if (x == n) return;
    names.push_back(n);
  };
  add_name(rocksdb::kDefaultColumnFamilyName);
  for (ResourceKind kind : kAllKinds) add_name(std::string(KindName(kind)));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, data_dir, descriptors, &handles, &raw),
                            absl::StrCat("cannot open the data dir '", data_dir, "'")));
  store->db_.reset(raw);
  store->all_cfs_ = handles;
  store->kind_cfs_.assign(kKindSlots, nullptr);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == rocksdb::kDefaultColumnFamilyName) store->default_cf_ = handles[i];
    for (ResourceKind kind : kAllKinds) {
      if (names[i] == KindName(kind)) store->kind_cfs_[static_cast<size_t>(kind)] = handles[i];
    }
  }
  RETURN_IF_ERROR(store->Load());
  return store;
}

Store::~Store() {
  if (!db_) return;
  for (auto* h : all_cfs_) db_->DestroyColumnFamilyHandle(h);
  rocksdb::Status s = db_->Close();
  if (!s.ok()) LOG_WARN("closing the store: ", s.ToString());
}

rocksdb::ColumnFamilyHandle* Store::HandleFor(ResourceKind kind) const {
  size_t i = static_cast<size_t>(kind);
  return i < kind_cfs_.size() ? kind_cfs_[i] : nullptr;
}

absl::Status Store::Load() {
  ConfigSet loaded;
  std::string version_text;
  rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), default_cf_, kVersionKey, &version_text);
  uint64_t version = 0;
  if (got.ok()) {
    if (!absl::SimpleAtoi(version_text, &version))
      return absl::DataLossError(absl::StrCat("stored config_version is not a number: '",
                                              version_text, "'"));
  } else if (!got.IsNotFound()) {
    return FromRocks(got, "reading config_version");
  }
  loaded.set_version(version);

  for (ResourceKind kind : kAllKinds) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), HandleFor(kind)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Resource r;
      // A record we cannot read would silently vanish from every data plane; refuse to start.
      if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
          KindOf(r) != kind || IdOf(r) != it->key().ToStringView()) {
        return absl::DataLossError(absl::StrCat("corrupt record in column family '",
                                                Sv(KindName(kind)), "', key '",
                                                it->key().ToString(), "'"));
      }
      loaded.Put(std::move(r));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the store"));
  }

  index_.Clear();
  for (ResourceKind kind : kAllKinds) {
    for (const auto& [id, r] : loaded.Of(kind)) index_.Add(r);
  }
  config_ = std::move(loaded);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Store::Commit(const ChangeSet& change) {
  const uint64_t next = config_.version() + 1;
  rocksdb::WriteBatch batch;
  for (const Resource& r : change.upserts) {
    rocksdb::ColumnFamilyHandle* cf = HandleFor(KindOf(r));
    if (cf == nullptr || IdOf(r).empty())
      return absl::InvalidArgumentError("resource without kind or id");
    RETURN_IF_ERROR(FromRocks(batch.Put(cf, IdOf(r), r.SerializeAsString()), "batch put"));
  }
  for (const ResourceKey& k : change.removes) {
    rocksdb::ColumnFamilyHandle* cf = HandleFor(k.kind());
    if (cf == nullptr) return absl::InvalidArgumentError("removal without kind");
    RETURN_IF_ERROR(FromRocks(batch.Delete(cf, k.id()), "batch delete"));
  }
  RETURN_IF_ERROR(
      FromRocks(batch.Put(default_cf_, kVersionKey, absl::StrCat(next)), "batch put version"));

  rocksdb::WriteOptions options;
  options.sync = true;  // durable before the admin API answers
  if (absl::Status s = FromRocks(db_->Write(options, &batch), "writing the store"); !s.ok()) {
    healthy_ = false;
    LOG_ERROR(s.message());
    return s;
  }
  healthy_ = true;

  for (const ResourceKey& k : change.removes) {
    if (const Resource* old = config_.Find(k.kind(), k.id())) {
      index_.Remove(*old);
      config_.Remove(k.kind(), k.id());
    }
  }
  for (const Resource& r : change.upserts) {
    if (const Resource* old = config_.Find(KindOf(r), IdOf(r))) index_.Remove(*old);
    index_.Add(r);
    config_.Put(r);
  }
  config_.set_version(next);
  if (observer_ != nullptr) observer_->OnCommit(next, change);
  return next;
}

}  // namespace sluice::controlplane
