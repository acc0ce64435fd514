#include "dataplane/ai/chat_response.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dataplane/ai/format_mapping.h"
#include "dataplane/ai/json_dom.h"
#include "dataplane/ai/json_splice.h"
#include "dataplane/ai/tool_ids.h"
#include "dataplane/ai/usage_json.h"

namespace sluice::ai {

using json::array;
using json::element;
using json::element_type;
using json::object;

namespace {

absl::Status NotAChatResponse(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("provider response: ", Sv(why)));
}

Usage Estimated(const ResponseOptions& options, size_t completion_bytes) {
  Usage u;
  u.prompt_tokens = options.estimated_prompt_tokens;
  u.completion_tokens = EstimateTokens(completion_bytes);
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  u.estimated = true;
  return u;
}

std::optional<object> FirstOpenAIMessage(object root, std::optional<std::string_view>* finish) {
  auto choices = json::Array(root, "choices");
  if (!choices || choices->size() == 0) return std::nullopt;
  auto choice = json::AsObject(choices->at(0).value_unsafe());
  if (!choice) return std::nullopt;
  *finish = json::String(*choice, "finish_reason");
  return json::Object(*choice, "message");
}

// Bytes of generated text in an OpenAI message (for the usage estimate).
size_t OpenAIAnswerBytes(object message) {
  size_t bytes = json::String(message, "refusal").value_or("").size();
  if (auto content = json::Member(message, "content")) {
    if (auto text = json::AsString(*content)) {
      bytes += text->size();
    } else if (array parts; !content->get_array().get(parts)) {
      for (element p : parts) {
        if (auto part = json::AsObject(p)) bytes += json::String(*part, "text").value_or("").size();
      }
    }
  }
  if (auto calls = json::Array(message, "tool_calls")) {
    for (element c : *calls) {
      auto call = json::AsObject(c);
      auto fn = call ? json::Object(*call, "function") : std::nullopt;
      if (fn) bytes += json::String(*fn, "arguments").value_or("").size();
    }
  }
  return bytes;
}

size_t AnthropicAnswerBytes(array content) {
  size_t bytes = 0;
  std::string scratch;
  for (element b : content) {
    auto block = json::AsObject(b);
    if (!block) continue;
    bytes += json::String(*block, "text").value_or("").size();
    bytes += json::String(*block, "thinking").value_or("").size();
    if (auto input = json::Member(*block, "input")) {
      scratch.clear();
      JsonWriter w(&scratch);
      json::Write(w, *input);
      bytes += scratch.size();
    }
  }
  return bytes;
}

void WriteTextBlock(JsonWriter& w, std::string_view text) {
  w.BeginObject().Key("type").String("text").Key("text").String(text).EndObject();
}

// A tool call's arguments as Anthropic's input object; arguments that are not a JSON object (a
// model's malformed output) become {} since the block must hold an object.
void WriteToolUseBlock(JsonWriter& w, std::string_view id, std::string_view name,
                       std::string_view arguments) {
  w.BeginObject();
  w.Key("type").String("tool_use");
  w.Key("id");
  WriteAnthropicToolId(w, id);
  w.Key("name").String(name);
  w.Key("input");
  auto parsed = json::ParseNested(arguments);
  if (parsed && parsed->type() == element_type::OBJECT) {
    json::Write(w, *parsed);
  } else {
    w.BeginObject().EndObject();
  }
  w.EndObject();
}

absl::StatusOr<TranslatedResponse> OpenAIToAnthropic(object root, const ResponseOptions& options) {
  std::optional<std::string_view> finish;
  auto message = FirstOpenAIMessage(root, &finish);
  if (!message) return NotAChatResponse("no choices[0].message");
  TranslatedResponse out;
  if (auto usage = json::Object(root, "usage")) {
    out.usage = json::ReadOpenAIUsage(*usage);
  } else {
    out.usage = Estimated(options, OpenAIAnswerBytes(*message));
  }
  std::string_view id = json::String(root, "id").value_or("");
  JsonWriter w(&out.body);
  w.BeginObject();
  w.Key("id").String(AnthropicMessageId(id.empty() ? options.fallback_id : id));
  w.Key("type").String("message");
  w.Key("role").String("assistant");
  w.Key("model").String(options.model.empty() ? json::String(root, "model").value_or("")
                                              : options.model);
  w.Key("content").BeginArray();
  bool has_tool_use = false;
  if (auto content = json::Member(*message, "content")) {
    if (auto text = json::AsString(*content)) {
      if (!text->empty()) WriteTextBlock(w, *text);
    } else if (array parts; !content->get_array().get(parts)) {
      for (element p : parts) {
        auto part = json::AsObject(p);
        auto part_text = part ? json::String(*part, "text") : std::nullopt;
        if (part_text && !part_text->empty()) WriteTextBlock(w, *part_text);
      }
    }
  }
  if (auto refusal = json::String(*message, "refusal"); refusal && !refusal->empty()) {
    WriteTextBlock(w, *refusal);
  }
  if (auto calls = json::Array(*message, "tool_calls")) {
    for (element c : *calls) {
      auto call = json::AsObject(c);
      auto fn = call ? json::Object(*call, "function") : std::nullopt;
      if (!fn) continue;
      WriteToolUseBlock(w, json::String(*call, "id").value_or(""),
                        json::String(*fn, "name").value_or(""),
                        json::String(*fn, "arguments").value_or(""));
      has_tool_use = true;
    }
  } else if (auto fc = json::Object(*message, "function_call")) {
    WriteToolUseBlock(w, LegacyFunctionCallId(0), json::String(*fc, "name").value_or(""),
                      json::String(*fc, "arguments").value_or(""));
    has_tool_use = true;
  }
  w.EndArray();
  w.Key("stop_reason").String(AnthropicStopReason(finish.value_or(""), has_tool_use));
  w.Key("stop_sequence").Null();
  w.Key("usage");
  json::WriteAnthropicUsage(w, out.usage);
  w.EndObject();
  return out;
}

absl::StatusOr<TranslatedResponse> AnthropicToOpenAI(object root, const ResponseOptions& options) {
  auto content = json::Array(root, "content");
  if (!content) return NotAChatResponse("no 'content' array");
  TranslatedResponse out;
  if (auto usage = json::Object(root, "usage")) {
    json::AnthropicUsage parts;
    parts.Merge(*usage);
    out.usage = json::ToUsage(parts);
  } else {
    out.usage = Estimated(options, AnthropicAnswerBytes(*content));
  }
  std::string text;
  size_t tools = 0;
  for (element b : *content) {
    auto block = json::AsObject(b);
    if (!block) continue;
    auto type = json::String(*block, "type");
    if (type == "text") {
      text.append(json::String(*block, "text").value_or(""));
    } else if (type == "tool_use") {
      ++tools;
    }
  }
  std::string_view id = json::String(root, "id").value_or("");
  JsonWriter w(&out.body);
  w.BeginObject();
  w.Key("id").String(OpenAICompletionId(id.empty() ? options.fallback_id : id));
  w.Key("object").String("chat.completion");
  w.Key("created").Int(options.created);
  w.Key("model").String(options.model.empty() ? json::String(root, "model").value_or("")
                                              : options.model);
  w.Key("choices").BeginArray().BeginObject();
  w.Key("index").Int(0);
  w.Key("message").BeginObject();
  w.Key("role").String("assistant");
  w.Key("content");
  if (text.empty() && tools > 0) {
    w.Null();
  } else {
    w.String(text);
  }
  w.Key("refusal").Null();
  if (tools > 0) {
    std::string arguments;
    bool first = true;
    if (!options.legacy_functions) w.Key("tool_calls").BeginArray();
    for (element b : *content) {
      auto block = json::AsObject(b);
      if (!block || json::String(*block, "type") != "tool_use") continue;
      arguments.clear();
      if (auto input = json::Member(*block, "input")) {
        JsonWriter args(&arguments);
        json::Write(args, *input);
      } else {
        arguments = "{}";
      }
      if (options.legacy_functions) {
        // The deprecated API has room for a single call.
        if (!first) break;
        w.Key("function_call").BeginObject();
        w.Key("name").String(json::String(*block, "name").value_or(""));
        w.Key("arguments").String(arguments).EndObject();
      } else {
        w.BeginObject();
        w.Key("id").String(json::String(*block, "id").value_or(""));
        w.Key("type").String("function");
        w.Key("function").BeginObject();
        w.Key("name").String(json::String(*block, "name").value_or(""));
        w.Key("arguments").String(arguments);
        w.EndObject().EndObject();
      }
      first = false;
    }
    if (!options.legacy_functions) w.EndArray();
  }
  w.EndObject();  // message
  w.Key("logprobs").Null();
  w.Key("finish_reason")
      .String(OpenAIFinishReason(json::String(root, "stop_reason").value_or("end_turn"),
                                 options.legacy_functions));
  w.EndObject().EndArray();
  w.Key("usage");
  json::WriteOpenAIUsage(w, out.usage);
  w.EndObject();
  return out;
}

// Same format on both sides: the provider's bytes with only "model" replaced.
std::string ReplaceModelBytes(std::string_view body, std::string_view model) {
  std::string out;
  auto span = model.empty() ? std::nullopt : FindJsonValue(body, {"model"});
  if (!span) return std::string(body);
  std::string model_json;
  AppendJsonQuoted(&model_json, model);
  JsonEdit edit{*span, model_json};
  out.reserve(body.size() + model_json.size());
  AppendWithEdits(body, std::span<const JsonEdit>(&edit, 1), &out);
  return out;
}

absl::StatusOr<TranslatedResponse> SameFormat(WireFormat format, object root, std::string_view body,
                                              const ResponseOptions& options) {
  TranslatedResponse out;
  if (format == WireFormat::kOpenAI) {
    std::optional<std::string_view> finish;
    auto message = FirstOpenAIMessage(root, &finish);
    if (!message) return NotAChatResponse("no choices[0].message");
    if (auto usage = json::Object(root, "usage")) {
      out.usage = json::ReadOpenAIUsage(*usage);
    } else {
      out.usage = Estimated(options, OpenAIAnswerBytes(*message));
    }
  } else {
    auto content = json::Array(root, "content");
    if (!content) return NotAChatResponse("no 'content' array");
    if (auto usage = json::Object(root, "usage")) {
      json::AnthropicUsage parts;
      parts.Merge(*usage);
      out.usage = json::ToUsage(parts);
    } else {
      out.usage = Estimated(options, AnthropicAnswerBytes(*content));
    }
  }
  out.body = ReplaceModelBytes(body, options.model);
  return out;
}

}  // namespace

