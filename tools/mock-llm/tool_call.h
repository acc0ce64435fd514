#pragma once
// Tool (function) calling: the tools a request offers, and the deterministic decision to answer
// with a call to one of them instead of text.
//
// The mock calls a tool when
//   1. the request header `x-mock-tool-call: NAME` names one of the request's tools, or
//   2. the request forces a call: OpenAI tool_choice "required" or {"type":"function",
//      "function":{"name":NAME}}; Anthropic tool_choice {"type":"any"} or {"type":"tool",
//      "name":NAME} ("required"/"any" pick the first tool).
// The arguments are `x-mock-tool-args` (a JSON object) when given, else built from the tool's
// JSON schema: each top-level property gets a fixed value for its type (string "mock",
// integer 1, number 1.5, boolean true, array [], object {}, anything else null), in schema order.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace simdjson::dom {
class element;
}

namespace sluice::mock_llm {

inline constexpr size_t kMaxTools = 128;

struct ToolSpec {
  std::string name;
  std::string arguments_json;  // what a call to it would carry (see MockArgumentsForSchema)
};

struct ToolChoice {
  enum class Mode { kAuto, kNone, kAny, kNamed };
  Mode mode = Mode::kAuto;
  std::string name;  // kNamed
};

struct ToolCall {
  std::string id;    // "call_..." (OpenAI) or "toolu_..." (Anthropic)
  std::string name;
  std::string arguments_json;  // a compact JSON object
};

// The compact JSON object described above for a JSON schema (anything but an object schema with
// "properties" gives "{}").
std::string MockArgumentsForSchema(const simdjson::dom::element& schema);

// Decides whether to answer with a tool call (see the top of this file). `header_tool` and
// `header_args` are the x-mock-tool-call / x-mock-tool-args values ("" when absent); `id_prefix`
// starts the call's id. InvalidArgument when the header or tool_choice names a tool the request
// does not offer, or the header's arguments are not a JSON object.
absl::StatusOr<std::optional<ToolCall>> ChooseToolCall(std::string_view header_tool,
                                                       std::string_view header_args,
                                                       const std::vector<ToolSpec>& tools,
                                                       const ToolChoice& choice,
                                                       std::string_view id_prefix);

// Cuts a tool call's arguments into the pieces a stream sends (at most `piece_bytes` each, never
// inside a UTF-8 sequence), as providers stream arguments a few characters at a time.
inline constexpr size_t kArgumentPieceBytes = 8;
std::vector<std::string_view> SplitArguments(std::string_view json,
                                             size_t piece_bytes = kArgumentPieceBytes);

}  // namespace sluice::mock_llm
