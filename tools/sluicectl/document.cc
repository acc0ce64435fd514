#include "tools/sluicectl/document.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/strings.h"
#include "tools/sluicectl/yaml_json.h"

namespace sluice::sluicectl {

namespace {

struct Section {
  std::string_view name;
  EntityKind kind;
};
constexpr Section kSections[] = {
    {"services", EntityKind::kService},   {"routes", EntityKind::kRoute},
    {"upstreams", EntityKind::kUpstream}, {"consumers", EntityKind::kConsumer},
    {"plugins", EntityKind::kPlugin},     {"certificates", EntityKind::kCertificate},
    {"ca_certificates", EntityKind::kCaCertificate}, {"providers", EntityKind::kProvider},
    {"models", EntityKind::kModel},
};
constexpr char kSectionList[] =
    "services, routes, upstreams, consumers, plugins, certificates, ca_certificates, providers, "
    "models";
constexpr std::string_view kScopeFields[] = {"service", "route", "consumer"};

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

class DocumentReader {
 public:
  explicit DocumentReader(std::string_view file_name) : file_name_(file_name) {}

  absl::StatusOr<Document> Read(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name_, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
    }
    if (root.IsNull() || !root.IsDefined()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name_, ": the file is empty; expected sections ", kSectionList));
    }
    if (!root.IsMap()) {
      return Fail(
          ProblemAt(root, "", absl::StrCat("expected a mapping with the sections ", kSectionList)));
    }
    std::set<std::string> seen;
    for (const auto& entry : root) {
      const YAML::Node& key = entry.first;
      const std::string name = key.IsScalar() ? key.Scalar() : "";
      const Section* section = nullptr;
      for (const Section& s : kSections)
        if (s.name == name) section = &s;
      if (section == nullptr) {
        return Fail(
            ProblemAt(key, name, absl::StrCat("unknown section; expected one of ", kSectionList)));
      }
      if (!seen.insert(name).second) return Fail(ProblemAt(key, name, "duplicate section"));
      doc_.sections.insert(section->kind);
      if (!ReadSection(*section, entry.second)) return Fail(problem_);
    }
    return std::move(doc_);
  }

 private:
  absl::Status Fail(const YamlProblem& p) const {
    std::string where = absl::StrCat(file_name_, ":");
    if (p.line > 0) absl::StrAppend(&where, p.line, ":", p.column, ":");
    return absl::InvalidArgumentError(
        absl::StrCat(where, " ", p.path.empty() ? "" : absl::StrCat(p.path, ": "), p.message));
  }

  bool Problem(const YAML::Node& node, std::string path, std::string message) {
    problem_ = ProblemAt(node, std::move(path), std::move(message));
    return false;
  }

  std::vector<DesiredEntity>* SectionList(EntityKind kind) {
    switch (kind) {
      case EntityKind::kService:
        return &doc_.services;
      case EntityKind::kRoute:
        return &doc_.routes;
      case EntityKind::kUpstream:
        return &doc_.upstreams;
      case EntityKind::kConsumer:
        return &doc_.consumers;
      case EntityKind::kCertificate:
        return &doc_.certificates;
      case EntityKind::kCaCertificate:
        return &doc_.ca_certificates;
      case EntityKind::kProvider:
        return &doc_.providers;
      case EntityKind::kModel:
        return &doc_.models;
      default:
        return &doc_.plugins;
    }
  }

  // A string member, when present: "" when absent or null; false (with a problem) otherwise.
  bool OptionalString(const YAML::Node& map, const JsonObject& fields, std::string_view key,
                      const std::string& path, std::string* out) {
    const JsonValue* v = Member(fields, key);
    out->clear();
    if (v == nullptr || IsNull(*v)) return true;
    if (v->kind_case() != JsonValue::kStringValue) {
      return Problem(map[std::string(key)], absl::StrCat(path, ".", Sv(key)),
                     "must be a string (put it in quotes)");
    }
    *out = v->string_value();
    return true;
  }

  bool ReadSection(const Section& section, const YAML::Node& node) {
    const std::string section_name(section.name);
    if (node.IsNull()) return true;
    if (!node.IsSequence())
      return Problem(node, section_name, "expected a list of entities (- name: ...)");
    std::map<std::string, int> keys;  // identity → line of its first appearance
    int index = 0;
    for (const YAML::Node& item : node) {
      const std::string path = absl::StrCat(section_name, "[", index++, "]");
      DesiredEntity entity;
      entity.kind = section.kind;
      entity.line = item.Mark().line + 1;
      if (!item.IsMap()) return Problem(item, path, "expected a mapping (name: ..., ...)");
      JsonValue value;
      if (!YamlToJson(item, path, &value, &problem_)) return false;
      entity.fields = std::move(*value.mutable_struct_value());
      for (std::string_view output_only : {"created_at", "updated_at"}) {
        if (Member(entity.fields, output_only) != nullptr) {
          return Problem(item[std::string(output_only)], absl::StrCat(path, ".", Sv(output_only)),
                         "is set by the control plane; remove it");
        }
      }
      std::string id;
      if (!OptionalString(item, entity.fields, "id", path, &id)) return false;
      std::string identity;
      if (section.kind == EntityKind::kPlugin) {
        if (!ReadPlugin(item, path, &entity, &identity)) return false;
      } else {
        std::string name;
        const std::string_view name_field = NameField(section.kind);
        if (!OptionalString(item, entity.fields, name_field, path, &name)) return false;
        if (name.empty() && id.empty()) {
          return Problem(item, path,
                         absl::StrCat(Sv(name_field), " is required (or id): sluicectl matches ",
                                      Sv(section.name), " by it"));
        }
        identity = name.empty() ? absl::StrCat("id ", id) : name;
      }
      if (section.kind == EntityKind::kUpstream && !ReadTargets(item, path, &entity)) return false;
      if (section.kind == EntityKind::kConsumer && !ReadCredentials(item, path, &entity))
        return false;
      auto [it, inserted] = keys.emplace(identity, entity.line);
      if (!inserted) {
        return Problem(item, path,
                       absl::StrCat("duplicate ", Sv(Singular(section.kind)), " '", identity,
                                    "' (first at line ", it->second, ")"));
      }
      SectionList(section.kind)->push_back(std::move(entity));
    }
    return true;
  }

  bool ReadPlugin(const YAML::Node& item, const std::string& path, DesiredEntity* entity,
                  std::string* identity) {
    std::string name;
    if (!OptionalString(item, entity->fields, "name", path, &name)) return false;
    if (name.empty())
      return Problem(item, path, "name is required (the plugin's name, e.g. key-auth)");
    *identity = name;
    for (std::string_view field : kScopeFields) {
      const JsonValue* ref = Member(entity->fields, field);
      const std::string ref_path = absl::StrCat(path, ".", Sv(field));
      if (ref == nullptr || IsNull(*ref)) {
        absl::StrAppend(identity, " ", Sv(field), "=*");
        continue;
      }
      const std::string by_name = field == "consumer" ? "username" : "name";
      if (ref->kind_case() != JsonValue::kStructValue) {
        return Problem(item[std::string(field)], ref_path,
                       absl::StrCat("expected {", by_name, ": ...} or {id: ...}"));
      }
      std::string ref_id = StringMember(ref->struct_value(), "id");
      std::string ref_name = StringMember(ref->struct_value(), by_name);
      if (ref_name.empty()) ref_name = StringMember(ref->struct_value(), "name");
      if (ref->struct_value().fields_size() != 1 || (ref_id.empty() && ref_name.empty())) {
        return Problem(item[std::string(field)], ref_path,
                       absl::StrCat("expected {", by_name, ": ...} or {id: ...}"));
      }
      absl::StrAppend(identity, " ", Sv(field), "=", ref_name.empty() ? ref_id : ref_name);
    }
    const JsonValue* config = Member(entity->fields, "config");
    if (config != nullptr && !IsNull(*config) && config->kind_case() != JsonValue::kStructValue)
      return Problem(item["config"], path + ".config", "expected a mapping");
    return true;
  }

  bool ReadTargets(const YAML::Node& item, const std::string& path, DesiredEntity* entity) {
    auto it = entity->fields.mutable_fields()->find("targets");
    if (it == entity->fields.mutable_fields()->end()) return true;
    const YAML::Node node = item["targets"];
    entity->targets_listed = true;
    const JsonValue list = std::move(it->second);
    entity->fields.mutable_fields()->erase(it);
    if (IsNull(list)) return true;
    if (list.kind_case() != JsonValue::kListValue)
      return Problem(node, path + ".targets", "expected a list of {target: host:port, weight: N}");
    std::map<std::string, int> seen;
    for (int i = 0; i < list.list_value().values_size(); ++i) {
      const JsonValue& t = list.list_value().values(i);
      const YAML::Node t_node = node[i];
      const std::string t_path = absl::StrCat(path, ".targets[", i, "]");
      if (t.kind_case() != JsonValue::kStructValue)
        return Problem(t_node, t_path, "expected a mapping {target: host:port, weight: N}");
      DesiredTarget target;
      target.fields = t.struct_value();
      target.line = t_node.Mark().line + 1;
      std::string raw;
      if (!OptionalString(t_node, target.fields, "target", t_path, &raw)) return false;
      if (raw.empty()) return Problem(t_node, t_path, "target is required (host:port)");
      target.target = NormalizeTarget(raw);
      auto [prev, inserted] = seen.emplace(target.target, target.line);
      if (!inserted) {
        return Problem(t_node, t_path,
                       absl::StrCat("duplicate target '", target.target, "' (first at line ",
                                    prev->second, ")"));
      }
      entity->targets.push_back(std::move(target));
    }
    return true;
  }

  bool ReadCredentials(const YAML::Node& item, const std::string& path, DesiredEntity* entity) {
    auto it = entity->fields.mutable_fields()->find("keyauth_credentials");
    if (it == entity->fields.mutable_fields()->end()) return true;
    const YAML::Node node = item["keyauth_credentials"];
    entity->credentials_listed = true;
    const JsonValue list = std::move(it->second);
    entity->fields.mutable_fields()->erase(it);
    const std::string list_path = path + ".keyauth_credentials";
    if (IsNull(list)) return true;
    if (list.kind_case() != JsonValue::kListValue)
      return Problem(node, list_path, "expected a list of {key: ...} or {key_hash: ...}");
    std::map<std::string, int> seen;
    for (int i = 0; i < list.list_value().values_size(); ++i) {
      const JsonValue& c = list.list_value().values(i);
      const YAML::Node c_node = node[i];
      const std::string c_path = absl::StrCat(list_path, "[", i, "]");
      if (c.kind_case() != JsonValue::kStructValue)
        return Problem(c_node, c_path, "expected a mapping {key: ...} or {key_hash: ...}");
      for (const auto& [field, unused] : c.struct_value().fields()) {
        if (field != "key" && field != "key_hash") {
          return Problem(c_node, absl::StrCat(c_path, ".", field),
                         "unknown field; a credential takes key or key_hash");
        }
      }
      DesiredCredential cred;
      cred.line = c_node.Mark().line + 1;
      if (!OptionalString(c_node, c.struct_value(), "key", c_path, &cred.key)) return false;
      if (!OptionalString(c_node, c.struct_value(), "key_hash", c_path, &cred.key_hash))
        return false;
      if (cred.key.empty() == cred.key_hash.empty()) {
        // A generated key could not be recognized on the next apply: every run would add one.
        return Problem(c_node, c_path,
                       "give exactly one of key or key_hash (sluicectl does not generate keys)");
      }
      if (!cred.key_hash.empty() && !IsLowerHex64(cred.key_hash)) {
        return Problem(c_node, c_path + ".key_hash",
                       "must be a lower-case hex SHA-256 (64 characters)");
      }
      if (!cred.key.empty()) cred.key_hash = Sha256Hex(cred.key);
      auto [prev, inserted] = seen.emplace(cred.key_hash, cred.line);
      if (!inserted) {
        return Problem(c_node, c_path, absl::StrCat("the same key as at line ", prev->second));
      }
      entity->credentials.push_back(std::move(cred));
    }
    return true;
  }

  std::string file_name_;
  Document doc_;
  YamlProblem problem_;
};

}  // namespace

