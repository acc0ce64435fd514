#include "common/config_set.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "google/protobuf/util/message_differencer.h"

namespace sluice {

using discovery::v1::DiscoveryResponse;
namespace dv = discovery::v1;

ResourceKind KindOf(const Resource& r) {
  switch (r.resource_case()) {
    case Resource::kService: return dv::SERVICE;
    case Resource::kRoute: return dv::ROUTE;
    case Resource::kUpstream: return dv::UPSTREAM;
    case Resource::kTarget: return dv::TARGET;
    case Resource::kConsumer: return dv::CONSUMER;
    case Resource::kKeyAuthCredential: return dv::KEY_AUTH_CREDENTIAL;
    case Resource::kPlugin: return dv::PLUGIN;
    case Resource::kCertificate: return dv::CERTIFICATE;
    case Resource::kCaCertificate: return dv::CA_CERTIFICATE;
    case Resource::kProvider: return dv::PROVIDER;
    case Resource::kModel: return dv::MODEL;
    case Resource::RESOURCE_NOT_SET: break;
  }
  return dv::RESOURCE_KIND_UNSPECIFIED;
}

const std::string& IdOf(const Resource& r) {
  static const std::string kEmpty;
  switch (r.resource_case()) {
    case Resource::kService: return r.service().id();
    case Resource::kRoute: return r.route().id();
    case Resource::kUpstream: return r.upstream().id();
    case Resource::kTarget: return r.target().id();
    case Resource::kConsumer: return r.consumer().id();
    case Resource::kKeyAuthCredential: return r.key_auth_credential().id();
    case Resource::kPlugin: return r.plugin().id();
    case Resource::kCertificate: return r.certificate().id();
    case Resource::kCaCertificate: return r.ca_certificate().id();
    case Resource::kProvider: return r.provider().id();
    case Resource::kModel: return r.model().id();
    case Resource::RESOURCE_NOT_SET: break;
  }
  return kEmpty;
}

std::string_view KindName(ResourceKind kind) {
  switch (kind) {
    case dv::SERVICE: return "service";
    case dv::ROUTE: return "route";
    case dv::UPSTREAM: return "upstream";
    case dv::TARGET: return "target";
    case dv::CONSUMER: return "consumer";
    case dv::KEY_AUTH_CREDENTIAL: return "key_auth_credential";
    case dv::PLUGIN: return "plugin";
    case dv::CERTIFICATE: return "certificate";
    case dv::CA_CERTIFICATE: return "ca_certificate";
    case dv::PROVIDER: return "provider";
    case dv::MODEL: return "model";
    default: return "unknown";
  }
}

size_t ConfigSet::Index(ResourceKind kind) {
  int k = static_cast<int>(kind);
  return (k > 0 && static_cast<size_t>(k) < kKindSlots) ? static_cast<size_t>(k) : 0;
}

const Resource* ConfigSet::Find(ResourceKind kind, std::string_view id) const {
  const Map& m = maps_[Index(kind)];
  auto it = m.find(std::string(id));
  return it == m.end() ? nullptr : &it->second;
}

void ConfigSet::Put(Resource r) {
  Map& m = maps_[Index(KindOf(r))];
  std::string id = IdOf(r);
  m.insert_or_assign(std::move(id), std::move(r));
}

bool ConfigSet::Remove(ResourceKind kind, std::string_view id) {
  return maps_[Index(kind)].erase(std::string(id)) > 0;
}

size_t ConfigSet::size() const {
  size_t n = 0;
  for (const Map& m : maps_) n += m.size();
  return n;
}

absl::Status ConfigSet::Apply(const DiscoveryResponse& response) {
  for (const Resource& r : response.resources()) {
    if (KindOf(r) == dv::RESOURCE_KIND_UNSPECIFIED || IdOf(r).empty())
      return absl::InvalidArgumentError("resource without kind or id");
  }
  if (response.kind() == DiscoveryResponse::SNAPSHOT) {
    ConfigSet next;
    for (const Resource& r : response.resources()) next.Put(r);
    next.version_ = response.version();
    *this = std::move(next);
    return absl::OkStatus();
  }
  if (response.kind() != DiscoveryResponse::DELTA)
    return absl::InvalidArgumentError("response is neither SNAPSHOT nor DELTA");
  if (response.base_version() != version_) {
    return absl::FailedPreconditionError(absl::StrCat("delta applies to version ",
                                                      response.base_version(), " but version ",
                                                      version_, " is held"));
  }
  for (const Resource& r : response.resources()) Put(r);
  for (const ResourceKey& k : response.removed()) Remove(k.kind(), k.id());
  version_ = response.version();
  return absl::OkStatus();
}

absl::Status ConfigSet::CheckReferences() const {
  auto need = [this](ResourceKind kind, const std::string& id, std::string_view what,
                     const std::string& owner) -> absl::Status {
    if (id.empty() || Find(kind, id) != nullptr) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(Sv(what), " ", owner, " references missing ", Sv(KindName(kind)), " ", id));
  };
  for (const auto& [id, r] : Of(dv::ROUTE)) {
    if (r.route().service().id().empty())
      return absl::FailedPreconditionError(absl::StrCat("route ", id, " has no service"));
    if (auto s = need(dv::SERVICE, r.route().service().id(), "route", id); !s.ok()) return s;
  }
  for (const auto& [id, r] : Of(dv::TARGET)) {
    if (auto s = need(dv::UPSTREAM, r.target().upstream().id(), "target", id); !s.ok()) return s;
  }
  for (const auto& [id, r] : Of(dv::KEY_AUTH_CREDENTIAL)) {
    if (auto s = need(dv::CONSUMER, r.key_auth_credential().consumer().id(), "credential", id);
        !s.ok())
      return s;
  }
  for (const auto& [id, r] : Of(dv::PLUGIN)) {
    const auto& p = r.plugin();
    if (auto s = need(dv::SERVICE, p.service().id(), "plugin", id); !s.ok()) return s;
    if (auto s = need(dv::ROUTE, p.route().id(), "plugin", id); !s.ok()) return s;
    if (auto s = need(dv::CONSUMER, p.consumer().id(), "plugin", id); !s.ok()) return s;
  }
  for (const auto& [id, r] : Of(dv::SERVICE)) {
    const auto& s = r.service();
    for (const std::string& ca : s.ca_certificates()) {
      if (ca.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("service ", id, " lists an empty CA certificate id"));
      }
      if (auto st = need(dv::CA_CERTIFICATE, ca, "service", id); !st.ok()) return st;
    }
    if (auto st = need(dv::CERTIFICATE, s.client_certificate().id(), "service", id); !st.ok())
      return st;
  }
  for (const auto& [id, r] : Of(dv::MODEL)) {
    const auto& m = r.model();
    if (auto s = need(dv::PROVIDER, m.provider().id(), "model", id); !s.ok()) return s;
    for (const auto& f : m.fallbacks()) {
      if (f.id().empty())
        return absl::FailedPreconditionError(absl::StrCat("model ", id, " has an empty fallback"));
      if (auto s = need(dv::MODEL, f.id(), "model", id); !s.ok()) return s;
    }
    for (const auto& e : m.split()) {
      if (e.model().id().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("model ", id, " has an empty split entry"));
      }
      if (auto s = need(dv::MODEL, e.model().id(), "model", id); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

void ConfigSet::AppendAll(google::protobuf::RepeatedPtrField<Resource>* out) const {
  for (ResourceKind kind : kAllKinds) {
    for (const auto& [id, r] : Of(kind)) *out->Add() = r;
  }
}

bool ConfigSet::operator==(const ConfigSet& other) const {
  if (version_ != other.version_) return false;
  for (size_t i = 0; i < maps_.size(); ++i) {
    if (maps_[i].size() != other.maps_[i].size()) return false;
    auto a = maps_[i].begin();
    auto b = other.maps_[i].begin();
    for (; a != maps_[i].end(); ++a, ++b) {
      if (a->first != b->first ||
          !google::protobuf::util::MessageDifferencer::Equals(a->second, b->second))
        return false;
    }
  }
  return true;
}

}  // namespace sluice
