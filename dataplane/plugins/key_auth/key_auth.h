#pragma once
#include "dataplane/plugins/plugin.h"

namespace sluice::plugins {

// key-auth: identifies the consumer by an API key read from `Authorization: Bearer`, `x-api-key`
// or `apikey` (header or query) by default; 401 {"code":"unauthorized"} otherwise.
absl::StatusOr<std::shared_ptr<const PluginInstance>> CreateKeyAuth(
    const config::v1::Plugin& config);

}  // namespace sluice::plugins
