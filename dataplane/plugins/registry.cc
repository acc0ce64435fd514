#include "dataplane/plugins/key_auth/key_auth.h"
#include "dataplane/plugins/plugin.h"

namespace sluice::plugins {

PluginFactory FindPluginFactory(std::string_view name) {
  struct Entry {
    std::string_view name;
    PluginFactory factory;
  };
  static constexpr Entry kPlugins[] = {
      {"key-auth", &CreateKeyAuth},
  };
  for (const Entry& e : kPlugins) {
    if (e.name == name) return e.factory;
  }
  return nullptr;
}

}  // namespace sluice::plugins
