#pragma once
// Secondary indexes over a ConfigSet: unique keys (names, usernames, key hashes, plugin scopes)
// and reverse references (which routes use a service, which targets belong to an upstream...).
// The Store keeps one in step with every commit so the admin API answers lookups, conflict
// checks and cascades without scanning.
#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/config_set.h"

namespace sluice::controlplane {

class ConfigIndex {
 public:
  // A unique key of a resource: (field, value). Fields: "name" (service, route, upstream,
  // certificate, CA certificate, provider, model), "username" and "custom_id" (consumer),
  // "target" (TargetKey), "key_hash" (credential), "scope" (PluginScopeKey), "sni" (one per
  // name a certificate serves).
  using UniqueKey = std::pair<std::string, std::string>;

  static std::vector<UniqueKey> UniqueKeysOf(const Resource& r);
  // (parent kind, parent id) for every reference the resource holds.
  static std::vector<std::pair<ResourceKind, std::string>> ParentsOf(const Resource& r);

  // A target string is unique within its upstream.
  static std::string TargetKey(std::string_view upstream_id, std::string_view target);
  // At most one plugin of a name per exact scope (global, service, route, consumer, or a mix).
  static std::string PluginScopeKey(std::string_view name, std::string_view service_id,
                                    std::string_view route_id, std::string_view consumer_id);

  void Add(const Resource& r);
  // `r` must be the indexed version of the resource (the one previously added).
  void Remove(const Resource& r);
  void Clear();

  // The id of the `kind` resource whose unique `field` equals `value`, or nullptr.
  const std::string* FindUnique(ResourceKind kind, std::string_view field,
                                std::string_view value) const;
  // Ids (ordered) of the `child_kind` resources that reference (parent_kind, parent_id).
  const std::set<std::string>& Children(ResourceKind parent_kind, std::string_view parent_id,
                                        ResourceKind child_kind) const;

 private:
  static std::string UniqueSlot(std::string_view field, std::string_view value);
  static std::string ChildrenSlot(ResourceKind parent_kind, std::string_view parent_id,
                                  ResourceKind child_kind);

  std::array<std::unordered_map<std::string, std::string>, kKindSlots> unique_;
  std::map<std::string, std::set<std::string>, std::less<>> children_;
};

}  // namespace sluice::controlplane
