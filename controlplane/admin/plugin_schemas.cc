#include "controlplane/admin/plugin_schemas.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace sluice::controlplane {

namespace {

using config::v1::Plugin;

void KeyAuthDefaults(Plugin* plugin) {
  auto* c = plugin->mutable_key_auth();
  if (c->key_names().empty()) {
    // Authorization: Bearer (OpenAI SDKs), x-api-key (Anthropic SDKs), apikey (Kong's).
    for (const char* n : {"authorization", "x-api-key", "apikey"}) c->add_key_names(n);
  }
  if (!c->has_hide_credentials()) c->set_hide_credentials(true);
  if (!c->has_key_in_header()) c->set_key_in_header(true);
  if (!c->has_key_in_query()) c->set_key_in_query(true);
}

bool IsHeaderNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

void ValidateKeyAuth(const Plugin& plugin, FieldErrors* errors) {
  const auto& c = plugin.key_auth();
  for (int i = 0; i < c.key_names_size(); ++i) {
    const std::string& n = c.key_names(i);
    bool ok = !n.empty() && n.size() <= 256;
    for (char ch : n) ok = ok && IsHeaderNameChar(ch);
    if (!ok) {
      (*errors)[absl::StrCat("config.key_names[", i, "]")] =
          "must be a header or query parameter name (letters, digits, '-' and '_')";
    }
  }
  if (!c.key_in_header() && !c.key_in_query())
    (*errors)["config.key_in_header"] = "key_in_header and key_in_query cannot both be false";
}

}  // namespace

const std::vector<PluginSchema>& PluginSchemas() {
  static const std::vector<PluginSchema> kSchemas = {
      {"key-auth", "key_auth", &KeyAuthDefaults, &ValidateKeyAuth},
  };
  return kSchemas;
}

const PluginSchema* FindPluginSchema(std::string_view name) {
  for (const PluginSchema& s : PluginSchemas())
    if (s.name == name) return &s;
  return nullptr;
}

const PluginSchema* FindPluginSchemaByConfig(const Plugin& plugin) {
  const auto* oneof = Plugin::descriptor()->FindOneofByName("config");
  const auto* field = Plugin::GetReflection()->GetOneofFieldDescriptor(plugin, oneof);
  if (field == nullptr) return nullptr;
  for (const PluginSchema& s : PluginSchemas())
    if (s.config_field == field->name()) return &s;
  return nullptr;
}

std::string KnownPluginNames() {
  std::vector<std::string> names;
  for (const PluginSchema& s : PluginSchemas()) names.emplace_back(s.name);
  return absl::StrJoin(names, ", ");
}

}  // namespace sluice::controlplane