absl::StatusOr<TranslatedResponse> TranslateChatResponse(WireFormat provider, WireFormat client,
                                                         std::string_view body,
                                                         const ResponseOptions& options) {
  auto parsed = json::Parse(body);
  if (!parsed) return NotAChatResponse("not valid JSON");
  auto root = json::AsObject(*parsed);
  if (!root) return NotAChatResponse("not a JSON object");
  if (provider == client) return SameFormat(provider, *root, body, options);
  if (provider == WireFormat::kOpenAI) return OpenAIToAnthropic(*root, options);
  return AnthropicToOpenAI(*root, options);
}

absl::StatusOr<TranslatedResponse> PassThroughResponse(WireFormat format, std::string_view body,
                                                       const ResponseOptions& options) {
  auto parsed = json::Parse(body);
  if (!parsed || !parsed->is_object()) return NotAChatResponse("not a JSON object");
  TranslatedResponse out;
  auto root = parsed->get_object().value_unsafe();
  if (auto usage = json::Object(root, "usage")) {
    if (format == WireFormat::kOpenAI) {
      out.usage = json::ReadOpenAIUsage(*usage);
    } else {
      json::AnthropicUsage parts;
      parts.Merge(*usage);
      out.usage = json::ToUsage(parts);
    }
  } else {
    out.usage.prompt_tokens = options.estimated_prompt_tokens;
    out.usage.total_tokens = options.estimated_prompt_tokens;
    out.usage.estimated = true;
  }
  out.body = ReplaceModelBytes(body, options.model);
  return out;
}

}  // namespace sluice::ai
