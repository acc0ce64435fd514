#include "tools/mock-llm/json_fields.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::mock_llm {

using simdjson::dom::element;
using simdjson::dom::element_type;

absl::Status InvalidRequest(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

absl::Status FieldError(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("'", Sv(field), "' ", Sv(what)));
}

absl::StatusOr<element> ParseJsonObject(simdjson::dom::parser& parser, std::string_view body) {
  element doc;
  if (auto err = parser.parse(body.data(), body.size(), true).get(doc); err) {
    return absl::InvalidArgumentError(
        absl::StrCat("request body is not valid JSON: ", simdjson::error_message(err)));
  }
  if (doc.type() != element_type::OBJECT) {
    return InvalidRequest("request body must be a JSON object");
  }
  return doc;
}

bool GetNonNegativeInt(element value, int64_t* out) {
  if (value.type() == element_type::INT64) {
    int64_t v = 0;
    if (value.get_int64().get(v) || v < 0) return false;
    *out = v;
    return true;
  }
  if (value.type() == element_type::UINT64) {
    uint64_t v = 0;
    if (value.get_uint64().get(v) || v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  return false;
}

absl::Status ParseStringList(element value, std::string_view field, size_t max_items,
                             std::vector<std::string>* out) {
  out->clear();
  std::string_view s;
  if (value.type() == element_type::STRING) {
    s = value.get_string().value_unsafe();
    if (!s.empty()) out->emplace_back(s);
    return absl::OkStatus();
  }
  if (value.type() != element_type::ARRAY) {
    return FieldError(field, "must be a string or an array of strings");
  }
  const simdjson::dom::array items = value.get_array().value_unsafe();
  for (element item : items) {
    if (item.get_string().get(s)) return FieldError(field, "must hold only strings");
    if (out->size() == max_items) {
      return FieldError(field, absl::StrCat("may hold at most ", max_items, " strings"));
    }
    if (!s.empty()) out->emplace_back(s);
  }
  return absl::OkStatus();
}

}  // namespace sluice::mock_llm
