#include "tools/sluicectl/dump.h"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "tools/sluicectl/defaults.h"
#include "tools/sluicectl/yaml_json.h"

namespace sluice::sluicectl {

namespace {

// Fields in the order people expect to read them; the rest follow, sorted.
std::vector<std::string_view> FieldOrder(EntityKind kind) {
  switch (kind) {
    case EntityKind::kService:
      return {"name",         "id",      "url",        "retries",         "connect_timeout",
              "write_timeout", "read_timeout", "enabled", "tls_verify", "ca_certificates",
              "client_certificate", "tags"};
    case EntityKind::kRoute:
      return {"name",
              "id",
              "service",
              "protocols",
              "methods",
              "hosts",
              "paths",
              "headers",
              "strip_path",
              "preserve_host",
              "regex_priority",
              "max_request_body_bytes",
              "tags"};
    case EntityKind::kUpstream:
      return {"name", "id", "algorithm", "tags", "targets"};
    case EntityKind::kTarget:
      return {"target", "weight", "tags"};
    case EntityKind::kConsumer:
      return {"username", "id", "custom_id", "tags"};
    case EntityKind::kPlugin:
      return {"name", "service", "route", "consumer", "enabled", "config", "tags"};
    case EntityKind::kCertificate:
      return {"name", "id", "snis", "cert", "key", "tags"};
    case EntityKind::kCaCertificate:
      return {"name", "id", "cert", "tags"};
    case EntityKind::kProvider:
      return {"name",         "id",      "kind",           "base_url",
              "auth",         "azure_api_version", "anthropic_version", "connect_timeout",
              "read_timeout", "tags"};
    case EntityKind::kModel:
      return {"name",           "id",        "provider", "model", "price",
              "context_window", "fallbacks", "split",    "tags"};
    default:
      return {};
  }
}

class Dumper {
 public:
  explicit Dumper(const CurrentState& state) : state_(state) {}

