#include "dataplane/ai/stream_translator.h"

#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "dataplane/ai/format_mapping.h"
#include "dataplane/ai/json_dom.h"
#include "dataplane/ai/json_splice.h"
#include "dataplane/ai/sse_parser.h"
#include "dataplane/ai/tool_ids.h"
#include "dataplane/ai/usage_json.h"

namespace sluice::ai {

using json::array;
using json::element;
using json::object;

namespace {

constexpr std::string_view kCutShort = "the provider's stream ended before the answer was complete";

// One event: an "event:" line when `type` is set, a "data:" line per line of `data`, a blank line.
void AppendEvent(std::string* out, std::string_view type, std::string_view data) {
  if (!type.empty()) {
    out->append("event: ");
    out->append(type);
    out->push_back('\n');
  }
  size_t pos = 0;
  while (true) {
    size_t nl = data.find('\n', pos);
    out->append("data: ");
    out->append(data.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
    out->push_back('\n');
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  out->push_back('\n');
}

// The event type to repeat when re-framing: the SSE default "message" is left implicit.
std::string_view ExplicitType(const SseEvent& e) { return e.type == "message" ? "" : e.type; }

// Bytes of generated text in an OpenAI delta (content, refusal, reasoning, tool arguments).
size_t OpenAIDeltaBytes(object delta) {
  size_t bytes = json::String(delta, "content").value_or("").size() +
                 json::String(delta, "refusal").value_or("").size() +
                 json::String(delta, "reasoning_content").value_or("").size();
  if (auto calls = json::Array(delta, "tool_calls")) {
    for (element c : *calls) {
      auto call = json::AsObject(c);
      auto fn = call ? json::Object(*call, "function") : std::nullopt;
      if (fn) bytes += json::String(*fn, "arguments").value_or("").size();
    }
  }
  if (auto fc = json::Object(delta, "function_call")) {
    bytes += json::String(*fc, "arguments").value_or("").size();
  }
  return bytes;
}

std::optional<object> FirstChoice(object chunk, size_t* count) {
  auto choices = json::Array(chunk, "choices");
  *count = choices ? choices->size() : 0;
  if (*count == 0) return std::nullopt;
  return json::AsObject(choices->at(0).value_unsafe());
}

class StreamBase : public StreamTranslator {
 public:
  explicit StreamBase(ResponseOptions options) : options_(std::move(options)) {
    if (!options_.model.empty()) AppendJsonQuoted(&model_json_, options_.model);
  }

  absl::Status Feed(std::string_view upstream, std::string* out) final {
    return sse_.Feed(
        upstream, [&](const SseEvent& e) { OnEvent(e, out); },
        [&](std::string_view comment) {
          // Keep-alives keep the client's connection (and its proxies) from timing out while
          // the provider is quiet; every SSE client ignores them.
          out->push_back(':');
          out->append(comment);
          out->append("\n\n");
        });
  }

  Usage usage() const final {
    Usage u;
    u.prompt_tokens = prompt_.value_or(options_.estimated_prompt_tokens);
    u.completion_tokens = completion_.value_or(EstimateTokens(generated_bytes_));
    u.cached_prompt_tokens = cached_;
    u.estimated = !prompt_ || !completion_;
    u.total_tokens = total_ && !u.estimated ? *total_ : u.prompt_tokens + u.completion_tokens;
    return u;
  }
  bool first_token_seen() const final { return first_token_; }
  bool complete() const final { return complete_; }

 protected:
  virtual void OnEvent(const SseEvent& event, std::string* out) = 0;

  void CountGenerated(size_t bytes) {
    generated_bytes_ += bytes;
    if (bytes > 0) first_token_ = true;
  }
  void RecordOpenAIUsage(object usage) {
    Usage u = json::ReadOpenAIUsage(usage);
    prompt_ = u.prompt_tokens;
    completion_ = u.completion_tokens;
    total_ = u.total_tokens;
    cached_ = u.cached_prompt_tokens;
  }
  // message_start carries the input side (and a provisional output count); message_delta the
  // final output count.
  void RecordAnthropicUsage(object usage, bool final_output) {
    anthropic_usage_.Merge(usage);
    if (anthropic_usage_.has_input()) {
      prompt_ = anthropic_usage_.prompt_tokens();
      cached_ = anthropic_usage_.cache_read_input_tokens.value_or(0);
    }
    if (final_output && anthropic_usage_.output_tokens) {
      completion_ = anthropic_usage_.output_tokens;
    }
  }

  ResponseOptions options_;
  std::string model_json_;  // options_.model as JSON; empty: keep the provider's model
  SseParser sse_;
  std::string scratch_;
  json::AnthropicUsage anthropic_usage_;
  std::optional<int64_t> prompt_;
  std::optional<int64_t> completion_;
  std::optional<int64_t> total_;
  int64_t cached_ = 0;
  size_t generated_bytes_ = 0;
  bool first_token_ = false;
  bool complete_ = false;
};

// ---- pass-through observers ----

class OpenAIObserver final : public StreamBase {
 public:
  using StreamBase::StreamBase;
  void Finish(std::string*) override {}

 private:
  void OnEvent(const SseEvent& e, std::string* out) override {
    if (e.data == "[DONE]") {
      complete_ = true;
      AppendEvent(out, ExplicitType(e), e.data);
      return;
    }
    auto root = json::Parse(e.data);
    auto chunk = root ? json::AsObject(*root) : std::nullopt;
    if (!chunk) {
      AppendEvent(out, ExplicitType(e), e.data);  // not ours to judge
      return;
    }
    JsonEdit edits[2];
    size_t n = 0;
    size_t choices = 0;
    if (auto array_of_choices = json::Array(*chunk, "choices")) {
      choices = array_of_choices->size();
      for (element c : *array_of_choices) {
        auto choice = json::AsObject(c);
        auto delta = choice ? json::Object(*choice, "delta") : std::nullopt;
        if (delta) CountGenerated(OpenAIDeltaBytes(*delta));
      }
    }
    if (auto usage = json::Object(*chunk, "usage")) {
      RecordOpenAIUsage(*usage);
      if (!options_.include_usage) {
        if (choices == 0) return;  // the usage chunk the gateway asked for, not the client
        if (auto span = FindJsonValue(e.data, {"usage"})) edits[n++] = {*span, "null"};
      }
    }
    if (!model_json_.empty()) {
      if (auto span = FindJsonValue(e.data, {"model"})) edits[n++] = {*span, model_json_};
    }
    if (n == 0) {
      AppendEvent(out, ExplicitType(e), e.data);
      return;
    }
    scratch_.clear();
    AppendWithEdits(e.data, std::span<const JsonEdit>(edits, n), &scratch_);
    AppendEvent(out, ExplicitType(e), scratch_);
  }
};

class AnthropicObserver final : public StreamBase {
 public:
  using StreamBase::StreamBase;
  void Finish(std::string*) override {}

 private:
  void OnEvent(const SseEvent& e, std::string* out) override {
    if (e.type == "ping") {
      AppendEvent(out, ExplicitType(e), e.data);
      return;
    }
    auto root = json::Parse(e.data);
    auto event = root ? json::AsObject(*root) : std::nullopt;
    if (!event) {
      AppendEvent(out, ExplicitType(e), e.data);
      return;
    }
    std::optional<JsonSpan> model_span;
    std::string_view type = json::String(*event, "type").value_or(e.type);
    if (type == "message_start") {
      if (auto message = json::Object(*event, "message")) {
        if (auto usage = json::Object(*message, "usage")) RecordAnthropicUsage(*usage, false);
      }
      if (!model_json_.empty()) model_span = FindJsonValue(e.data, {"message", "model"});
    } else if (type == "content_block_delta") {
      if (auto delta = json::Object(*event, "delta")) {
        CountGenerated(json::String(*delta, "text").value_or("").size() +
                       json::String(*delta, "partial_json").value_or("").size() +
                       json::String(*delta, "thinking").value_or("").size());
      }
    } else if (type == "message_delta") {
      if (auto usage = json::Object(*event, "usage")) RecordAnthropicUsage(*usage, true);
    } else if (type == "message_stop") {
      complete_ = true;
    }
    if (!model_span) {
      AppendEvent(out, ExplicitType(e), e.data);
      return;
    }
    scratch_.clear();
    JsonEdit edit{*model_span, model_json_};
    AppendWithEdits(e.data, std::span<const JsonEdit>(&edit, 1), &scratch_);
    AppendEvent(out, ExplicitType(e), scratch_);
  }
};

// ---- OpenAI chunks -> Anthropic events ----

class OpenAIToAnthropicStream final : public StreamBase {
 public:
  using StreamBase::StreamBase;

  void Finish(std::string* out) override {
    if (finished_) return;
    if (finish_reason_) {
      Close(out);  // complete answer, only the [DONE] was missing
    } else {
      EmitError(out, "api_error", kCutShort);
    }
  }

 private:
  enum class Block { kNone, kText, kTool };

  void OnEvent(const SseEvent& e, std::string* out) override {
    if (finished_) return;
    if (e.data == "[DONE]") {
      complete_ = true;
      Close(out);
      return;
    }
    auto root = json::Parse(e.data);
    auto chunk = root ? json::AsObject(*root) : std::nullopt;
    if (!chunk) return;
    if (auto error = json::Object(*chunk, "error")) {
      EmitError(out, "api_error", json::String(*error, "message").value_or("provider error"));
      return;
    }
    if (auto usage = json::Object(*chunk, "usage")) RecordOpenAIUsage(*usage);
    size_t count = 0;
    auto choice = FirstChoice(*chunk, &count);
    if (!choice) return;                                       // usage-only or prompt-filter chunks
    if (json::Int(*choice, "index").value_or(0) != 0) return;  // an Anthropic answer has one
    Start(chunk, out);
    if (auto delta = json::Object(*choice, "delta")) {
      if (auto text = json::String(*delta, "content")) Text(*text, out);
      if (auto refusal = json::String(*delta, "refusal")) Text(*refusal, out);
      if (auto calls = json::Array(*delta, "tool_calls")) {
        for (element c : *calls) {
          if (auto call = json::AsObject(c)) ToolDelta(*call, out);
        }
      }
    }
    if (auto finish = json::String(*choice, "finish_reason")) {
      finish_reason_ = std::string(*finish);
      CloseBlock(out);
    }
  }

  void BeginEvent(std::string_view type, std::string* out) {
    out->append("event: ");
    out->append(type);
    out->append("\ndata: ");
  }
  static void EndEvent(std::string* out) { out->append("\n\n"); }

  void Start(std::optional<object> chunk, std::string* out) {
    if (started_) return;
    started_ = true;
    std::string_view id = chunk ? json::String(*chunk, "id").value_or("") : "";
    std::string_view model = options_.model;
    if (model.empty() && chunk) model = json::String(*chunk, "model").value_or("");
    BeginEvent("message_start", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("message_start").Key("message").BeginObject();
    w.Key("id").String(AnthropicMessageId(id.empty() ? options_.fallback_id : id));
    w.Key("type").String("message");
    w.Key("role").String("assistant");
    w.Key("model").String(model);
    w.Key("content").BeginArray().EndArray();
    w.Key("stop_reason").Null();
    w.Key("stop_sequence").Null();
    // OpenAI reports input tokens only at the end: until then, the gateway's estimate (the
    // exact count follows in message_delta).
    w.Key("usage").BeginObject();
    w.Key("input_tokens").Int(prompt_ ? *prompt_ - cached_ : options_.estimated_prompt_tokens);
    w.Key("output_tokens").Int(0);
    w.EndObject();
    w.EndObject().EndObject();
    EndEvent(out);
  }

  void CloseBlock(std::string* out) {
    if (open_ == Block::kNone) return;
    BeginEvent("content_block_stop", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("content_block_stop").Key("index").Int(block_);
    w.EndObject();
    EndEvent(out);
    open_ = Block::kNone;
  }

  void Text(std::string_view text, std::string* out) {
    if (text.empty()) return;
    CountGenerated(text.size());
    if (open_ != Block::kText) {
      CloseBlock(out);
      block_ = next_block_++;
      open_ = Block::kText;
      BeginEvent("content_block_start", out);
      JsonWriter w(out);
      w.BeginObject().Key("type").String("content_block_start").Key("index").Int(block_);
      w.Key("content_block").BeginObject().Key("type").String("text").Key("text").String("");
      w.EndObject().EndObject();
      EndEvent(out);
    }
    BeginEvent("content_block_delta", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("content_block_delta").Key("index").Int(block_);
    w.Key("delta").BeginObject().Key("type").String("text_delta").Key("text").String(text);
    w.EndObject().EndObject();
    EndEvent(out);
  }

  // OpenAI streams a call as deltas keyed by "index": the first carries id and name, the rest
  // pieces of the arguments. Servers that omit "index" are followed by id (a new id is a new
  // call, no id continues the last one).
  void ToolDelta(object call, std::string* out) {
    auto id = json::String(call, "id");
    auto fn = json::Object(call, "function");
    std::string_view call_id = id.value_or("");
    int64_t key = last_tool_key_;
    if (auto index = json::Int(call, "index")) {
      key = *index;
    } else if (!call_id.empty() || tool_blocks_.empty()) {
      key = static_cast<int64_t>(tool_blocks_.size());  // a new call, unless the id is known
      for (const ToolBlock& t : tool_blocks_) {
        if (!call_id.empty() && t.id == call_id) key = t.key;
      }
    }
    last_tool_key_ = key;
    int64_t block = -1;
    for (const ToolBlock& t : tool_blocks_) {
      if (t.key == key) block = t.block;
    }
    if (block < 0) {
      CloseBlock(out);
      block = block_ = next_block_++;
      open_ = Block::kTool;
      tool_blocks_.push_back({key, block, std::string(call_id)});
      BeginEvent("content_block_start", out);
      JsonWriter w(out);
      w.BeginObject().Key("type").String("content_block_start").Key("index").Int(block);
      w.Key("content_block").BeginObject().Key("type").String("tool_use").Key("id");
      if (!call_id.empty()) {
        WriteAnthropicToolId(w, call_id);
      } else {
        w.String(absl::StrCat("toolu_", block));
      }
      w.Key("name").String(fn ? json::String(*fn, "name").value_or("") : "");
      w.Key("input").BeginObject().EndObject();
      w.EndObject().EndObject();
      EndEvent(out);
    }
    std::string_view arguments = fn ? json::String(*fn, "arguments").value_or("") : "";
    if (arguments.empty()) return;
    CountGenerated(arguments.size());
    BeginEvent("content_block_delta", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("content_block_delta").Key("index").Int(block);
    w.Key("delta").BeginObject().Key("type").String("input_json_delta");
    w.Key("partial_json").String(arguments).EndObject().EndObject();
    EndEvent(out);
  }

  void Close(std::string* out) {
    if (finished_) return;
    Start(std::nullopt, out);
    CloseBlock(out);
    BeginEvent("message_delta", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("message_delta").Key("delta").BeginObject();
    w.Key("stop_reason")
        .String(AnthropicStopReason(finish_reason_.value_or(""), !tool_blocks_.empty()));
    w.Key("stop_sequence").Null().EndObject();
    w.Key("usage");
    json::WriteAnthropicUsage(w, usage());
    w.EndObject();
    EndEvent(out);
    out->append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    finished_ = true;
  }

  void EmitError(std::string* out, std::string_view type, std::string_view message) {
    BeginEvent("error", out);
    JsonWriter w(out);
    w.BeginObject().Key("type").String("error").Key("error").BeginObject();
    w.Key("type").String(type).Key("message").String(message).EndObject().EndObject();
    EndEvent(out);
    finished_ = true;
  }

  bool started_ = false;
  bool finished_ = false;
  Block open_ = Block::kNone;
  int64_t block_ = -1;  // index of the open block
  int64_t next_block_ = 0;
  struct ToolBlock {
    int64_t key;    // OpenAI's tool call index
    int64_t block;  // our content block index
    std::string id;
  };
  std::vector<ToolBlock> tool_blocks_;
  int64_t last_tool_key_ = 0;
  std::optional<std::string> finish_reason_;
};

// ---- Anthropic events -> OpenAI chunks ----

class AnthropicToOpenAIStream final : public StreamBase {
 public:
  using StreamBase::StreamBase;

  void Finish(std::string* out) override {
    if (finished_) return;
    if (stop_reason_) {
      Close(out);  // message_delta arrived, only message_stop was missing
    } else {
      EmitError(out, "server_error", kCutShort);
    }
  }

 private:
  using DeltaWriter = absl::FunctionRef<void(JsonWriter&)>;

  void OnEvent(const SseEvent& e, std::string* out) override {
    if (finished_ || e.type == "ping") return;
    auto root = json::Parse(e.data);
    auto event = root ? json::AsObject(*root) : std::nullopt;
    if (!event) return;
    std::string_view type = json::String(*event, "type").value_or(e.type);
    if (type == "message_start") {
      auto message = json::Object(*event, "message");
      if (message) {
        if (auto usage = json::Object(*message, "usage")) RecordAnthropicUsage(*usage, false);
      }
      Start(message, out);
    } else if (type == "content_block_start") {
      Start(std::nullopt, out);
      auto block = json::Object(*event, "content_block");
      if (!block) return;
      auto block_type = json::String(*block, "type");
      if (block_type == "text") {
        Content(json::String(*block, "text").value_or(""), out);
      } else if (block_type == "tool_use") {
        ToolStart(json::Int(*event, "index").value_or(0), *block, out);
      }
    } else if (type == "content_block_delta") {
      Start(std::nullopt, out);
      auto delta = json::Object(*event, "delta");
      if (!delta) return;
      auto delta_type = json::String(*delta, "type");
      if (delta_type == "text_delta") {
        Content(json::String(*delta, "text").value_or(""), out);
      } else if (delta_type == "input_json_delta") {
        ToolArguments(json::Int(*event, "index").value_or(0),
                      json::String(*delta, "partial_json").value_or(""), out);
      } else if (delta_type == "thinking_delta") {
        CountGenerated(json::String(*delta, "thinking").value_or("").size());  // not forwarded
      }
    } else if (type == "message_delta") {
      if (auto delta = json::Object(*event, "delta")) {
        if (auto reason = json::String(*delta, "stop_reason")) stop_reason_ = std::string(*reason);
      }
      if (!stop_reason_) stop_reason_ = "end_turn";
      if (auto usage = json::Object(*event, "usage")) RecordAnthropicUsage(*usage, true);
    } else if (type == "message_stop") {
      complete_ = true;
      Close(out);
    } else if (type == "error") {
      auto error = json::Object(*event, "error");
      EmitError(
          out, error ? json::String(*error, "type").value_or("api_error") : "api_error",
          error ? json::String(*error, "message").value_or("provider error") : "provider error");
    }
  }

  void Start(std::optional<object> message, std::string* out) {
    if (started_) return;
    started_ = true;
    std::string_view id = message ? json::String(*message, "id").value_or("") : "";
    std::string_view model = options_.model;
    if (model.empty() && message) model = json::String(*message, "model").value_or("");
    // Every chunk begins the same way: written once.
    JsonWriter w(&prefix_);
    w.BeginObject();
    w.Key("id").String(OpenAICompletionId(id.empty() ? options_.fallback_id : id));
    w.Key("object").String("chat.completion.chunk");
    w.Key("created").Int(options_.created);
    w.Key("model").String(model);
    prefix_.append(",\"choices\":[");
    EmitChoice(
        out, [](JsonWriter& d) { d.Key("role").String("assistant").Key("content").String(""); },
        "");
  }

  // data: {prefix{"index":0,"delta":{...},"logprobs":null,"finish_reason":...}]}
  void EmitChoice(std::string* out, DeltaWriter delta, std::string_view finish_reason) {
    out->append("data: ");
    out->append(prefix_);
    JsonWriter w(out);
    w.BeginObject().Key("index").Int(0).Key("delta").BeginObject();
    delta(w);
    w.EndObject().Key("logprobs").Null().Key("finish_reason");
    if (finish_reason.empty()) {
      w.Null();
    } else {
      w.String(finish_reason);
    }
    w.EndObject();
    out->append("]}\n\n");
  }

  void Content(std::string_view text, std::string* out) {
    if (text.empty()) return;
    CountGenerated(text.size());
    EmitChoice(
        out, [&](JsonWriter& d) { d.Key("content").String(text); }, "");
  }

  void ToolStart(int64_t block, object tool_use, std::string* out) {
    int64_t ordinal = tools_++;
    tool_ordinals_.emplace_back(block, ordinal);
    if (options_.legacy_functions && ordinal > 0) return;  // room for one call only
    std::string_view id = json::String(tool_use, "id").value_or("");
    std::string_view name = json::String(tool_use, "name").value_or("");
    EmitChoice(
        out,
        [&](JsonWriter& d) {
          if (options_.legacy_functions) {
            d.Key("function_call").BeginObject().Key("name").String(name);
            d.Key("arguments").String("").EndObject();
            return;
          }
          d.Key("tool_calls").BeginArray().BeginObject();
          d.Key("index").Int(ordinal).Key("id").String(id).Key("type").String("function");
          d.Key("function").BeginObject().Key("name").String(name).Key("arguments").String("");
          d.EndObject().EndObject().EndArray();
        },
        "");
  }

  void ToolArguments(int64_t block, std::string_view arguments, std::string* out) {
    if (arguments.empty()) return;
    CountGenerated(arguments.size());
    int64_t ordinal = -1;
    for (const auto& [b, o] : tool_ordinals_) {
      if (b == block) ordinal = o;
    }
    if (ordinal < 0 || (options_.legacy_functions && ordinal > 0)) return;
    EmitChoice(
        out,
        [&](JsonWriter& d) {
          if (options_.legacy_functions) {
            d.Key("function_call").BeginObject().Key("arguments").String(arguments).EndObject();
            return;
          }
          d.Key("tool_calls").BeginArray().BeginObject().Key("index").Int(ordinal);
          d.Key("function").BeginObject().Key("arguments").String(arguments).EndObject();
          d.EndObject().EndArray();
        },
        "");
  }

  void Close(std::string* out) {
    if (finished_) return;
    Start(std::nullopt, out);
    EmitChoice(
        out, [](JsonWriter&) {},
        OpenAIFinishReason(stop_reason_.value_or("end_turn"), options_.legacy_functions));
    if (options_.include_usage) {
      out->append("data: ");
      out->append(prefix_);
      out->append("],\"usage\":");
      JsonWriter w(out);
      json::WriteOpenAIUsage(w, usage());
      out->append("}\n\n");
    }
    out->append("data: [DONE]\n\n");
    finished_ = true;
  }

  void EmitError(std::string* out, std::string_view type, std::string_view message) {
    out->append("data: ");
    JsonWriter w(out);
    w.BeginObject().Key("error").BeginObject();
    w.Key("message").String(message).Key("type").String(type);
    w.Key("param").Null().Key("code").Null();
    w.EndObject().EndObject();
    out->append("\n\n");
    finished_ = true;
  }

  bool started_ = false;
  bool finished_ = false;
  std::string prefix_;
  int64_t tools_ = 0;
  std::vector<std::pair<int64_t, int64_t>> tool_ordinals_;  // block index -> tool call index
  std::optional<std::string> stop_reason_;
};

}  // namespace

std::unique_ptr<StreamTranslator> MakeStreamTranslator(WireFormat provider, WireFormat client,
                                                       ResponseOptions options) {
  if (provider == client) {
    if (provider == WireFormat::kOpenAI)
      return std::make_unique<OpenAIObserver>(std::move(options));
    return std::make_unique<AnthropicObserver>(std::move(options));
  }
  if (provider == WireFormat::kOpenAI) {
    return std::make_unique<OpenAIToAnthropicStream>(std::move(options));
  }
  return std::make_unique<AnthropicToOpenAIStream>(std::move(options));
}

}  // namespace sluice::ai
