#pragma once
// What the control plane holds, as GET /config answers it: one consistent snapshot of every
// entity and the config version it is.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/sluicectl/entity_kind.h"
#include "tools/sluicectl/json_value.h"

namespace sluice::sluicectl {

class CurrentState {
 public:
  // Parses GET /config's answer.
  static absl::StatusOr<CurrentState> FromConfigJson(std::string_view json);

  CurrentState() = default;
  // The indexes point into the lists: moving keeps them valid, copying would not.
  CurrentState(CurrentState&&) = default;
  CurrentState& operator=(CurrentState&&) = default;
  CurrentState(const CurrentState&) = delete;
  CurrentState& operator=(const CurrentState&) = delete;

  int64_t version() const { return version_; }
  const std::vector<JsonObject>& Of(EntityKind kind) const;

  // By id; nullptr when there is none.
  const JsonObject* FindById(EntityKind kind, const std::string& id) const;
  // By NameField(kind) (name, username); nullptr when there is none.
  const JsonObject* FindByName(EntityKind kind, const std::string& name) const;
  // The id the reference `ref` ({"id"}, {"name"}, {"username"}) of kind `kind` resolves to;
  // "" when it names nothing that exists.
  std::string Resolve(EntityKind kind, const JsonObject& ref) const;
  // The id of the entity of `kind` whose id, else name, is `id_or_name`; "" when none.
  std::string ResolveIdOrName(EntityKind kind, const std::string& id_or_name) const;
  // How to show entity `id` of `kind` to people: its name when it has one, else its id.
  std::string DisplayName(EntityKind kind, const std::string& id) const;

  // Targets of upstream `upstream_id`, credentials of consumer `consumer_id`.
  std::vector<const JsonObject*> Children(EntityKind child_kind,
                                          const std::string& parent_id) const;

 private:
  void Index();

  int64_t version_ = -1;
  std::vector<JsonObject> entities_[kEntityKinds];
  std::map<std::pair<EntityKind, std::string>, const JsonObject*> by_id_, by_name_;
};

// The id inside a reference as the control plane shows it ({"id": "..."} or null); "" if unset.
std::string RefId(const JsonObject& entity, std::string_view field);

}  // namespace sluice::sluicectl