std::string DesiredEntity::Key() const {
  const std::string_view name_field = NameField(kind);
  if (!name_field.empty()) {
    std::string name = StringMember(fields, name_field);
    if (!name.empty()) return name;
  }
  return kind == EntityKind::kPlugin ? "" : StringMember(fields, "id");
}

const std::vector<DesiredEntity>& Document::Of(EntityKind kind) const {
  switch (kind) {
    case EntityKind::kService:
      return services;
    case EntityKind::kRoute:
      return routes;
    case EntityKind::kUpstream:
      return upstreams;
    case EntityKind::kConsumer:
      return consumers;
    case EntityKind::kCertificate:
      return certificates;
    case EntityKind::kCaCertificate:
      return ca_certificates;
    case EntityKind::kProvider:
      return providers;
    case EntityKind::kModel:
      return models;
    default:
      return plugins;
  }
}

absl::StatusOr<Document> ParseDocument(std::string_view text, std::string_view file_name) {
  return DocumentReader(file_name).Read(text);
}

std::string NormalizeTarget(std::string_view target) {
  const bool bracketed = !target.empty() && target[0] == '[';
  const bool has_port = bracketed ? target.find("]:") != std::string_view::npos
                                  : target.find(':') != std::string_view::npos;
  return has_port ? std::string(target) : absl::StrCat(Sv(target), ":8000");
}

}  // namespace sluice::sluicectl
