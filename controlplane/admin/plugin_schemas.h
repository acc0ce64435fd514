#pragma once
// The plugins the control plane knows: the name users give, the member of Plugin's `config`
// oneof holding its typed configuration, and how that configuration gets defaults and is
// checked. Adding a plugin = a config message in config.proto + one row in plugin_schemas.cc.
#include <string_view>
#include <vector>

#include "controlplane/admin/field_errors.h"
#include "sluice/config/v1/config.pb.h"

namespace sluice::controlplane {

struct PluginSchema {
  std::string_view name;          // "key-auth"
  std::string_view config_field;  // "key_auth": the oneof member in sluice.config.v1.Plugin
  // Fills unset config fields with their defaults. May be null.
  void (*apply_defaults)(config::v1::Plugin* plugin);
  // Adds errors keyed "config.<field>". May be null.
  void (*validate)(const config::v1::Plugin& plugin, FieldErrors* errors);
};

const std::vector<PluginSchema>& PluginSchemas();
const PluginSchema* FindPluginSchema(std::string_view name);
// The schema whose config member is set in `plugin`, or null.
const PluginSchema* FindPluginSchemaByConfig(const config::v1::Plugin& plugin);
// "key-auth, ..." for error messages.
std::string KnownPluginNames();

}  // namespace sluice::controlplane
