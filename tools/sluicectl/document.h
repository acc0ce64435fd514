#pragma once
// The declarative file `sluicectl apply` reads: YAML (or JSON) holding the sections services,
// routes, upstreams (with targets), consumers (with keyauth_credentials), plugins, certificates,
// ca_certificates, providers and models. Entities
// are written as the admin API takes them; this layer checks only what sluicectl itself relies
// on (shape, identities, duplicates) and leaves field validation to the control plane.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/sluicectl/entity_kind.h"
#include "tools/sluicectl/json_value.h"

namespace sluice::sluicectl {

struct DesiredTarget {
  JsonObject fields;   // as written
  std::string target;  // normalized as the control plane stores it: "host:8000" for "host"
  int line = 0;
};

struct DesiredCredential {
  std::string key;       // as written; empty when given by key_hash
  std::string key_hash;  // lower-case hex SHA-256 (of `key`, or as written)
  int line = 0;
};

struct DesiredEntity {
  EntityKind kind = EntityKind::kService;
  JsonObject fields;  // as written, without the nested lists below
  int line = 0;       // where it starts in the file (1-based)

  // Upstreams: `targets`. Consumers: `keyauth_credentials`. A list left out of the file is not
  // managed: sluicectl neither adds to it nor prunes it.
  bool targets_listed = false;
  std::vector<DesiredTarget> targets;
  bool credentials_listed = false;
  std::vector<DesiredCredential> credentials;

  // The name (username for consumers) the entity is addressed by, else its id. Empty for
  // plugins, which are matched by name and scope.
  std::string Key() const;
};

struct Document {
  std::vector<DesiredEntity> upstreams, services, routes, consumers, plugins;
  std::vector<DesiredEntity> certificates, ca_certificates, providers, models;
  // Top-level sections present in the file, even empty: the kinds --prune may delete from.
  std::set<EntityKind> sections;

  const std::vector<DesiredEntity>& Of(EntityKind kind) const;
};

// Errors are InvalidArgument with "<file_name>:<line>:<column>: <where>: <what>".
absl::StatusOr<Document> ParseDocument(std::string_view text, std::string_view file_name);

// "host" → "host:8000", as the control plane stores a target without a port.
std::string NormalizeTarget(std::string_view target);

}  // namespace sluice::sluicectl
