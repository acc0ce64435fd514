#include "controlplane/store/config_index.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::controlplane {

namespace dv = discovery::v1;

std::string ConfigIndex::TargetKey(std::string_view upstream_id, std::string_view target) {
  return absl::StrCat(Sv(upstream_id), " ", Sv(target));
}

std::string ConfigIndex::PluginScopeKey(std::string_view name, std::string_view service_id,
                                        std::string_view route_id,
                                        std::string_view consumer_id) {
  return absl::StrCat(Sv(name), " s=", Sv(service_id), " r=", Sv(route_id), " c=",
                      Sv(consumer_id));
}

std::vector<ConfigIndex::UniqueKey> ConfigIndex::UniqueKeysOf(const Resource& r) {
  std::vector<UniqueKey> keys;
  auto add = [&keys](std::string field, const std::string& value) {
    if (!value.empty()) keys.emplace_back(std::move(field), value);
  };
  switch (r.resource_case()) {
    case Resource::kService: add("name", r.service().name()); break;
    case Resource::kRoute: add("name", r.route().name()); break;
    case Resource::kUpstream: add("name", r.upstream().name()); break;
    case Resource::kConsumer:
      add("username", r.consumer().username());
      add("custom_id", r.consumer().custom_id());
      break;
    case Resource::kTarget:
      add("target", TargetKey(r.target().upstream().id(), r.target().target()));
      break;
    case Resource::kKeyAuthCredential: add("key_hash", r.key_auth_credential().key_hash()); break;
    case Resource::kPlugin: {
      const auto& p = r.plugin();
      add("scope",
          PluginScopeKey(p.name(), p.service().id(), p.route().id(), p.consumer().id()));
      break;
    }
    case Resource::kCertificate:
      add("name", r.certificate().name());
      for (const std::string& sni : r.certificate().snis()) add("sni", sni);
      break;
    case Resource::kCaCertificate: add("name", r.ca_certificate().name()); break;
    case Resource::kProvider: add("name", r.provider().name()); break;
    case Resource::kModel: add("name", r.model().name()); break;
    case Resource::RESOURCE_NOT_SET: break;
  }
  return keys;
}

std::vector<std::pair<ResourceKind, std::string>> ConfigIndex::ParentsOf(const Resource& r) {
  std::vector<std::pair<ResourceKind, std::string>> parents;
  auto add = [&parents](ResourceKind kind, const std::string& id) {
    if (!id.empty()) parents.emplace_back(kind, id);
  };
  switch (r.resource_case()) {
    case Resource::kRoute: add(dv::SERVICE, r.route().service().id()); break;
    case Resource::kTarget: add(dv::UPSTREAM, r.target().upstream().id()); break;
    case Resource::kKeyAuthCredential:
      add(dv::CONSUMER, r.key_auth_credential().consumer().id());
      break;
    case Resource::kPlugin:
      add(dv::SERVICE, r.plugin().service().id());
      add(dv::ROUTE, r.plugin().route().id());
      add(dv::CONSUMER, r.plugin().consumer().id());
      break;
    case Resource::kService:
      for (const std::string& ca : r.service().ca_certificates()) add(dv::CA_CERTIFICATE, ca);
      add(dv::CERTIFICATE, r.service().client_certificate().id());
      break;
    case Resource::kModel:
      add(dv::PROVIDER, r.model().provider().id());
      for (const auto& f : r.model().fallbacks()) add(dv::MODEL, f.id());
      for (const auto& e : r.model().split()) add(dv::MODEL, e.model().id());
      break;
    default: break;
  }
  return parents;
}

std::string ConfigIndex::UniqueSlot(std::string_view field, std::string_view value) {
  return absl::StrCat(Sv(field), "\n", Sv(value));
}

std::string ConfigIndex::ChildrenSlot(ResourceKind parent_kind, std::string_view parent_id,
                                      ResourceKind child_kind) {
  return absl::StrCat(static_cast<int>(parent_kind), "\n", Sv(parent_id), "\n",
                      static_cast<int>(child_kind));
}

void ConfigIndex::Add(const Resource& r) {
  const ResourceKind kind = KindOf(r);
  const std::string& id = IdOf(r);
  for (const auto& [field, value] : UniqueKeysOf(r))
    unique_[static_cast<size_t>(kind)][UniqueSlot(field, value)] = id;
  for (const auto& [parent_kind, parent_id] : ParentsOf(r))
    children_[ChildrenSlot(parent_kind, parent_id, kind)].insert(id);
}

void ConfigIndex::Remove(const Resource& r) {
  const ResourceKind kind = KindOf(r);
  const std::string& id = IdOf(r);
  auto& unique = unique_[static_cast<size_t>(kind)];
  for (const auto& [field, value] : UniqueKeysOf(r)) {
    auto it = unique.find(UniqueSlot(field, value));
    if (it != unique.end() && it->second == id) unique.erase(it);
  }
  for (const auto& [parent_kind, parent_id] : ParentsOf(r)) {
    auto it = children_.find(ChildrenSlot(parent_kind, parent_id, kind));
    if (it == children_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) children_.erase(it);
  }
}

void ConfigIndex::Clear() {
  for (auto& m : unique_) m.clear();
  children_.clear();
}

const std::string* ConfigIndex::FindUnique(ResourceKind kind, std::string_view field,
                                           std::string_view value) const {
  const auto& unique = unique_[static_cast<size_t>(kind) % unique_.size()];
  auto it = unique.find(UniqueSlot(field, value));
  return it == unique.end() ? nullptr : &it->second;
}

const std::set<std::string>& ConfigIndex::Children(ResourceKind parent_kind,
                                                   std::string_view parent_id,
                                                   ResourceKind child_kind) const {
  static const std::set<std::string> kNone;
  auto it = children_.find(ChildrenSlot(parent_kind, parent_id, child_kind));
  return it == children_.end() ? kNone : it->second;
}

}  // namespace sluice::controlplane
