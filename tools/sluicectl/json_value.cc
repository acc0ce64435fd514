#include "tools/sluicectl/json_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"
#include "google/protobuf/util/json_util.h"

namespace sluice::sluicectl {

namespace pb = google::protobuf;

namespace {

void Print(const JsonValue& v, std::string* out);

void PrintObject(const JsonObject& o, std::string* out) {
  std::vector<const std::string*> keys;
  for (const auto& [k, unused] : o.fields()) keys.push_back(&k);
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) { return *a < *b; });
  out->push_back('{');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, *keys[i]);
    out->push_back(':');
    Print(o.fields().at(*keys[i]), out);
  }
  out->push_back('}');
}

void Print(const JsonValue& v, std::string* out) {
  switch (v.kind_case()) {
    case JsonValue::kNullValue:
    case JsonValue::KIND_NOT_SET:
      out->append("null");
      break;
    case JsonValue::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case JsonValue::kNumberValue: {
      const double x = v.number_value();
      if (std::floor(x) == x && std::fabs(x) < 9007199254740992.0) {
        absl::StrAppend(out, static_cast<int64_t>(x));
      } else if (std::isfinite(x)) {
        // The shortest form that reads back as the same double: 0.15, not 0.14999999999999999.
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
        out->append(buf, ec == std::errc() ? end : buf);
      } else {
        out->append("null");  // JSON has no infinities; the file reader refuses them anyway
      }
      break;
    }
    case JsonValue::kStringValue:
      AppendJsonString(out, v.string_value());
      break;
    case JsonValue::kListValue: {
      out->push_back('[');
      for (int i = 0; i < v.list_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        Print(v.list_value().values(i), out);
      }
      out->push_back(']');
      break;
    }
    case JsonValue::kStructValue:
      PrintObject(v.struct_value(), out);
      break;
  }
}

}  // namespace

absl::StatusOr<JsonValue> ParseJson(std::string_view text) {
  JsonValue v;
  pb::util::Status st =
      pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), &v);
  if (!st.ok())
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", st.message().ToString()));
  return v;
}

absl::StatusOr<JsonObject> ParseJsonObject(std::string_view text) {
  absl::StatusOr<JsonValue> v = ParseJson(text);
  if (!v.ok()) return v.status();
  if (v->kind_case() != JsonValue::kStructValue)
    return absl::InvalidArgumentError("expected a JSON object");
  return std::move(*v->mutable_struct_value());
}

std::string ToJson(const JsonValue& v) {
  std::string out;
  Print(v, &out);
  return out;
}

std::string ToJson(const JsonObject& o) {
  std::string out;
  PrintObject(o, &out);
  return out;
}

bool JsonEqual(const JsonValue& a, const JsonValue& b) {
  if (IsNull(a) || IsNull(b)) return IsNull(a) && IsNull(b);
  if (a.kind_case() != b.kind_case()) return false;
  switch (a.kind_case()) {
    case JsonValue::kBoolValue:
      return a.bool_value() == b.bool_value();
    case JsonValue::kNumberValue:
      return a.number_value() == b.number_value();
    case JsonValue::kStringValue:
      return a.string_value() == b.string_value();
    case JsonValue::kListValue: {
      const auto& x = a.list_value().values();
      const auto& y = b.list_value().values();
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); ++i)
        if (!JsonEqual(x[i], y[i])) return false;
      return true;
    }
    case JsonValue::kStructValue: {
      const auto& x = a.struct_value().fields();
      const auto& y = b.struct_value().fields();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        auto it = y.find(k);
        if (it == y.end() || !JsonEqual(v, it->second)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

const JsonValue* Member(const JsonObject& o, std::string_view key) {
  auto it = o.fields().find(std::string(key));
  return it == o.fields().end() ? nullptr : &it->second;
}

std::string StringMember(const JsonObject& o, std::string_view key) {
  const JsonValue* v = Member(o, key);
  return v != nullptr && v->kind_case() == JsonValue::kStringValue ? v->string_value() : "";
}

const JsonObject* ObjectMember(const JsonObject& o, std::string_view key) {
  const JsonValue* v = Member(o, key);
  return v != nullptr && v->kind_case() == JsonValue::kStructValue ? &v->struct_value() : nullptr;
}

JsonValue StringValue(std::string_view s) {
  JsonValue v;
  v.set_string_value(std::string(s));
  return v;
}

JsonValue NumberValue(double d) {
  JsonValue v;
  v.set_number_value(d);
  return v;
}

JsonValue BoolValue(bool b) {
  JsonValue v;
  v.set_bool_value(b);
  return v;
}

JsonValue NullValue() {
  JsonValue v;
  v.set_null_value(pb::NULL_VALUE);
  return v;
}

JsonValue ObjectValue(JsonObject o) {
  JsonValue v;
  *v.mutable_struct_value() = std::move(o);
  return v;
}

bool IsNull(const JsonValue& v) {
  return v.kind_case() == JsonValue::kNullValue || v.kind_case() == JsonValue::KIND_NOT_SET;
}

}  // namespace sluice::sluicectl
