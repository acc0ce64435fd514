#pragma once
// ConfigSet: every configuration resource of one version, keyed by kind and id.
//
// The control plane keeps its committed state in one; the data plane rebuilds one from the
// snapshots and deltas it receives (and from its cache file) before compiling it for the request
// path. Keeping one representation on both sides is what lets tests compare them directly.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "sluice/discovery/v1/discovery.pb.h"

namespace sluice {

using Resource = ::sluice::discovery::v1::Resource;
using ResourceKind = ::sluice::discovery::v1::ResourceKind;
using ResourceKey = ::sluice::discovery::v1::ResourceKey;

// Kinds in dependency order: a resource only references kinds that come before it (and models
// other models).
inline constexpr std::array<ResourceKind, 11> kAllKinds = {
    discovery::v1::CA_CERTIFICATE, discovery::v1::CERTIFICATE, discovery::v1::SERVICE,
    discovery::v1::UPSTREAM,       discovery::v1::TARGET,      discovery::v1::CONSUMER,
    discovery::v1::KEY_AUTH_CREDENTIAL, discovery::v1::ROUTE,  discovery::v1::PLUGIN,
    discovery::v1::PROVIDER,       discovery::v1::MODEL};
// One more than the largest ResourceKind value: the size of arrays indexed by kind.
inline constexpr size_t kKindSlots = discovery::v1::ResourceKind_MAX + 1;

ResourceKind KindOf(const Resource& r);
const std::string& IdOf(const Resource& r);
// "service", "route", ... (stable; used for RocksDB column family names and messages).
std::string_view KindName(ResourceKind kind);

class ConfigSet {
 public:
  using Map = std::map<std::string, Resource>;

  uint64_t version() const { return version_; }
  void set_version(uint64_t v) { version_ = v; }

  const Map& Of(ResourceKind kind) const { return maps_[Index(kind)]; }
  const Resource* Find(ResourceKind kind, std::string_view id) const;
  void Put(Resource r);
  bool Remove(ResourceKind kind, std::string_view id);
  size_t size() const;

  // Applies a SNAPSHOT (replacing everything) or a DELTA (which must apply on top of version()).
  // On error nothing is changed.
  absl::Status Apply(const discovery::v1::DiscoveryResponse& response);

  // Every reference (route→service, target→upstream, credential→consumer, plugin→scope,
  // service→CA certificates and client certificate, model→provider and models) names an id that
  // exists.
  absl::Status CheckReferences() const;

  void AppendAll(google::protobuf::RepeatedPtrField<Resource>* out) const;

  bool operator==(const ConfigSet& other) const;

 private:
  static size_t Index(ResourceKind kind);
  uint64_t version_ = 0;
  std::array<Map, kKindSlots> maps_;
};

}  // namespace sluice
