#pragma once
// Input conveniences applied before validation: the service "url" shorthand and defaults for
// everything a user may leave out (Kong's defaults where Kong has the field).
#include <cstdint>
#include <string_view>

#include "common/config_set.h"
#include "controlplane/admin/field_errors.h"

namespace sluice::controlplane {

// 443 for https and grpcs, 80 otherwise.
uint32_t DefaultPortFor(std::string_view protocol);

// Splits service.url ("http://host:port/path") into protocol, host, port and path, and clears
// url, which is never stored. A url given together with any of those fields is an error.
void ExpandServiceUrl(config::v1::Service* service, FieldErrors* errors);

// Sets every unset field that has a default.
void ApplyDefaults(Resource* r);

}  // namespace sluice::controlplane
