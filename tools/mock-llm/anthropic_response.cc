#include "tools/mock-llm/anthropic_response.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"

namespace sluice::mock_llm {
namespace {

void AppendUsage(const MessageUsage& usage, std::string* out) {
  absl::StrAppend(out, "{\"input_tokens\":", usage.input_tokens,
                  ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
                  "\"output_tokens\":",
                  usage.output_tokens, "}");
}

void AppendStopFields(const CompletionPlan& plan, std::string* out) {
  out->append("\"stop_reason\":");
  AppendJsonString(out, AnthropicStopReason(plan.stop));
  out->append(",\"stop_sequence\":");
  if (plan.stop == StopReason::kStopSequence) {
    AppendJsonString(out, plan.stop_sequence);
  } else {
    out->append("null");
  }
}

// {"type":"message","role","model","id" ... up to (not including) "content".
void AppendMessageHead(const MessageMeta& meta, std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(out, meta.id);
  out->append(",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  AppendJsonString(out, meta.model);
}

void AppendToolUseBlock(const ToolCall& call, std::string_view input, std::string* out) {
  out->append("{\"type\":\"tool_use\",\"id\":");
  AppendJsonString(out, call.id);
  out->append(",\"name\":");
  AppendJsonString(out, call.name);
  out->append(",\"input\":");
  out->append(input);
  out->push_back('}');
}

}  // namespace

std::string FormatMessage(const MessageMeta& meta, const CompletionPlan& plan,
                          const MessageUsage& usage) {
  std::string out;
  out.reserve(320 + meta.model.size() + static_cast<size_t>(plan.tokens) * 8);
  AppendMessageHead(meta, &out);
  out.append(",\"content\":[");
  if (plan.tool_call.has_value()) {
    AppendToolUseBlock(*plan.tool_call, plan.tool_call->arguments_json, &out);
  } else if (plan.tokens > 0 && plan.text_bytes > 0) {
    out.append("{\"type\":\"text\",\"text\":\"");
    CompletionTextWriter text(plan.text_bytes);
    for (int64_t i = 1; i <= plan.tokens; ++i) text.AppendToken(i, &out);
    out.append("\"}");
  }
  out.append("],");
  AppendStopFields(plan, &out);
  out.append(",\"usage\":");
  AppendUsage(usage, &out);
  out.push_back('}');
  return out;
}

AnthropicMessageStream::AnthropicMessageStream(Options options)
    : options_(std::move(options)), text_(options_.plan.text_bytes) {
  if (options_.plan.tool_call.has_value()) {
    argument_pieces_ = SplitArguments(options_.plan.tool_call->arguments_json);
    deltas_ = static_cast<int64_t>(argument_pieces_.size());
    has_block_ = true;
  } else {
    deltas_ = options_.plan.text_bytes > 0 ? options_.plan.tokens : 0;
    has_block_ = deltas_ > 0;
  }
}

AnthropicMessageStream::Event AnthropicMessageStream::EventAt(int64_t step) const {
  // message_start, [block_start], ping, deltas..., [block_stop], message_delta, message_stop
  if (step == 0) return Event::kMessageStart;
  int64_t next = 1;
  if (has_block_) {
    if (step == next) return Event::kBlockStart;
    ++next;
  }
  if (step == next) return Event::kPing;
  ++next;
  if (step < next + deltas_) return Event::kDelta;
  next += deltas_;
  if (has_block_) {
    if (step == next) return Event::kBlockStop;
    ++next;
  }
  if (step == next) return Event::kMessageDelta;
  if (step == next + 1) return Event::kMessageStop;
  return Event::kEnd;
}

bool AnthropicMessageStream::Exhausted() const { return EventAt(step_) == Event::kEnd; }

bool AnthropicMessageStream::NextChunk(int64_t now_us, std::string* out) {
  const Event event = EventAt(step_);
  if (event == Event::kEnd) return false;
  ++step_;
  const CompletionPlan& plan = options_.plan;
  std::string_view name;
  std::string data;
  switch (event) {
    case Event::kMessageStart:
      name = "message_start";
      data.append("{\"type\":\"message_start\",\"message\":");
      AppendMessageHead(options_.meta, &data);
      data.append(",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
      AppendUsage({options_.usage.input_tokens, 1}, &data);
      data.push_back('}');
      if (options_.stats != nullptr) {
        options_.stats->AddUsage(ProviderApi::kAnthropic, options_.usage.input_tokens, 0);
      }
      break;
    case Event::kBlockStart:
      name = "content_block_start";
      data.append("{\"type\":\"content_block_start\",\"index\":0,\"content_block\":");
      if (plan.tool_call.has_value()) {
        AppendToolUseBlock(*plan.tool_call, "{}", &data);
      } else {
        data.append("{\"type\":\"text\",\"text\":\"\"}");
      }
      break;
    case Event::kPing:
      name = "ping";
      data.append("{\"type\":\"ping\"");
      break;
    case Event::kDelta: {
      name = "content_block_delta";
      data.append("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":");
      const int64_t i = delta_index_++;
      if (plan.tool_call.has_value()) {
        data.append("{\"type\":\"input_json_delta\",\"partial_json\":");
        AppendJsonString(&data, argument_pieces_[static_cast<size_t>(i)]);
        data.push_back('}');
      } else {
        data.append("{\"type\":\"text_delta\",\"text\":\"");
        text_.AppendToken(i + 1, &data);
        data.append("\"}");
      }
      break;
    }
    case Event::kBlockStop:
      name = "content_block_stop";
      data.append("{\"type\":\"content_block_stop\",\"index\":0");
      break;
    case Event::kMessageDelta:
      name = "message_delta";
      data.append("{\"type\":\"message_delta\",\"delta\":{");
      AppendStopFields(plan, &data);
      absl::StrAppend(&data, "},\"usage\":{\"output_tokens\":", options_.usage.output_tokens, "}");
      if (options_.stats != nullptr) {
        options_.stats->AddUsage(ProviderApi::kAnthropic, 0, options_.usage.output_tokens);
      }
      break;
    case Event::kMessageStop:
      name = "message_stop";
      data.append("{\"type\":\"message_stop\"");
      break;
    case Event::kEnd:
      return false;
  }
  absl::StrAppend(out, "event: ", Sv(name), "\ndata: ", data, ",\"sluice_mock_ts_us\":", now_us,
                  "}\n\n");
  return true;
}

}  // namespace sluice::mock_llm
