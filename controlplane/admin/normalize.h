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

// Sets every unset field that has a default, puts certificate SNIs in lower case (host names
// compare without case) and drops a trailing '/' from a provider's base_url.
void ApplyDefaults(Resource* r);

// The base_url a provider of `kind` gets when it gives none; "" when the kind needs one.
std::string_view DefaultProviderBaseUrl(std::string_view kind);
inline constexpr std::string_view kDefaultAnthropicVersion = "2023-06-01";

}  // namespace sluice::controlplane
