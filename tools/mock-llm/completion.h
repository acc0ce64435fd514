#pragma once
// What the mock answers, independent of the API it speaks: N tokens of text (the words
// "tok1 tok2 ... tokN", one token each), possibly cut short by a stop sequence, or a tool call.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/mock-llm/tool_call.h"

namespace sluice::mock_llm {

inline constexpr int64_t kDefaultCompletionTokens = 16;

struct CompletionLength {
  int64_t tokens = 0;
  std::string_view finish_reason;  // "stop" or "length"
};

// The completion length: the x-mock-tokens header if given, else max_tokens, else 16, never more
// than max_tokens or kMaxCompletionTokens. finish_reason is "length" when max_tokens decided the
// length (the mock would otherwise go on), "stop" when the header or the default did.
// (Anthropic requires max_tokens, so its handler passes the header or 16 as `header_tokens`:
// there max_tokens only ever shortens.)
CompletionLength ChooseCompletionLength(std::optional<int64_t> header_tokens,
                                        std::optional<int64_t> max_tokens);

// `prefix` followed by 16 hex digits, unique within the process ("chatcmpl-", "msg_", "call_").
std::string NewMockId(std::string_view prefix);
inline std::string NewCompletionId() { return NewMockId("chatcmpl-"); }

// Appends the text of token `index` (1-based): "tok1", then " tok2", " tok3"... so that the
// streamed deltas concatenate to exactly CompletionText(n).
void AppendCompletionToken(int64_t index, std::string* out);
std::string CompletionText(int64_t tokens);

enum class StopReason { kEndTurn, kMaxTokens, kStopSequence, kToolCall };
std::string_view OpenAiFinishReason(StopReason reason);     // stop, length, stop, tool_calls
std::string_view AnthropicStopReason(StopReason reason);    // end_turn, max_tokens, ...

inline constexpr size_t kWholeText = static_cast<size_t>(-1);

struct CompletionPlan {
  int64_t tokens = 0;              // text tokens sent (0 for a tool call)
  size_t text_bytes = kWholeText;  // CompletionText(tokens) is cut here (a stop sequence)
  StopReason stop = StopReason::kEndTurn;
  std::string stop_sequence;       // the stop sequence that matched
  std::optional<ToolCall> tool_call;
  int64_t completion_tokens = 0;   // reported usage
};

// Text: the earliest match of any stop sequence in CompletionText(length.tokens) cuts the text
// before it; the tokens sent (and counted) are those with at least one byte before the cut, and
// the reason is kStopSequence. Tool call: completion_tokens = EstimateTokens(arguments bytes),
// and the length is ignored.
CompletionPlan PlanCompletion(const CompletionLength& length,
                              const std::vector<std::string>& stop_sequences,
                              std::optional<ToolCall> tool_call);

// Writes the text tokens of a plan in order, clipped at its text_bytes, so whole bodies and
// streamed deltas agree byte for byte.
class CompletionTextWriter {
 public:
  explicit CompletionTextWriter(size_t limit) : limit_(limit) {}
  void AppendToken(int64_t index, std::string* out);

 private:
  size_t limit_;
  size_t written_ = 0;
  std::string scratch_;
};

}  // namespace sluice::mock_llm
