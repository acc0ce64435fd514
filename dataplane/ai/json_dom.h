#pragma once
// simdjson helpers shared by the translators (internal to dataplane/ai: the public headers keep
// simdjson out of everyone else's compile).
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/ai/json_writer.h"

namespace sluice::ai::json {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// One parser per thread (each worker is one thread), reused so a parse allocates nothing once it
// has seen a document of the size. A document parsed with it is valid until the next Parse on the
// same thread: callers never keep elements across calls. `next_size` is the size of the text
// about to be parsed (a parser grown by a huge one shrinks back for smaller ones).
simdjson::dom::parser& ThreadParser(size_t next_size);
// The root of `text`, or nullopt if it is not valid JSON.
std::optional<element> Parse(std::string_view text);
// The same with a second per-thread parser, for JSON found inside a document that Parse returned
// and that is still in use (tool call arguments inside a response).
std::optional<element> ParseNested(std::string_view text);

// Copies a parsed value (strings re-escaped, numbers written back in their own kind).
void Write(JsonWriter& w, element value);

// Typed member lookups: nullopt when the member is missing or of another type.
std::optional<element> Member(object o, std::string_view key);
std::optional<std::string_view> String(object o, std::string_view key);
std::optional<object> Object(object o, std::string_view key);
std::optional<array> Array(object o, std::string_view key);
std::optional<bool> Bool(object o, std::string_view key);
// Any integer-valued number (a double such as 12.0 too), clamped to int64.
std::optional<int64_t> Int(object o, std::string_view key);
std::optional<double> Number(object o, std::string_view key);

std::optional<object> AsObject(element e);
std::optional<std::string_view> AsString(element e);
std::optional<int64_t> AsInt(element e);

}  // namespace sluice::ai::json
