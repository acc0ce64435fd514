#pragma once
// The values the control plane gives fields a write leaves out (controlplane/admin/normalize.cc
// and plugin_schemas.cc). `apply` compares a field missing from the file with its default, so
// deleting a line from the file puts the field back to its default; `dump` leaves defaults out.
// A field not listed here is compared only when the file gives it.
#include <string_view>

#include "tools/sluicectl/entity_kind.h"
#include "tools/sluicectl/json_value.h"

namespace sluice::sluicectl {

// The defaults of `kind`'s fields, given the entity (a service's port depends on its protocol).
// References (service, route, consumer) default to null.
JsonObject FieldDefaults(EntityKind kind, const JsonObject& entity);
// A plugin's config defaults by plugin name; empty for a plugin sluicectl does not know.
JsonObject PluginConfigDefaults(std::string_view plugin_name);
// The defaults inside an object-valued field of `kind` (a provider's "auth", a model's
// "price"); empty for other fields. FieldDefaults gives these objects whole.
JsonObject NestedDefaults(EntityKind kind, std::string_view field);

// What the control plane shows in place of a secret, and takes back as "keep the stored one".
inline constexpr std::string_view kRedacted = "<redacted>";

// Replaces a service's `url` by the protocol, host, port and path the control plane splits it
// into. Leaves the object as it is (and returns false) when the url is not of a shape the control
// plane accepts, or comes with any of those fields: the write then reports why.
bool ExpandServiceUrl(JsonObject* service);

}  // namespace sluice::sluicectl
