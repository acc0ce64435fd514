#pragma once
// OpenAI response bodies: chat completions (whole and as SSE chunks), embeddings, models.
// Completions are deterministic: N tokens are the words "tok1 tok2 ... tokN", one token each.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tools/mock-llm/chunk_source.h"
#include "tools/mock-llm/fault_spec.h"  // kMaxCompletionTokens
#include "tools/mock-llm/openai_request.h"

namespace sluice::mock_llm {

struct MockStats;

struct CompletionMeta {
  std::string id;  // "chatcmpl-..."
  std::string model;
  int64_t created = 0;  // unix seconds
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

inline constexpr int64_t kDefaultCompletionTokens = 16;

struct CompletionLength {
  int64_t tokens = 0;
  std::string_view finish_reason;  // "stop" or "length"
};

// The completion length: the x-mock-tokens header if given, else max_tokens, else 16, never more
// than max_tokens or kMaxCompletionTokens. finish_reason is "length" when max_tokens decided the
// length (the mock would otherwise go on), "stop" when the header or the default did.
CompletionLength ChooseCompletionLength(std::optional<int64_t> header_tokens,
                                        std::optional<int64_t> max_tokens);

// "chatcmpl-" followed by 16 hex digits, unique within the process.
std::string NewCompletionId();

// Appends the text of token `index` (1-based): "tok1", then " tok2", " tok3"... so that the
// streamed deltas concatenate to exactly CompletionText(n).
void AppendCompletionToken(int64_t index, std::string* out);
std::string CompletionText(int64_t tokens);

// A "chat.completion" object.
std::string FormatChatCompletion(const CompletionMeta& meta, int64_t tokens,
                                 std::string_view finish_reason, const Usage& usage);

// The SSE body of a streamed completion, one event per NextChunk:
//   1. delta {"role":"assistant","content":""}
//   2. one chunk per token, delta {"content":...}
//   3. delta {} with finish_reason
//   4. only with include_usage: "choices":[] and the usage block
//   5. "data: [DONE]"
// Every JSON chunk carries "sluice_mock_ts_us" (the `now_us` it was produced at) and, when
// include_usage is set, "usage":null like the real API.
class OpenAiChatStream final : public ChunkSource {
 public:
  struct Options {
    CompletionMeta meta;
    int64_t tokens = 0;
    std::string finish_reason = "stop";
    bool include_usage = false;
    Usage usage;
    MockStats* stats = nullptr;  // receives the usage when the usage chunk is produced
  };
  explicit OpenAiChatStream(Options options);

  bool NextChunk(int64_t now_us, std::string* out) override;
  bool Exhausted() const override;

 private:
  int64_t StepCount() const;  // events in the whole stream, [DONE] included
  void AppendChunk(std::string_view choices_and_usage, int64_t now_us, std::string* out) const;

  Options options_;
  std::string prefix_;  // `data: {"id":...,"model":...,` shared by every chunk
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
