#pragma once
// Anthropic Messages API responses: a whole "message" object and the SSE event stream.
// What the message says is decided by PlanCompletion (completion.h).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/mock-llm/chunk_source.h"
#include "tools/mock-llm/completion.h"
#include "tools/mock-llm/mock_stats.h"

namespace sluice::mock_llm {

struct MessageMeta {
  std::string id;  // "msg_..."
  std::string model;
};

struct MessageUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

// {"id","type":"message","role":"assistant","model","content":[...],"stop_reason",
//  "stop_sequence","usage":{"input_tokens","cache_creation_input_tokens":0,
//  "cache_read_input_tokens":0,"output_tokens"}}. Content: one text block (none when the text
// is empty), or one tool_use block.
std::string FormatMessage(const MessageMeta& meta, const CompletionPlan& plan,
                          const MessageUsage& usage);

// The SSE body of a streamed message, one event ("event: TYPE\ndata: {...}\n\n") per NextChunk:
//   message_start   (usage: input_tokens, output_tokens 1, as the real API reports)
//   content_block_start (text "", or tool_use with "input":{}) -- not for an empty text
//   ping
//   content_block_delta, one per token (text_delta) or argument piece (input_json_delta)
//   content_block_stop -- not for an empty text
//   message_delta   (stop_reason, stop_sequence; usage.output_tokens = the final count)
//   message_stop
// Every data object carries a top-level "sluice_mock_ts_us" (the `now_us` it was produced at),
// a field the SDKs ignore. /_mock/stats counts input_tokens once message_start is produced and
// output_tokens once message_delta is.
class AnthropicMessageStream final : public ChunkSource {
 public:
  struct Options {
    MessageMeta meta;
    CompletionPlan plan;
    MessageUsage usage;
    MockStats* stats = nullptr;
  };
  explicit AnthropicMessageStream(Options options);
  AnthropicMessageStream(const AnthropicMessageStream&) = delete;  // pieces point into options_
  AnthropicMessageStream& operator=(const AnthropicMessageStream&) = delete;

  bool NextChunk(int64_t now_us, std::string* out) override;
  bool Exhausted() const override;

 private:
  enum class Event { kMessageStart, kBlockStart, kPing, kDelta, kBlockStop, kMessageDelta,
                     kMessageStop, kEnd };
  Event EventAt(int64_t step) const;

  Options options_;
  std::vector<std::string_view> argument_pieces_;
  bool has_block_ = false;
  int64_t deltas_ = 0;
  int64_t step_ = 0;
  int64_t delta_index_ = 0;
  CompletionTextWriter text_;
};

}  // namespace sluice::mock_llm
