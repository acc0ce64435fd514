#pragma once
// The admin API's JSON shape of resources, over protobuf's canonical JSON mapping with the
// original field names. Differences from the plain mapping, all in Kong's style:
//   * references print as {"id": "..."} when set and as null when not (a plugin's unused scopes,
//     for instance); on input they take {"id": ...} or {"name": ...} ({"username": ...} for
//     consumers), and null means unset;
//   * a plugin's typed config (the `config` oneof member its name selects) is shown as "config";
//   * input-only fields (a service's "url", a credential's "key") are not printed;
//   * secrets (a certificate's "key", a provider's "auth.secret") print as kRedacted when set;
//   * null for any input field means "unset" (the default applies).
// Unknown fields and values of the wrong type are reported per field, never ignored.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/config_set.h"
#include "controlplane/admin/field_errors.h"
#include "google/protobuf/struct.pb.h"

namespace sluice::controlplane {

// What the admin API shows in place of a stored secret; a write that sends it keeps the secret.
inline constexpr std::string_view kRedacted = "<redacted>";

// Parses a request body that must be one JSON object. The error message says what is wrong.
absl::StatusOr<google::protobuf::Struct> ParseJsonObject(std::string_view body);

// Admin JSON object → resource of `kind`. Problems go to *errors, keyed by field path; the
// result is only meaningful when none were added.
Resource DecodeResource(ResourceKind kind, const google::protobuf::Struct& object,
                        FieldErrors* errors);

// Resource → admin JSON (as a Struct, for PATCH merging, or as text).
google::protobuf::Struct ResourceToStruct(const Resource& r);
std::string ResourceToJson(const Resource& r);
// Prints an object in the admin shape of `kind`, keys in the proto's field order.
std::string StructToJson(ResourceKind kind, const google::protobuf::Struct& object);

// The message inside `r` (Service, Route, ...).
const google::protobuf::Message& InnerMessage(const Resource& r);
google::protobuf::Message* MutableInnerMessage(Resource* r, ResourceKind kind);

}  // namespace sluice::controlplane
