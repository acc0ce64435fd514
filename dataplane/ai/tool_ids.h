#pragma once
// Tool call ids cross between formats unchanged where they can, so a conversation's calls and
// results still pair up when the client sends them back (internal to dataplane/ai).
#include <cstddef>
#include <string>
#include <string_view>

#include "dataplane/ai/json_writer.h"

namespace sluice::ai {

// Anthropic accepts only [A-Za-z0-9_-]+: other bytes become '_', an empty id "toolu_empty".
// Deterministic, so a call and its result map to the same id.
void WriteAnthropicToolId(JsonWriter& w, std::string_view id);

// The deprecated OpenAI function_call has no id; its Anthropic tool_use gets one from the
// position of the assistant message that made the call.
std::string LegacyFunctionCallId(size_t message_index);

}  // namespace sluice::ai
