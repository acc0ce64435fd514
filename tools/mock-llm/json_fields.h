#pragma once
// simdjson helpers shared by the mock's request parsers. Errors are InvalidArgument with a
// message meant for the client ("'max_tokens' must be an integer of at least 1").
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice::mock_llm {

absl::Status InvalidRequest(std::string_view message);
absl::Status FieldError(std::string_view field, std::string_view what);

// Parses `body` (not padded: simdjson copies it into its reused buffer) and requires an object.
absl::StatusOr<simdjson::dom::element> ParseJsonObject(simdjson::dom::parser& parser,
                                                       std::string_view body);

// A non-negative integer that fits int64; false for anything else (floats, strings, negatives).
bool GetNonNegativeInt(simdjson::dom::element value, int64_t* out);

// A string or an array of strings (OpenAI "stop"; Anthropic "stop_sequences" allows only the
// array, which callers check). Empty strings are dropped: they would match everywhere.
absl::Status ParseStringList(simdjson::dom::element value, std::string_view field,
                             size_t max_items, std::vector<std::string>* out);

}  // namespace sluice::mock_llm