  std::string Run() {
    out_ << YAML::Comment("Sluice declarative configuration, written by `sluicectl dump`.")
         << YAML::Newline
         << YAML::Comment(
                "Apply it with `sluicectl apply -f FILE` (add --prune to delete what it "
                "does not list).")
         << YAML::Newline << YAML::BeginMap;
    Section(EntityKind::kService);
    Section(EntityKind::kRoute);
    Section(EntityKind::kUpstream);
    Section(EntityKind::kConsumer);
    Section(EntityKind::kPlugin);
    Section(EntityKind::kCaCertificate);
    Section(EntityKind::kCertificate);
    Section(EntityKind::kProvider);
    Section(EntityKind::kModel);
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

 private:
  void Section(EntityKind kind) {
    std::vector<std::pair<std::string, JsonObject>> entities;  // sort key, shown fields
    for (const JsonObject& e : state_.Of(kind)) {
      JsonObject shown = Shown(kind, e);
      std::string sort_key = kind == EntityKind::kPlugin ? PluginSortKey(shown) : SortKey(kind, e);
      entities.emplace_back(std::move(sort_key), std::move(shown));
    }
    std::sort(entities.begin(), entities.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out_ << YAML::Key << std::string(Collection(kind)) << YAML::Value;
    if (entities.empty()) {
      out_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out_ << YAML::BeginSeq;
    for (const auto& [unused, shown] : entities) {
      Entity(kind, shown);
      if (kind == EntityKind::kConsumer) CredentialComment(shown);
    }
    out_ << YAML::EndSeq;
  }

  // Named entities first, by name; then unnamed ones, by id.
  static std::string SortKey(EntityKind kind, const JsonObject& e) {
    const std::string name = StringMember(e, NameField(kind));
    return name.empty() ? absl::StrCat("~", StringMember(e, "id")) : absl::StrCat(" ", name);
  }

  // By name, global ones first, then by scope.
  static std::string PluginSortKey(const JsonObject& shown) {
    std::string key = absl::StrCat(StringMember(shown, "name"), "\x01");
    for (const char* field : {"service", "route", "consumer"}) {
      if (const JsonValue* ref = Member(shown, field)) absl::StrAppend(&key, field, ToJson(*ref));
    }
    return key;
  }

  void Entity(EntityKind kind, const JsonObject& shown) {
    out_ << YAML::BeginMap;
    std::vector<std::string> keys;
    for (std::string_view k : FieldOrder(kind))
      if (Member(shown, k) != nullptr) keys.emplace_back(k);
    std::vector<std::string> rest;
    for (const auto& [k, unused] : shown.fields())
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) rest.push_back(k);
    std::sort(rest.begin(), rest.end());
    keys.insert(keys.end(), rest.begin(), rest.end());
    for (const std::string& k : keys) {
      out_ << YAML::Key;
      EmitString(k, &out_);
      out_ << YAML::Value;
      const JsonValue& v = shown.fields().at(k);
      if (kind == EntityKind::kUpstream && k == "targets") {
        Targets(v);
      } else {
        EmitJson(v, &out_);
      }
    }
    out_ << YAML::EndMap;
  }

  void Targets(const JsonValue& targets) {
    if (targets.list_value().values_size() == 0) {
      out_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out_ << YAML::BeginSeq;
    for (const JsonValue& t : targets.list_value().values())
      Entity(EntityKind::kTarget, t.struct_value());
    out_ << YAML::EndSeq;
  }

  void CredentialComment(const JsonObject& shown) {
    auto it = credential_counts_.find(StringMember(shown, "username").empty()
                                          ? StringMember(shown, "id")
                                          : StringMember(shown, "username"));
    if (it == credential_counts_.end()) return;
    out_ << YAML::Comment(
        absl::StrCat(it->second, " key-auth credential(s) not shown (stored as hashes)"));
  }

  // What the file says about entity `e`: its fields without ids, timestamps and defaults, with
  // references by name.
  JsonObject Shown(EntityKind kind, const JsonObject& e) {
    JsonObject fields = e;
    auto& f = *fields.mutable_fields();
    const std::string id = StringMember(e, "id");
    f.erase("created_at");
    f.erase("updated_at");
    const std::string_view name_field = NameField(kind);
    if (kind == EntityKind::kPlugin || kind == EntityKind::kTarget ||
        (!name_field.empty() && !StringMember(e, name_field).empty()))
      f.erase("id");
    if (kind == EntityKind::kTarget) f.erase("upstream");
    if (kind == EntityKind::kService) ServiceUrl(&fields);

    const JsonObject defaults = FieldDefaults(kind, e);
    for (const auto& [k, v] : defaults.fields()) {
      auto it = f.find(k);
      if (it != f.end() && JsonEqual(it->second, v)) f.erase(it);
    }
    for (auto it = f.begin(); it != f.end();) {
      const JsonObject nested = NestedDefaults(kind, it->first);
      if (!nested.fields().empty() && it->second.kind_case() == JsonValue::kStructValue) {
        auto& inner = *it->second.mutable_struct_value()->mutable_fields();
        for (const auto& [k, v] : nested.fields()) {
          auto n = inner.find(k);
          if (n != inner.end() && JsonEqual(n->second, v)) inner.erase(n);
        }
        if (inner.empty()) {
          it = f.erase(it);
          continue;
        }
      }
      ++it;
    }
    for (auto& [k, v] : f) {
      EntityKind ref_kind;
      if (RefKind(k, &ref_kind) && v.kind_case() == JsonValue::kStructValue)
        v = RefByName(ref_kind, v);
    }
    if (kind == EntityKind::kModel) ModelRefsByName(&fields);
    if (kind == EntityKind::kService) {
      auto cas = f.find("ca_certificates");
      if (cas != f.end() && cas->second.kind_case() == JsonValue::kListValue) {
        for (JsonValue& ca : *cas->second.mutable_list_value()->mutable_values()) {
          if (ca.kind_case() == JsonValue::kStringValue)
            ca = StringValue(state_.DisplayName(EntityKind::kCaCertificate, ca.string_value()));
        }
      }
    }
    if (kind == EntityKind::kPlugin) PluginConfig(&fields);
    if (kind == EntityKind::kUpstream) {
      JsonValue& targets = f["targets"];
      targets.mutable_list_value();
      std::vector<const JsonObject*> children = state_.Children(EntityKind::kTarget, id);
      std::sort(children.begin(), children.end(), [](const JsonObject* a, const JsonObject* b) {
        return StringMember(*a, "target") < StringMember(*b, "target");
      });
      for (const JsonObject* t : children)
        *targets.mutable_list_value()->add_values() = ObjectValue(Shown(EntityKind::kTarget, *t));
    }
    if (kind == EntityKind::kConsumer) {
      const size_t n = state_.Children(EntityKind::kCredential, id).size();
      const std::string key =
          StringMember(e, "username").empty() ? id : StringMember(e, "username");
      if (n > 0) credential_counts_[key] = n;
    }
    return fields;
  }

  JsonValue RefByName(EntityKind kind, const JsonValue& ref) const {
    const std::string id = StringMember(ref.struct_value(), "id");
    const JsonObject* target = state_.FindById(kind, id);
    const std::string name = target == nullptr ? "" : StringMember(*target, NameField(kind));
    JsonObject out;
    if (name.empty()) {
      (*out.mutable_fields())["id"] = StringValue(id);
    } else {
      (*out.mutable_fields())[std::string(NameField(kind))] = StringValue(name);
    }
    return ObjectValue(std::move(out));
  }

  // A model's fallbacks and split entries by name.
  void ModelRefsByName(JsonObject* model) const {
    auto& f = *model->mutable_fields();
    auto fallbacks = f.find("fallbacks");
    if (fallbacks != f.end() && fallbacks->second.kind_case() == JsonValue::kListValue) {
      for (JsonValue& ref : *fallbacks->second.mutable_list_value()->mutable_values())
        if (ref.kind_case() == JsonValue::kStructValue) ref = RefByName(EntityKind::kModel, ref);
    }
    auto split = f.find("split");
    if (split != f.end() && split->second.kind_case() == JsonValue::kListValue) {
      for (JsonValue& entry : *split->second.mutable_list_value()->mutable_values()) {
        if (entry.kind_case() != JsonValue::kStructValue) continue;
        auto& e = *entry.mutable_struct_value()->mutable_fields();
        auto ref = e.find("model");
        if (ref != e.end() && ref->second.kind_case() == JsonValue::kStructValue)
          ref->second = RefByName(EntityKind::kModel, ref->second);
      }
    }
  }

  static void ServiceUrl(JsonObject* service) {
    auto& f = *service->mutable_fields();
    std::string host = StringMember(*service, "host");
    const std::string protocol = StringMember(*service, "protocol");
    const JsonValue* port = Member(*service, "port");
    if (host.empty() || protocol.empty() || port == nullptr ||
        port->kind_case() != JsonValue::kNumberValue)
      return;
    if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
    f["url"] = StringValue(
        absl::StrCat(protocol, "://", host, ":", ToJson(*port), StringMember(*service, "path")));
    for (const char* part : {"protocol", "host", "port", "path"}) f.erase(part);
  }

  void PluginConfig(JsonObject* plugin) const {
    const std::string name = StringMember(*plugin, "name");
    auto& f = *plugin->mutable_fields();
    auto it = f.find("config");
    if (it == f.end() || it->second.kind_case() != JsonValue::kStructValue) return;
    auto& config = *it->second.mutable_struct_value()->mutable_fields();
    const JsonObject defaults = PluginConfigDefaults(name);
    for (const auto& [k, v] : defaults.fields()) {
      auto c = config.find(k);
      if (c != config.end() && JsonEqual(c->second, v)) config.erase(c);
    }
    auto anonymous = config.find("anonymous");
    if (name == "key-auth" && anonymous != config.end() &&
        anonymous->second.kind_case() == JsonValue::kStringValue) {
      const std::string username =
          state_.DisplayName(EntityKind::kConsumer, anonymous->second.string_value());
      anonymous->second = StringValue(username);
    }
  }

  const CurrentState& state_;
  YAML::Emitter out_;
  std::map<std::string, size_t> credential_counts_;
};

}  // namespace

std::string DumpDocument(const CurrentState& state) { return Dumper(state).Run(); }

}  // namespace sluice::sluicectl
