#include "controlplane/xds/config_history.h"

#include <set>
#include <utility>

namespace sluice::controlplane {

using discovery::v1::DiscoveryResponse;

namespace {

// Position of a kind in dependency order, so deltas list services before the routes using them.
size_t KindRank(ResourceKind kind) {
  for (size_t i = 0; i < kAllKinds.size(); ++i)
    if (kAllKinds[i] == kind) return i;
  return kAllKinds.size();
}

}  // namespace

void ConfigHistory::Reset(ConfigSet current) {
  current_ = std::move(current);
  oldest_base_ = current_.version();
  log_.clear();
}

void ConfigHistory::Record(uint64_t version, const ChangeSet& change) {
  for (const ResourceKey& k : change.removes) current_.Remove(k.kind(), k.id());
  for (const Resource& r : change.upserts) current_.Put(r);
  if (version != current_.version() + 1) {
    current_.set_version(version);
    oldest_base_ = version;
    log_.clear();
    return;
  }
  current_.set_version(version);
  Entry entry{version, {}};
  entry.touched.reserve(change.upserts.size() + change.removes.size());
  for (const Resource& r : change.upserts) {
    ResourceKey k;
    k.set_kind(KindOf(r));
    k.set_id(IdOf(r));
    entry.touched.push_back(std::move(k));
  }
  for (const ResourceKey& k : change.removes) entry.touched.push_back(k);
  log_.push_back(std::move(entry));
  while (log_.size() > max_versions_) {
    oldest_base_ = log_.front().version;
    log_.pop_front();
  }
}

DiscoveryResponse ConfigHistory::BuildSnapshot() const {
  DiscoveryResponse out;
  out.set_kind(DiscoveryResponse::SNAPSHOT);
  out.set_version(current_.version());
  current_.AppendAll(out.mutable_resources());
  return out;
}

DiscoveryResponse ConfigHistory::Build(uint64_t from_version, bool force_snapshot) const {
  if (force_snapshot || from_version < oldest_base_ || from_version > current_.version())
    return BuildSnapshot();

  // Versions are consecutive in the log, so the entries after from_version are a suffix.
  std::set<std::pair<size_t, std::string>> touched;
  for (auto it = log_.rbegin(); it != log_.rend() && it->version > from_version; ++it) {
    for (const ResourceKey& k : it->touched) touched.emplace(KindRank(k.kind()), k.id());
  }
  DiscoveryResponse out;
  out.set_kind(DiscoveryResponse::DELTA);
  out.set_base_version(from_version);
  out.set_version(current_.version());
  for (const auto& [rank, id] : touched) {
    if (rank >= kAllKinds.size()) continue;
    ResourceKind kind = kAllKinds[rank];
    if (const Resource* r = current_.Find(kind, id)) {
      *out.add_resources() = *r;
    } else {
      ResourceKey* k = out.add_removed();
      k->set_kind(kind);
      k->set_id(id);
    }
  }
  return out;
}

}  // namespace sluice::controlplane
