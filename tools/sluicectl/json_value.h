#pragma once
// The JSON tree sluicectl works on. google::protobuf::Value is already linked, typed (string,
// number, bool, null, list, object) and holds both the declarative file (read from YAML) and the
// admin API's answers, so the two compare directly.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"

namespace sluice::sluicectl {

using JsonValue = google::protobuf::Value;
using JsonObject = google::protobuf::Struct;

absl::StatusOr<JsonValue> ParseJson(std::string_view text);
// Like ParseJson, for text that must be one object.
absl::StatusOr<JsonObject> ParseJsonObject(std::string_view text);

// Compact JSON with object keys sorted, so equal values always print the same.
std::string ToJson(const JsonValue& v);
std::string ToJson(const JsonObject& o);

// Deep equality; numbers compare by value.
bool JsonEqual(const JsonValue& a, const JsonValue& b);

// The member `key` of `o`, or nullptr when it is absent.
const JsonValue* Member(const JsonObject& o, std::string_view key);
// The string member `key`, or "" when it is absent or not a string.
std::string StringMember(const JsonObject& o, std::string_view key);
// The object member `key`, or nullptr when it is absent or not an object.
const JsonObject* ObjectMember(const JsonObject& o, std::string_view key);

JsonValue StringValue(std::string_view s);
JsonValue NumberValue(double d);
JsonValue BoolValue(bool b);
JsonValue NullValue();
JsonValue ObjectValue(JsonObject o);
bool IsNull(const JsonValue& v);  // null, or never set

}  // namespace sluice::sluicectl
