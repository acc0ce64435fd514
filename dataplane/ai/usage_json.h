#pragma once
// Reading and writing the usage objects of both wire formats (internal to dataplane/ai).
#include <optional>

#include "dataplane/ai/json_dom.h"
#include "dataplane/ai/usage.h"

namespace sluice::ai::json {

// OpenAI {"prompt_tokens","completion_tokens","total_tokens","prompt_tokens_details"}.
Usage ReadOpenAIUsage(object usage);

// Anthropic usage arrives in pieces (message_start, then message_delta), each with some fields.
struct AnthropicUsage {
  std::optional<int64_t> input_tokens;  // excludes cache reads and writes
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> cache_read_input_tokens;
  std::optional<int64_t> cache_creation_input_tokens;

  // Fields present in `usage` replace ours.
  void Merge(object usage);
  bool has_input() const {
    return input_tokens || cache_read_input_tokens || cache_creation_input_tokens;
  }
  int64_t prompt_tokens() const {
    return input_tokens.value_or(0) + cache_read_input_tokens.value_or(0) +
           cache_creation_input_tokens.value_or(0);
  }
};
Usage ToUsage(const AnthropicUsage& usage);

void WriteOpenAIUsage(JsonWriter& w, const Usage& usage);
// input_tokens excludes the cached part, as Anthropic counts it.
void WriteAnthropicUsage(JsonWriter& w, const Usage& usage);

}  // namespace sluice::ai::json
