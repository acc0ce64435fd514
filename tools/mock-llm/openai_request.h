#pragma once
// Parsing of OpenAI request bodies (chat completions, embeddings), and the token estimate the mock
// reports as prompt usage.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/mock-llm/tool_call.h"

namespace simdjson::dom {
class parser;
}

namespace sluice::mock_llm {

// Token estimate for a piece of text of `bytes` UTF-8 bytes: max(1, ceil(bytes / 4)).
//
// Prompt usage (tests rely on this formula): each chat message counts EstimateTokens(B), where B
// is the byte length of its text -- the string content, or the sum of the "text" fields of its
// content parts (image and other non-text parts add 0 bytes; null content is 0 bytes) -- and
// prompt_tokens is the sum over all messages. Tool definitions and tool_calls add nothing.
// Embeddings: the same per input. (Anthropic requests count the same way, with the system prompt
// as one more message, so a request translated between the two formats keeps its count.)
inline int64_t EstimateTokens(size_t bytes) {
  return bytes == 0 ? 1 : static_cast<int64_t>((bytes + 3) / 4);
}

struct ChatRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  size_t message_count = 0;
  int64_t prompt_tokens = 0;
  std::vector<std::string> stop;      // "stop": a string or up to 4 strings
  std::vector<ToolSpec> tools;        // "tools" of type "function"
  ToolChoice tool_choice;
};

struct EmbeddingsRequest {
  std::string model;
  std::vector<uint64_t> input_hashes;  // one per input; seeds that input's vector
  int dimensions = 8;
  bool base64 = false;                 // encoding_format "base64" (the openai SDKs' default)
  int64_t prompt_tokens = 0;
};

// Owns simdjson's buffers so parsing reuses them from one request to the next. One per thread.
// Errors are InvalidArgument with a message meant for the client.
class OpenAiRequestParser {
 public:
  OpenAiRequestParser();
  ~OpenAiRequestParser();
  OpenAiRequestParser(const OpenAiRequestParser&) = delete;
  OpenAiRequestParser& operator=(const OpenAiRequestParser&) = delete;

  // Azure names the model in the URL (the deployment), so there `model` may be absent.
  absl::StatusOr<ChatRequest> ParseChat(std::string_view body, bool model_required = true);
  absl::StatusOr<EmbeddingsRequest> ParseEmbeddings(std::string_view body,
                                                    bool model_required = true);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace sluice::mock_llm
