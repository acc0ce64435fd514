#include "dataplane/ai/format_mapping.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::ai {

namespace {
constexpr std::string_view kOpenAIPrefix = "chatcmpl-";
constexpr std::string_view kAnthropicPrefix = "msg_";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
}  // namespace

std::string_view AnthropicStopReason(std::string_view finish_reason, bool has_tool_use) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "content_filter") return "refusal";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  return has_tool_use ? "tool_use" : "end_turn";
}

std::string_view OpenAIFinishReason(std::string_view stop_reason, bool legacy_functions) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") return legacy_functions ? "function_call" : "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

std::string AnthropicMessageId(std::string_view id) {
  if (StartsWith(id, kAnthropicPrefix)) return std::string(id);
  if (StartsWith(id, kOpenAIPrefix)) id.remove_prefix(kOpenAIPrefix.size());
  return absl::StrCat(Sv(kAnthropicPrefix), Sv(id));
}

std::string OpenAICompletionId(std::string_view id) {
  if (StartsWith(id, kOpenAIPrefix)) return std::string(id);
  if (StartsWith(id, kAnthropicPrefix)) id.remove_prefix(kAnthropicPrefix.size());
  return absl::StrCat(Sv(kOpenAIPrefix), Sv(id));
}

}  // namespace sluice::ai
