#pragma once
// What the response side needs to know about the request it answers.
#include <cstdint>
#include <string>

namespace sluice::ai {

struct ResponseOptions {
  // Reported as the answer's "model" (normally the alias the client asked for); empty keeps the
  // provider's.
  std::string model;
  // The answer's id when the provider gives none (the gateway's request id, say).
  std::string fallback_id;
  // OpenAI's "created" (unix seconds) for answers translated from Anthropic, which has none.
  int64_t created = 0;
  // Streams: the client asked for stream_options.include_usage (ChatRequest::include_usage).
  bool include_usage = false;
  // The client used OpenAI's deprecated functions (ChatRequest::legacy_functions).
  bool legacy_functions = false;
  // Usage falls back to this and to an estimate of the answer when the provider reports none.
  int64_t estimated_prompt_tokens = 0;
};

}  // namespace sluice::ai
