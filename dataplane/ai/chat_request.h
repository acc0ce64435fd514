#pragma once
// A client's chat request (OpenAI chat.completions or Anthropic Messages), parsed once when its
// body has been buffered. The gateway reads what it routes on (model alias, stream, a prompt-size
// estimate) and then builds the body for whichever provider serves the call -- again for the next
// one on a fallback -- translating between the wire formats when they differ.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dataplane/ai/provider_endpoint.h"
#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

struct ProviderBodyOptions {
  ProviderKind provider = ProviderKind::kOpenAI;
  // Replaces the body's "model" (the provider's name for the model); empty keeps the client's.
  std::string_view model;
  // Anthropic requires max_tokens; used when an OpenAI request sets no limit.
  int64_t default_max_tokens = 4096;
};

class ChatRequest {
 public:
  // Fails (InvalidArgument, with a message for the client) if the body is not JSON, not an object,
  // or has no "messages" array.
  static absl::StatusOr<ChatRequest> Parse(WireFormat format, std::string body);

  ChatRequest(ChatRequest&&) noexcept;
  ChatRequest& operator=(ChatRequest&&) noexcept;
  ~ChatRequest();

  WireFormat format() const { return format_; }
  std::string_view body() const { return body_; }
  // The client's "model": the alias the gateway routes on (empty if the client sent none).
  std::string_view model() const { return model_; }
  bool stream() const { return stream_; }
  // The client asked for stream_options.include_usage (OpenAI); the gateway asks providers for
  // usage regardless and hides it from clients that did not.
  bool include_usage() const { return include_usage_; }
  // The OpenAI request used the deprecated "functions"; answers then use "function_call" too.
  bool legacy_functions() const { return legacy_functions_; }
  // See EstimateMessageTokens (usage.h): summed over the system prompt and every message.
  int64_t estimated_prompt_tokens() const { return estimated_prompt_tokens_; }

  // The body for a provider: in its wire format, with its model name, and (streaming) with usage
  // requested. Fails (InvalidArgument) for a request the provider's format cannot express, e.g.
  // n > 1 or response_format for an Anthropic model.
  absl::StatusOr<std::string> BuildProviderBody(const ProviderBodyOptions& options) const;

 private:
  struct Dom;
  ChatRequest(WireFormat format, std::string body);

  WireFormat format_;
  std::string body_;
  std::unique_ptr<Dom> dom_;  // the parsed body
  std::string model_;
  bool stream_ = false;
  bool include_usage_ = false;
  bool legacy_functions_ = false;
  int64_t estimated_prompt_tokens_ = 0;
};

// Replaces the top-level "model" of a JSON body (embeddings requests and other pass-through
// bodies), leaving every other byte alone. Fails if the body is not an object.
absl::StatusOr<std::string> ReplaceModel(std::string_view body, std::string_view model);

}  // namespace sluice::ai
