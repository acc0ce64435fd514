#pragma once
// Value mappings between the two wire formats, shared by the response and stream translators
// (internal to dataplane/ai).
#include <string>
#include <string_view>

namespace sluice::ai {

// OpenAI finish_reason -> Anthropic stop_reason. Some servers say "stop" after tool calls.
std::string_view AnthropicStopReason(std::string_view finish_reason, bool has_tool_use);
// Anthropic stop_reason -> OpenAI finish_reason.
std::string_view OpenAIFinishReason(std::string_view stop_reason, bool legacy_functions);

// "chatcmpl-X" <-> "msg_X", so an id stays recognisable across the translation.
std::string AnthropicMessageId(std::string_view id);
std::string OpenAICompletionId(std::string_view id);

}  // namespace sluice::ai
