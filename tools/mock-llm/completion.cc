#include "tools/mock-llm/completion.h"

#include <algorithm>
#include <atomic>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "tools/mock-llm/fault_spec.h"       // kMaxCompletionTokens
#include "tools/mock-llm/openai_request.h"  // EstimateTokens

namespace sluice::mock_llm {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

CompletionLength ChooseCompletionLength(std::optional<int64_t> header_tokens,
                                        std::optional<int64_t> max_tokens) {
  CompletionLength length{kDefaultCompletionTokens, "stop"};
  if (header_tokens.has_value()) {
    length.tokens = *header_tokens;
    if (max_tokens.has_value() && *header_tokens > *max_tokens) {
      length = {*max_tokens, "length"};
    }
  } else if (max_tokens.has_value()) {
    length = {*max_tokens, "length"};
  }
  length.tokens = std::min(length.tokens, kMaxCompletionTokens);
  return length;
}

std::string NewMockId(std::string_view prefix) {
  static const uint64_t seed = static_cast<uint64_t>(time(nullptr)) ^
                               (static_cast<uint64_t>(clock()) << 32);
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  return absl::StrCat(Sv(prefix), absl::Hex(SplitMix64(seed + n), absl::kZeroPad16));
}

void AppendCompletionToken(int64_t index, std::string* out) {
  absl::StrAppend(out, index == 1 ? "tok" : " tok", index);
}

std::string CompletionText(int64_t tokens) {
  std::string text;
  text.reserve(static_cast<size_t>(std::max<int64_t>(tokens, 0)) * 8);
  for (int64_t i = 1; i <= tokens; ++i) AppendCompletionToken(i, &text);
  return text;
}

std::string_view OpenAiFinishReason(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxTokens: return "length";
    case StopReason::kToolCall: return "tool_calls";
    case StopReason::kEndTurn:
    case StopReason::kStopSequence: break;
  }
  return "stop";
}

std::string_view AnthropicStopReason(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kStopSequence: return "stop_sequence";
    case StopReason::kToolCall: return "tool_use";
    case StopReason::kEndTurn: break;
  }
  return "end_turn";
}

CompletionPlan PlanCompletion(const CompletionLength& length,
                              const std::vector<std::string>& stop_sequences,
                              std::optional<ToolCall> tool_call) {
  CompletionPlan plan;
  if (tool_call.has_value()) {
    plan.stop = StopReason::kToolCall;
    plan.completion_tokens = EstimateTokens(tool_call->arguments_json.size());
    plan.tool_call = std::move(tool_call);
    return plan;
  }
  plan.tokens = length.tokens;
  plan.stop = length.finish_reason == "length" ? StopReason::kMaxTokens : StopReason::kEndTurn;
  if (!stop_sequences.empty() && plan.tokens > 0) {
    const std::string text = CompletionText(plan.tokens);
    size_t cut = std::string::npos;
    for (const std::string& stop : stop_sequences) {
      const size_t at = text.find(stop);
      if (at < cut) {
        cut = at;
        plan.stop_sequence = stop;
      }
    }
    if (cut != std::string::npos) {
      plan.stop = StopReason::kStopSequence;
      plan.text_bytes = cut;
      // Token i starts where token i-1 ended; count those starting before the cut.
      int64_t sent = 0;
      size_t start = 0;
      std::string piece;
      for (int64_t i = 1; i <= plan.tokens && start < cut; ++i) {
        piece.clear();
        AppendCompletionToken(i, &piece);
        start += piece.size();
        sent = i;
      }
      plan.tokens = sent;
    }
  }
  plan.completion_tokens = plan.tokens;
  return plan;
}

void CompletionTextWriter::AppendToken(int64_t index, std::string* out) {
  if (written_ >= limit_) return;
  scratch_.clear();
  AppendCompletionToken(index, &scratch_);
  const size_t n = std::min(scratch_.size(), limit_ - written_);
  out->append(scratch_, 0, n);
  written_ += n;
}

}  // namespace sluice::mock_llm
