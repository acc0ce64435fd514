#pragma once
// The kinds of entity sluicectl manages, with the names the admin API and the file use for them.
#include <string_view>

namespace sluice::sluicectl {

enum class EntityKind {
  kService,
  kRoute,
  kUpstream,
  kTarget,
  kConsumer,
  kCredential,
  kPlugin,
  kCertificate,
  kCaCertificate,
  kProvider,
  kModel,
};
inline constexpr int kEntityKinds = static_cast<int>(EntityKind::kModel) + 1;

// "service", "key-auth credential": for messages.
std::string_view Singular(EntityKind kind);
// "services": the admin API collection and the section of the declarative file ("" for the
// nested kinds, targets and credentials).
std::string_view Collection(EntityKind kind);
// The unique field an entity is addressed by besides its id: "name", "username", or "" (by id
// only).
std::string_view NameField(EntityKind kind);
// The kind a single reference field ("service", "route", "consumer", "upstream", "provider",
// "client_certificate") points to. Lists of references (a model's fallbacks and split, a
// service's ca_certificates) are not reference fields here.
bool RefKind(std::string_view field, EntityKind* kind);

}  // namespace sluice::sluicectl
