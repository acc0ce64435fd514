#pragma once
// OpenAI response bodies: chat completions (whole and as SSE chunks), embeddings, models.
// What a completion says is decided by PlanCompletion (completion.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/mock-llm/chunk_source.h"
#include "tools/mock-llm/completion.h"
#include "tools/mock-llm/mock_stats.h"
#include "tools/mock-llm/openai_request.h"

namespace sluice::mock_llm {

struct CompletionMeta {
  std::string id;  // "chatcmpl-..."
  std::string model;
  int64_t created = 0;  // unix seconds
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// A "chat.completion" object: text, or a message with one tool call (content null).
std::string FormatChatCompletion(const CompletionMeta& meta, const CompletionPlan& plan,
                                 const Usage& usage);

// The SSE body of a streamed completion, one event per NextChunk:
//   1. delta {"role":"assistant","content":""}; for a tool call, content null and the call's
//      id, type and name with "arguments":""
//   2. one chunk per token, delta {"content":...}; for a tool call, one chunk per piece of the
//      arguments (SplitArguments), delta {"tool_calls":[{"index":0,"function":{"arguments"}}]}
//   3. delta {} with finish_reason
//   4. only with include_usage: "choices":[] and the usage block
//   5. "data: [DONE]"
// Every JSON chunk carries "sluice_mock_ts_us" (the `now_us` it was produced at) and, when
// include_usage is set, "usage":null like the real API.
class OpenAiChatStream final : public ChunkSource {
 public:
  struct Options {
    CompletionMeta meta;
    CompletionPlan plan;
    bool include_usage = false;
    Usage usage;
    MockStats* stats = nullptr;  // receives the usage when the usage chunk is produced
    ProviderApi api = ProviderApi::kOpenAi;  // the /_mock/stats bucket
  };
  explicit OpenAiChatStream(Options options);
  OpenAiChatStream(const OpenAiChatStream&) = delete;  // argument_pieces_ point into options_
  OpenAiChatStream& operator=(const OpenAiChatStream&) = delete;

  bool NextChunk(int64_t now_us, std::string* out) override;
  bool Exhausted() const override;

 private:
  int64_t StepCount() const;  // events in the whole stream, [DONE] included
  void AppendChunk(std::string_view choices_and_usage, int64_t now_us, std::string* out) const;

  Options options_;
  std::string prefix_;  // `data: {"id":...,"model":...,` shared by every chunk
  std::vector<std::string_view> argument_pieces_;  // into options_.plan.tool_call
  int64_t body_steps_ = 0;  // token or argument chunks
  CompletionTextWriter text_;
  int64_t step_ = 0;
};

// Deterministic unit-length vector for an input hash.
void EmbeddingVector(uint64_t seed, int dimensions, float* out);

// A "list" of embeddings, one per input, with usage.
std::string FormatEmbeddings(const EmbeddingsRequest& request);

// GET /v1/models, and GET /v1/models/{id} (nullopt for an unknown id).
std::string FormatModelList();
std::optional<std::string> FormatModel(std::string_view id);

}  // namespace sluice::mock_llm
