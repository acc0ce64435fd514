#pragma once
// Checks one resource after defaults are applied and references resolved. Every problem is
// reported under its field path ("paths[1]", "config.key_names[0]"), the first one per field.
// Checks that need other resources (uniqueness, existence of references) live in the handlers.
#include <string_view>

#include "common/config_set.h"
#include "controlplane/admin/field_errors.h"

namespace sluice::controlplane {

void ValidateResource(const Resource& r, FieldErrors* errors);

// A DNS name (letters, digits, '-', '_' in dot-separated labels) or an IPv4 address.
bool IsValidHostName(std::string_view host);
// The above, or an IPv6 address (bare or in brackets).
bool IsValidHost(std::string_view host);

}  // namespace sluice::controlplane
