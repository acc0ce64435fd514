#pragma once
// Parsing of Anthropic Messages API request bodies (POST /v1/messages), strict where a gateway
// translating from OpenAI could go wrong: roles are only "user"/"assistant" (the system prompt
// is a top-level field), max_tokens is required, tool_use/tool_result blocks are complete.
//
// Prompt usage: each message counts EstimateTokens(B), B = the bytes of its text -- a string
// content, or the "text" of its text blocks plus the text of its tool_result blocks' content
// (other blocks add 0) -- and a "system" prompt (string or text blocks) counts as one more
// message. See openai_request.h: an OpenAI request with the same messages counts the same.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/mock-llm/tool_call.h"

namespace simdjson::dom {
class parser;
}

namespace sluice::mock_llm {

struct MessagesRequest {
  std::string model;
  int64_t max_tokens = 0;
  bool stream = false;
  bool has_system = false;
  size_t message_count = 0;
  int64_t prompt_tokens = 0;
  std::vector<std::string> stop_sequences;
  std::vector<ToolSpec> tools;
  ToolChoice tool_choice;
};

// Owns simdjson's buffers so parsing reuses them. One per thread. Errors are InvalidArgument
// with a message meant for the client.
class AnthropicRequestParser {
 public:
  AnthropicRequestParser();
  ~AnthropicRequestParser();
  AnthropicRequestParser(const AnthropicRequestParser&) = delete;
  AnthropicRequestParser& operator=(const AnthropicRequestParser&) = delete;

  absl::StatusOr<MessagesRequest> ParseMessages(std::string_view body);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace sluice::mock_llm
