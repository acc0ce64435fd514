#pragma once
// Token usage of one AI call, as the provider reported it or as estimated when it did not.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

struct Usage {
  int64_t prompt_tokens = 0;  // all input tokens, cached ones included
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // part of prompt_tokens served from the provider's cache
  bool estimated = false;            // some of the numbers are our estimate, not the provider's
};

// The estimate used when a provider reports no usage: one token per 4 bytes of text, rounded up
// (English text averages ~4 characters per token with the GPT and Claude tokenizers; other
// scripts and code run higher, so this errs low for them). Only text counts: message text, tool
// call arguments and tool results; images, tool schemas and per-message framing do not.
inline int64_t EstimateTokens(size_t text_bytes) {
  return static_cast<int64_t>((text_bytes + 3) / 4);
}
// A prompt's estimate: each message counts EstimateTokens of its text, at least 1.
inline int64_t EstimateMessageTokens(size_t text_bytes) {
  return text_bytes == 0 ? 1 : EstimateTokens(text_bytes);
}

// Usage from a complete (non-streaming) response body in `format` (chat completion, Anthropic
// message, or embeddings). nullopt if the body reports none.
std::optional<Usage> ExtractUsage(WireFormat format, std::string_view body);

}  // namespace sluice::ai
