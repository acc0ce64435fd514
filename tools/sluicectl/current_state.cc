#include "tools/sluicectl/current_state.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::sluicectl {

namespace {

struct Section {
  std::string_view name;
  EntityKind kind;
};
constexpr Section kSections[] = {
    {"services", EntityKind::kService},   {"routes", EntityKind::kRoute},
    {"upstreams", EntityKind::kUpstream}, {"targets", EntityKind::kTarget},
    {"consumers", EntityKind::kConsumer}, {"key_auth_credentials", EntityKind::kCredential},
    {"plugins", EntityKind::kPlugin},     {"certificates", EntityKind::kCertificate},
    {"ca_certificates", EntityKind::kCaCertificate}, {"providers", EntityKind::kProvider},
    {"models", EntityKind::kModel},
};

}  // namespace

absl::StatusOr<CurrentState> CurrentState::FromConfigJson(std::string_view json) {
  absl::StatusOr<JsonObject> root = ParseJsonObject(json);
  if (!root.ok()) {
    return absl::InternalError(absl::StrCat("GET /config: unexpected answer (",
                                            std::string(root.status().message()), ")"));
  }
  CurrentState state;
  const JsonValue* version = Member(*root, "version");
  if (version == nullptr || version->kind_case() != JsonValue::kNumberValue)
    return absl::InternalError("GET /config: the answer has no version");
  state.version_ = static_cast<int64_t>(version->number_value());
  for (const Section& s : kSections) {
    const JsonValue* list = Member(*root, s.name);
    if (list == nullptr) continue;  // a kind this control plane does not have yet
    if (list->kind_case() != JsonValue::kListValue) {
      return absl::InternalError(absl::StrCat("GET /config: ", Sv(s.name), " is not a list"));
    }
    for (const JsonValue& item : list->list_value().values()) {
      if (item.kind_case() != JsonValue::kStructValue) {
        return absl::InternalError(
            absl::StrCat("GET /config: an item of ", Sv(s.name), " is not an object"));
      }
      state.entities_[static_cast<int>(s.kind)].push_back(item.struct_value());
    }
  }
  state.Index();
  return state;
}

void CurrentState::Index() {
  for (int k = 0; k < kEntityKinds; ++k) {
    const EntityKind kind = static_cast<EntityKind>(k);
    const std::string_view name_field = NameField(kind);
    for (const JsonObject& e : Of(kind)) {
      by_id_[{kind, StringMember(e, "id")}] = &e;
      if (name_field.empty()) continue;
      std::string name = StringMember(e, name_field);
      if (!name.empty()) by_name_[{kind, name}] = &e;
    }
  }
}

const std::vector<JsonObject>& CurrentState::Of(EntityKind kind) const {
  return entities_[static_cast<int>(kind)];
}

const JsonObject* CurrentState::FindById(EntityKind kind, const std::string& id) const {
  auto it = by_id_.find({kind, id});
  return it == by_id_.end() ? nullptr : it->second;
}

const JsonObject* CurrentState::FindByName(EntityKind kind, const std::string& name) const {
  auto it = by_name_.find({kind, name});
  return it == by_name_.end() ? nullptr : it->second;
}

std::string CurrentState::Resolve(EntityKind kind, const JsonObject& ref) const {
  std::string id = StringMember(ref, "id");
  if (!id.empty()) return FindById(kind, id) != nullptr ? id : "";
  std::string name = StringMember(ref, NameField(kind));
  if (name.empty()) name = StringMember(ref, "name");
  const JsonObject* found = name.empty() ? nullptr : FindByName(kind, name);
  return found == nullptr ? "" : StringMember(*found, "id");
}

std::string CurrentState::ResolveIdOrName(EntityKind kind, const std::string& id_or_name) const {
  if (FindById(kind, id_or_name) != nullptr) return id_or_name;
  const JsonObject* found = FindByName(kind, id_or_name);
  return found == nullptr ? "" : StringMember(*found, "id");
}

std::string CurrentState::DisplayName(EntityKind kind, const std::string& id) const {
  const JsonObject* e = FindById(kind, id);
  const std::string_view name_field = NameField(kind);
  if (e == nullptr || name_field.empty()) return id;
  std::string name = StringMember(*e, name_field);
  return name.empty() ? id : name;
}

std::vector<const JsonObject*> CurrentState::Children(EntityKind child_kind,
                                                      const std::string& parent_id) const {
  const std::string_view ref_field = child_kind == EntityKind::kTarget ? "upstream" : "consumer";
  std::vector<const JsonObject*> out;
  for (const JsonObject& e : Of(child_kind))
    if (RefId(e, ref_field) == parent_id) out.push_back(&e);
  return out;
}

std::string RefId(const JsonObject& entity, std::string_view field) {
  const JsonObject* ref = ObjectMember(entity, field);
  return ref == nullptr ? "" : StringMember(*ref, "id");
}

}  // namespace sluice::sluicectl
