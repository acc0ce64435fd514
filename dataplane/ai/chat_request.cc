#include "dataplane/ai/chat_request.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "dataplane/ai/json_dom.h"
#include "dataplane/ai/json_splice.h"
#include "dataplane/ai/json_writer.h"
#include "dataplane/ai/tool_ids.h"
#include "dataplane/ai/usage.h"

namespace sluice::ai {

using json::array;
using json::element;
using json::element_type;
using json::object;

struct ChatRequest::Dom {
  simdjson::dom::document doc;
};

namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

std::string Where(size_t message_index) { return absl::StrCat("messages[", message_index, "]"); }

// ---- prompt size estimate ----

size_t OpenAIContentBytes(element content) {
  if (auto s = json::AsString(content)) return s->size();
  size_t bytes = 0;
  array parts;
  if (content.get_array().get(parts)) return 0;
  for (element part : parts) {
    auto p = json::AsObject(part);
    if (!p) continue;
    if (auto text = json::String(*p, "text")) bytes += text->size();
  }
  return bytes;
}

int64_t EstimateOpenAIPrompt(array messages) {
  int64_t tokens = 0;
  for (element m : messages) {
    auto msg = json::AsObject(m);
    if (!msg) continue;
    size_t bytes = 0;
    if (auto content = json::Member(*msg, "content")) bytes += OpenAIContentBytes(*content);
    if (auto calls = json::Array(*msg, "tool_calls")) {
      for (element call : *calls) {
        auto c = json::AsObject(call);
        if (!c) continue;
        if (auto fn = json::Object(*c, "function")) {
          bytes += json::String(*fn, "arguments").value_or("").size();
        }
      }
    }
    if (auto fc = json::Object(*msg, "function_call")) {
      bytes += json::String(*fc, "arguments").value_or("").size();
    }
    tokens += EstimateMessageTokens(bytes);
  }
  return tokens;
}

// Text bytes of an Anthropic content value (a string or blocks), tool results included.
size_t AnthropicContentBytes(element content) {
  if (auto s = json::AsString(content)) return s->size();
  size_t bytes = 0;
  array blocks;
  if (content.get_array().get(blocks)) return 0;
  for (element b : blocks) {
    auto block = json::AsObject(b);
    if (!block) continue;
    if (auto text = json::String(*block, "text")) bytes += text->size();
    if (json::String(*block, "type") == "tool_result") {
      if (auto inner = json::Member(*block, "content")) bytes += AnthropicContentBytes(*inner);
    }
  }
  return bytes;
}

int64_t EstimateAnthropicPrompt(object req, array messages) {
  int64_t tokens = 0;
  if (auto system = json::Member(req, "system")) {
    tokens += EstimateMessageTokens(AnthropicContentBytes(*system));
  }
  for (element m : messages) {
    auto msg = json::AsObject(m);
    if (!msg) continue;
    auto content = json::Member(*msg, "content");
    tokens += EstimateMessageTokens(content ? AnthropicContentBytes(*content) : 0);
  }
  return tokens;
}

// ---- OpenAI -> Anthropic ----

struct DataUrl {
  std::string_view media_type;
  std::string_view data;
};

// "data:<media type>;base64,<data>"; Anthropic takes only base64 payloads.
std::optional<DataUrl> ParseBase64DataUrl(std::string_view url) {
  if (url.substr(0, 5) != "data:") return std::nullopt;
  size_t comma = url.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view meta = url.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) {
    return std::nullopt;
  }
  return DataUrl{meta.substr(0, meta.size() - kBase64.size()), url.substr(comma + 1)};
}

absl::Status WriteAnthropicImage(JsonWriter& w, element image_url, std::string_view where) {
  std::optional<std::string_view> url = json::AsString(image_url);
  if (!url) {
    if (auto o = json::AsObject(image_url)) url = json::String(*o, "url");
  }
  if (!url) return Invalid(absl::StrCat(Sv(where), ": image_url needs a 'url'"));
  w.BeginObject();
  w.Key("type").String("image");
  w.Key("source").BeginObject();
  if (url->substr(0, 5) == "data:") {
    auto data = ParseBase64DataUrl(*url);
    if (!data || data->media_type.empty()) {
      return Invalid(absl::StrCat(Sv(where), ": image data URLs must be data:<type>;base64,..."));
    }
    w.Key("type").String("base64");
    w.Key("media_type").String(data->media_type);
    w.Key("data").String(data->data);
  } else {
    w.Key("type").String("url");
    w.Key("url").String(*url);
  }
  w.EndObject();
  w.EndObject();
  return absl::OkStatus();
}

// An OpenAI "file" part with inline data becomes an Anthropic document block.
absl::Status WriteAnthropicDocument(JsonWriter& w, object part, std::string_view where) {
  auto file = json::Object(part, "file");
  auto file_data = file ? json::String(*file, "file_data") : std::nullopt;
  auto data = file_data ? ParseBase64DataUrl(*file_data) : std::nullopt;
  if (!data) {
    return Invalid(absl::StrCat(Sv(where),
                                ": file parts need inline file_data (data:<type>;base64,...) "
                                "for an Anthropic model"));
  }
  w.BeginObject();
  w.Key("type").String("document");
  w.Key("source").BeginObject();
  w.Key("type").String("base64");
  w.Key("media_type").String(data->media_type);
  w.Key("data").String(data->data);
  w.EndObject();
  w.EndObject();
  return absl::OkStatus();
}

absl::Status WriteAnthropicParts(JsonWriter& w, array parts, std::string_view where) {
  for (element p : parts) {
    auto part = json::AsObject(p);
    auto type = part ? json::String(*part, "type") : std::nullopt;
    if (!type) return Invalid(absl::StrCat(Sv(where), ": content parts need a 'type'"));
    if (*type == "text" || *type == "refusal") {
      auto text = json::String(*part, *type == "text" ? "text" : "refusal").value_or("");
      if (text.empty()) continue;  // Anthropic refuses empty text blocks
      w.BeginObject();
      w.Key("type").String("text");
      w.Key("text").String(text);
      w.EndObject();
    } else if (*type == "image_url") {
      auto image_url = json::Member(*part, "image_url");
      if (!image_url) return Invalid(absl::StrCat(Sv(where), ": image_url parts need 'image_url'"));
      RETURN_IF_ERROR(WriteAnthropicImage(w, *image_url, where));
    } else if (*type == "file") {
      RETURN_IF_ERROR(WriteAnthropicDocument(w, *part, where));
    } else {
      return Invalid(absl::StrCat(Sv(where), ": content part type '", Sv(*type),
                                  "' cannot be sent to an Anthropic model"));
    }
  }
  return absl::OkStatus();
}

// OpenAI's tool call arguments are JSON text; Anthropic's tool_use input is the object itself.
absl::Status WriteToolInput(JsonWriter& w, std::string_view arguments, std::string_view where) {
  if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    w.BeginObject().EndObject();
    return absl::OkStatus();
  }
  auto parsed = json::Parse(arguments);
  if (!parsed || parsed->type() != element_type::OBJECT) {
    return Invalid(absl::StrCat(Sv(where), ": tool call arguments must be a JSON object"));
  }
  json::Write(w, *parsed);
  return absl::OkStatus();
}

void WriteToolUse(JsonWriter& w, std::string_view id, std::string_view name) {
  w.Key("type").String("tool_use");
  w.Key("id");
  WriteAnthropicToolId(w, id);
  w.Key("name").String(name);
}

absl::Status WriteAnthropicAssistant(JsonWriter& w, object msg, size_t index) {
  const std::string where = Where(index);
  auto content = json::Member(msg, "content");
  auto tool_calls = json::Array(msg, "tool_calls");
  auto function_call = json::Object(msg, "function_call");
  bool has_calls = (tool_calls && tool_calls->size() > 0) || function_call;
  w.BeginObject();
  w.Key("role").String("assistant");
  w.Key("content");
  if (content && content->is_string() && !has_calls) {
    w.String(content->get_string().value_unsafe());
    w.EndObject();
    return absl::OkStatus();
  }
  w.BeginArray();
  if (content) {
    if (auto text = json::AsString(*content)) {
      if (!text->empty()) {
        w.BeginObject().Key("type").String("text").Key("text").String(*text).EndObject();
      }
    } else if (array parts; !content->get_array().get(parts)) {
      RETURN_IF_ERROR(WriteAnthropicParts(w, parts, where));
    }
  }
  if (tool_calls) {
    size_t k = 0;
    for (element c : *tool_calls) {
      auto call = json::AsObject(c);
      auto fn = call ? json::Object(*call, "function") : std::nullopt;
      auto name = fn ? json::String(*fn, "name") : std::nullopt;
      if (!name) return Invalid(absl::StrCat(where, ".tool_calls[", k, "] needs function.name"));
      w.BeginObject();
      WriteToolUse(w, json::String(*call, "id").value_or(""), *name);
      w.Key("input");
      RETURN_IF_ERROR(WriteToolInput(w, json::String(*fn, "arguments").value_or(""),
                                     absl::StrCat(where, ".tool_calls[", k, "]")));
      w.EndObject();
      ++k;
    }
  } else if (function_call) {
    auto name = json::String(*function_call, "name");
    if (!name) return Invalid(absl::StrCat(where, ".function_call needs a name"));
    w.BeginObject();
    WriteToolUse(w, LegacyFunctionCallId(index), *name);
    w.Key("input");
    RETURN_IF_ERROR(WriteToolInput(w, json::String(*function_call, "arguments").value_or(""),
                                   absl::StrCat(where, ".function_call")));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return absl::OkStatus();
}

void WriteAnthropicToolResultContent(JsonWriter& w, std::optional<element> content) {
  if (!content) {
    w.String("");
    return;
  }
  if (auto text = json::AsString(*content)) {
    w.String(*text);
    return;
  }
  array parts;
  if (content->get_array().get(parts)) {
    w.String("");
    return;
  }
  w.BeginArray();
  for (element p : parts) {
    auto part = json::AsObject(p);
    auto text = part ? json::String(*part, "text") : std::nullopt;
    if (!text || text->empty()) continue;
    w.BeginObject().Key("type").String("text").Key("text").String(*text).EndObject();
  }
  w.EndArray();
}

absl::Status WriteAnthropicSystem(JsonWriter& w, array messages) {
  absl::InlinedVector<std::string_view, 4> texts;
  for (element m : messages) {
    auto msg = json::AsObject(m);
    if (!msg) continue;
    auto role = json::String(*msg, "role");
    if (role != "system" && role != "developer") continue;
    auto content = json::Member(*msg, "content");
    if (!content) continue;
    if (auto text = json::AsString(*content)) {
      if (!text->empty()) texts.push_back(*text);
    } else if (array parts; !content->get_array().get(parts)) {
      for (element p : parts) {
        auto part = json::AsObject(p);
        auto part_text = part ? json::String(*part, "text") : std::nullopt;
        if (part_text && !part_text->empty()) texts.push_back(*part_text);
      }
    }
  }
  if (texts.empty()) return absl::OkStatus();
  w.Key("system");
  if (texts.size() == 1) {
    w.String(texts[0]);
    return absl::OkStatus();
  }
  w.BeginArray();
  for (std::string_view text : texts) {
    w.BeginObject().Key("type").String("text").Key("text").String(text).EndObject();
  }
  w.EndArray();
  return absl::OkStatus();
}

absl::Status WriteAnthropicMessages(JsonWriter& w, array messages) {
  bool tool_results_open = false;
  auto close_tool_results = [&] {
    if (!tool_results_open) return;
    w.EndArray();
    w.EndObject();
    tool_results_open = false;
  };
  std::string last_function_call_id;
  size_t index = 0;
  w.Key("messages").BeginArray();
  for (element m : messages) {
    const size_t i = index++;
    auto msg = json::AsObject(m);
    if (!msg) return Invalid(absl::StrCat(Where(i), " must be an object"));
    auto role = json::String(*msg, "role");
    if (!role) return Invalid(absl::StrCat(Where(i), " needs a 'role'"));
    if (*role == "system" || *role == "developer") continue;  // hoisted into "system"
    if (*role == "tool" || *role == "function") {
      // Tool answers travel in a user turn; consecutive ones share it.
      if (!tool_results_open) {
        w.BeginObject().Key("role").String("user").Key("content").BeginArray();
        tool_results_open = true;
      }
      w.BeginObject();
      w.Key("type").String("tool_result");
      w.Key("tool_use_id");
      if (*role == "tool") {
        WriteAnthropicToolId(w, json::String(*msg, "tool_call_id").value_or(""));
      } else {
        WriteAnthropicToolId(w, last_function_call_id);
      }
      w.Key("content");
      WriteAnthropicToolResultContent(w, json::Member(*msg, "content"));
      w.EndObject();
      continue;
    }
    close_tool_results();
    if (*role == "user") {
      auto content = json::Member(*msg, "content");
      w.BeginObject().Key("role").String("user").Key("content");
      if (!content || content->is_null()) {
        w.String("");
      } else if (auto text = json::AsString(*content)) {
        w.String(*text);
      } else if (array parts; !content->get_array().get(parts)) {
        w.BeginArray();
        RETURN_IF_ERROR(WriteAnthropicParts(w, parts, Where(i)));
        w.EndArray();
      } else {
        return Invalid(absl::StrCat(Where(i), ".content must be a string or an array"));
      }
      w.EndObject();
    } else if (*role == "assistant") {
      if (json::Object(*msg, "function_call")) last_function_call_id = LegacyFunctionCallId(i);
      RETURN_IF_ERROR(WriteAnthropicAssistant(w, *msg, i));
    } else {
      return Invalid(absl::StrCat(Where(i), ": role '", Sv(*role), "' is not supported"));
    }
  }
  close_tool_results();
  w.EndArray();
  return absl::OkStatus();
}

void WriteAnthropicTool(JsonWriter& w, object fn) {
  w.BeginObject();
  w.Key("name").String(json::String(fn, "name").value_or(""));
  if (auto description = json::String(fn, "description")) w.Key("description").String(*description);
  w.Key("input_schema");
  if (auto parameters = json::Member(fn, "parameters"); parameters && parameters->is_object()) {
    json::Write(w, *parameters);
  } else {
    w.BeginObject().Key("type").String("object").Key("properties").BeginObject().EndObject();
    w.EndObject();
  }
  w.EndObject();
}

absl::Status WriteAnthropicTools(JsonWriter& w, object req, bool legacy) {
  auto tools = json::Array(req, legacy ? "functions" : "tools");
  if (!tools || tools->size() == 0) return absl::OkStatus();
  w.Key("tools").BeginArray();
  size_t k = 0;
  for (element t : *tools) {
    auto tool = json::AsObject(t);
    if (!tool) return Invalid(absl::StrCat("tools[", k, "] must be an object"));
    std::optional<object> fn = tool;
    if (!legacy) {
      auto type = json::String(*tool, "type").value_or("function");
      if (type != "function") {
        return Invalid(absl::StrCat("tools[", k, "]: tool type '", Sv(type),
                                    "' cannot be sent to an Anthropic model"));
      }
      fn = json::Object(*tool, "function");
    }
    if (!fn || !json::String(*fn, "name")) {
      return Invalid(absl::StrCat("tools[", k, "] needs a function name"));
    }
    WriteAnthropicTool(w, *fn);
    ++k;
  }
  w.EndArray();

  // tool_choice, with parallel_tool_calls=false folded in.
  bool no_parallel = json::Bool(req, "parallel_tool_calls") == false;
  auto choice = json::Member(req, legacy ? "function_call" : "tool_choice");
  std::string_view type = "auto";
  std::optional<std::string_view> name;
  if (choice) {
    if (auto s = json::AsString(*choice)) {
      if (*s == "none") {
        type = "none";
      } else if (*s == "required") {
        type = "any";
      } else if (*s != "auto") {
        return Invalid(absl::StrCat("tool_choice '", Sv(*s), "' is not supported"));
      }
    } else if (auto o = json::AsObject(*choice)) {
      auto fn = legacy ? o : json::Object(*o, "function");
      name = fn ? json::String(*fn, "name") : std::nullopt;
      if (!name) return Invalid("tool_choice must name a function");
      type = "tool";
    }
  } else if (!no_parallel) {
    return absl::OkStatus();
  }
  w.Key("tool_choice").BeginObject();
  w.Key("type").String(type);
  if (name) w.Key("name").String(*name);
  if (no_parallel && type != "none") w.Key("disable_parallel_tool_use").Bool(true);
  w.EndObject();
  return absl::OkStatus();
}

absl::Status OpenAIToAnthropic(object req, const ProviderBodyOptions& options, bool legacy,
                               std::string* out) {
  if (auto n = json::Int(req, "n"); n && *n != 1) {
    return Invalid("'n' other than 1 cannot be sent to an Anthropic model");
  }
  if (auto format = json::Object(req, "response_format")) {
    auto type = json::String(*format, "type").value_or("text");
    if (type != "text") {
      return Invalid(
          absl::StrCat("response_format '", Sv(type), "' cannot be sent to an Anthropic model"));
    }
  }
  JsonWriter w(out);
  w.BeginObject();
  w.Key("model").String(options.model.empty() ? json::String(req, "model").value_or("")
                                              : options.model);
  int64_t max_tokens = options.default_max_tokens;
  if (auto v = json::Int(req, "max_completion_tokens")) {
    max_tokens = *v;
  } else if (auto v2 = json::Int(req, "max_tokens")) {
    max_tokens = *v2;
  }
  w.Key("max_tokens").Int(max_tokens);
  array messages = req["messages"].get_array().value_unsafe();  // Parse checked it
  RETURN_IF_ERROR(WriteAnthropicSystem(w, messages));
  RETURN_IF_ERROR(WriteAnthropicMessages(w, messages));
  RETURN_IF_ERROR(WriteAnthropicTools(w, req, legacy));
  if (auto stop = json::Member(req, "stop")) {
    if (auto s = json::AsString(*stop)) {
      w.Key("stop_sequences").BeginArray().String(*s).EndArray();
    } else if (array stops; !stop->get_array().get(stops) && stops.size() > 0) {
      w.Key("stop_sequences").BeginArray();
      for (element e : stops) {
        if (auto s2 = json::AsString(e)) w.String(*s2);
      }
      w.EndArray();
    }
  }
  // OpenAI's temperature goes to 2, Anthropic's to 1.
  if (auto t = json::Number(req, "temperature")) w.Key("temperature").Double(std::min(*t, 1.0));
  if (auto p = json::Member(req, "top_p"); p && !p->is_null()) json::Write(w.Key("top_p"), *p);
  if (auto k = json::Int(req, "top_k")) w.Key("top_k").Int(*k);
  if (auto user = json::String(req, "user")) {
    w.Key("metadata").BeginObject().Key("user_id").String(*user).EndObject();
  }
  if (json::Bool(req, "stream") == true) w.Key("stream").Bool(true);
  w.EndObject();
  return absl::OkStatus();
}

// ---- Anthropic -> OpenAI ----

void WriteDataUrl(JsonWriter& w, std::string_view media_type, std::string_view data) {
  std::string url;
  url.reserve(data.size() + media_type.size() + 13);
  absl::StrAppend(&url, "data:", Sv(media_type), ";base64,", Sv(data));
  w.String(url);
}

absl::Status WriteOpenAIPart(JsonWriter& w, object block, std::string_view type,
                             std::string_view where) {
  if (type == "text") {
    w.BeginObject().Key("type").String("text");
    w.Key("text").String(json::String(block, "text").value_or("")).EndObject();
    return absl::OkStatus();
  }
  auto source = json::Object(block, "source");
  std::string_view source_type = source ? json::String(*source, "type").value_or("") : "";
  if (type == "image" && !source_type.empty()) {
    w.BeginObject().Key("type").String("image_url").Key("image_url").BeginObject().Key("url");
    if (source_type == "base64") {
      WriteDataUrl(w, json::String(*source, "media_type").value_or(""),
                   json::String(*source, "data").value_or(""));
    } else if (source_type == "url") {
      w.String(json::String(*source, "url").value_or(""));
    } else {
      return Invalid(absl::StrCat(Sv(where), ": image source '", Sv(source_type),
                                  "' cannot be sent to an OpenAI-style model"));
    }
    w.EndObject().EndObject();
    return absl::OkStatus();
  }
  if (type == "document" && source_type == "base64") {
    w.BeginObject().Key("type").String("file").Key("file").BeginObject();
    w.Key("filename").String(json::String(block, "title").value_or("document.pdf"));
    w.Key("file_data");
    WriteDataUrl(w, json::String(*source, "media_type").value_or(""),
                 json::String(*source, "data").value_or(""));
    w.EndObject().EndObject();
    return absl::OkStatus();
  }
  if (type == "document" && source_type == "text") {
    w.BeginObject().Key("type").String("text");
    w.Key("text").String(json::String(*source, "data").value_or("")).EndObject();
    return absl::OkStatus();
  }
  return Invalid(absl::StrCat(Sv(where), ": content block type '", Sv(type),
                              "' cannot be sent to an OpenAI-style model"));
}

absl::Status WriteOpenAIToolMessage(JsonWriter& w, object block, std::string_view where) {
  w.BeginObject();
  w.Key("role").String("tool");
  w.Key("tool_call_id").String(json::String(block, "tool_use_id").value_or(""));
  w.Key("content");
  auto content = json::Member(block, "content");
  if (!content || content->is_null()) {
    w.String("");
  } else if (auto text = json::AsString(*content)) {
    w.String(*text);
  } else if (array blocks; !content->get_array().get(blocks)) {
    w.BeginArray();
    for (element b : blocks) {
      auto inner = json::AsObject(b);
      auto type = inner ? json::String(*inner, "type") : std::nullopt;
      if (type != "text") {
        return Invalid(absl::StrCat(Sv(where), ": tool_result blocks of type '",
                                    Sv(type.value_or("?")),
                                    "' cannot be sent to an OpenAI-style model"));
      }
      w.BeginObject().Key("type").String("text");
      w.Key("text").String(json::String(*inner, "text").value_or("")).EndObject();
    }
    w.EndArray();
  } else {
    return Invalid(absl::StrCat(Sv(where), ": tool_result content must be a string or blocks"));
  }
  w.EndObject();
  return absl::OkStatus();
}

absl::Status WriteOpenAIUser(JsonWriter& w, element content, std::string_view where) {
  if (auto text = json::AsString(content)) {
    w.BeginObject().Key("role").String("user").Key("content").String(*text).EndObject();
    return absl::OkStatus();
  }
  array blocks;
  if (content.get_array().get(blocks)) {
    return Invalid(absl::StrCat(Sv(where), ".content must be a string or an array"));
  }
  // Tool results become "tool" messages, which must directly follow the assistant's calls;
  // the rest of the turn follows them as one user message.
  size_t others = 0;
  for (element b : blocks) {
    auto block = json::AsObject(b);
    auto type = block ? json::String(*block, "type") : std::nullopt;
    if (!type) return Invalid(absl::StrCat(Sv(where), ": content blocks need a 'type'"));
    if (*type == "tool_result") {
      RETURN_IF_ERROR(WriteOpenAIToolMessage(w, *block, where));
    } else {
      ++others;
    }
  }
  if (others == 0) return absl::OkStatus();
  w.BeginObject().Key("role").String("user").Key("content").BeginArray();
  for (element b : blocks) {
    object block = b.get_object().value_unsafe();
    std::string_view type = json::String(block, "type").value_or("");
    if (type == "tool_result") continue;
    RETURN_IF_ERROR(WriteOpenAIPart(w, block, type, where));
  }
  w.EndArray().EndObject();
  return absl::OkStatus();
}

absl::Status WriteOpenAIAssistant(JsonWriter& w, element content, std::string_view where) {
  w.BeginObject().Key("role").String("assistant");
  if (auto text = json::AsString(content)) {
    w.Key("content").String(*text).EndObject();
    return absl::OkStatus();
  }
  array blocks;
  if (content.get_array().get(blocks)) {
    return Invalid(absl::StrCat(Sv(where), ".content must be a string or an array"));
  }
  // Text blocks of one turn read as one text.
  std::string joined;
  std::optional<std::string_view> single;
  size_t texts = 0, tools = 0;
  for (element b : blocks) {
    auto block = json::AsObject(b);
    auto type = block ? json::String(*block, "type") : std::nullopt;
    if (!type) return Invalid(absl::StrCat(Sv(where), ": content blocks need a 'type'"));
    if (*type == "text") {
      std::string_view text = json::String(*block, "text").value_or("");
      if (texts++ == 0) {
        single = text;
      } else {
        if (texts == 2) joined.assign(*single);
        joined.append(text);
      }
    } else if (*type == "tool_use") {
      ++tools;
    } else if (*type != "thinking" && *type != "redacted_thinking") {
      return Invalid(absl::StrCat(Sv(where), ": content block type '", Sv(*type),
                                  "' cannot be sent to an OpenAI-style model"));
    }
  }
  w.Key("content");
  if (texts == 0) {
    if (tools > 0) {
      w.Null();
    } else {
      w.String("");
    }
  } else {
    w.String(texts == 1 ? *single : std::string_view(joined));
  }
  if (tools > 0) {
    w.Key("tool_calls").BeginArray();
    for (element b : blocks) {
      object block = b.get_object().value_unsafe();
      if (json::String(block, "type") != "tool_use") continue;
      w.BeginObject();
      w.Key("id").String(json::String(block, "id").value_or(""));
      w.Key("type").String("function");
      w.Key("function").BeginObject();
      w.Key("name").String(json::String(block, "name").value_or(""));
      std::string arguments;
      if (auto input = json::Member(block, "input")) {
        JsonWriter args(&arguments);
        json::Write(args, *input);
      } else {
        arguments = "{}";
      }
      w.Key("arguments").String(arguments);
      w.EndObject().EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return absl::OkStatus();
}

absl::Status WriteOpenAIToolsAndChoice(JsonWriter& w, object req) {
  auto tools = json::Array(req, "tools");
  if (!tools || tools->size() == 0) return absl::OkStatus();
  w.Key("tools").BeginArray();
  size_t k = 0;
  for (element t : *tools) {
    auto tool = json::AsObject(t);
    if (!tool) return Invalid(absl::StrCat("tools[", k, "] must be an object"));
    auto type = json::String(*tool, "type").value_or("custom");
    if (type != "custom") {
      return Invalid(absl::StrCat("tools[", k, "]: tool type '", Sv(type),
                                  "' cannot be sent to an OpenAI-style model"));
    }
    w.BeginObject().Key("type").String("function").Key("function").BeginObject();
    w.Key("name").String(json::String(*tool, "name").value_or(""));
    if (auto d = json::String(*tool, "description")) w.Key("description").String(*d);
    if (auto schema = json::Member(*tool, "input_schema"))
      json::Write(w.Key("parameters"), *schema);
    w.EndObject().EndObject();
    ++k;
  }
  w.EndArray();
  auto choice = json::Object(req, "tool_choice");
  if (!choice) return absl::OkStatus();
  auto type = json::String(*choice, "type").value_or("auto");
  w.Key("tool_choice");
  if (type == "auto") {
    w.String("auto");
  } else if (type == "any") {
    w.String("required");
  } else if (type == "none") {
    w.String("none");
  } else if (type == "tool") {
    w.BeginObject().Key("type").String("function").Key("function").BeginObject();
    w.Key("name").String(json::String(*choice, "name").value_or("")).EndObject().EndObject();
  } else {
    return Invalid(absl::StrCat("tool_choice type '", Sv(type), "' is not supported"));
  }
  if (json::Bool(*choice, "disable_parallel_tool_use") == true && type != "none") {
    w.Key("parallel_tool_calls").Bool(false);
  }
  return absl::OkStatus();
}

absl::Status AnthropicToOpenAI(object req, const ProviderBodyOptions& options, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("model").String(options.model.empty() ? json::String(req, "model").value_or("")
                                              : options.model);
  w.Key("messages").BeginArray();
  if (auto system = json::Member(req, "system")) {
    if (auto text = json::AsString(*system)) {
      w.BeginObject().Key("role").String("system").Key("content").String(*text).EndObject();
    } else if (array blocks; !system->get_array().get(blocks) && blocks.size() > 0) {
      w.BeginObject().Key("role").String("system").Key("content");
      if (blocks.size() == 1) {
        auto block = json::AsObject(blocks.at(0).value_unsafe());
        w.String(block ? json::String(*block, "text").value_or("") : "");
      } else {
        w.BeginArray();
        for (element b : blocks) {
          auto block = json::AsObject(b);
          w.BeginObject().Key("type").String("text");
          w.Key("text").String(block ? json::String(*block, "text").value_or("") : "");
          w.EndObject();
        }
        w.EndArray();
      }
      w.EndObject();
    }
  }
  size_t index = 0;
  array messages = req["messages"].get_array().value_unsafe();  // Parse checked it
  for (element m : messages) {
    const std::string where = Where(index++);
    auto msg = json::AsObject(m);
    if (!msg) return Invalid(absl::StrCat(where, " must be an object"));
    auto role = json::String(*msg, "role");
    auto content = json::Member(*msg, "content");
    if (!role || !content) return Invalid(absl::StrCat(where, " needs 'role' and 'content'"));
    if (*role == "user") {
      RETURN_IF_ERROR(WriteOpenAIUser(w, *content, where));
    } else if (*role == "assistant") {
      RETURN_IF_ERROR(WriteOpenAIAssistant(w, *content, where));
    } else {
      return Invalid(absl::StrCat(where, ": role '", Sv(*role), "' is not supported"));
    }
  }
  w.EndArray();
  if (auto max_tokens = json::Int(req, "max_tokens")) {
    // OpenAI's own API deprecated max_tokens (its reasoning models refuse it); other servers
    // may know only max_tokens.
    w.Key(options.provider == ProviderKind::kOpenAICompatible ? "max_tokens"
                                                              : "max_completion_tokens");
    w.Int(*max_tokens);
  }
  if (auto stops = json::Array(req, "stop_sequences"); stops && stops->size() > 0) {
    json::Write(w.Key("stop"), *json::Member(req, "stop_sequences"));
  }
  if (auto t = json::Member(req, "temperature"); t && !t->is_null()) {
    json::Write(w.Key("temperature"), *t);
  }
  if (auto p = json::Member(req, "top_p"); p && !p->is_null()) json::Write(w.Key("top_p"), *p);
  if (options.provider == ProviderKind::kOpenAICompatible) {
    if (auto k = json::Int(req, "top_k")) w.Key("top_k").Int(*k);
  }
  if (auto metadata = json::Object(req, "metadata")) {
    if (auto user = json::String(*metadata, "user_id")) w.Key("user").String(*user);
  }
  RETURN_IF_ERROR(WriteOpenAIToolsAndChoice(w, req));
  if (json::Bool(req, "stream") == true) {
    w.Key("stream").Bool(true);
    w.Key("stream_options").BeginObject().Key("include_usage").Bool(true).EndObject();
  }
  w.EndObject();
  return absl::OkStatus();
}

// ---- same format: splice ----

// Offset just after the root object's '{' (the JSON was parsed as an object already).
size_t AfterOpeningBrace(std::string_view body) { return body.find('{') + 1; }

}  // namespace

ChatRequest::ChatRequest(WireFormat format, std::string body)
    : format_(format), body_(std::move(body)), dom_(std::make_unique<Dom>()) {}
ChatRequest::ChatRequest(ChatRequest&&) noexcept = default;
ChatRequest& ChatRequest::operator=(ChatRequest&&) noexcept = default;
ChatRequest::~ChatRequest() = default;

absl::StatusOr<ChatRequest> ChatRequest::Parse(WireFormat format, std::string body) {
  ChatRequest req(format, std::move(body));
  element root;
  if (auto err = json::ThreadParser(req.body_.size())
                     .parse_into_document(req.dom_->doc, req.body_.data(), req.body_.size())
                     .get(root);
      err) {
    return Invalid(absl::StrCat("request body is not valid JSON: ", simdjson::error_message(err)));
  }
  auto o = json::AsObject(root);
  if (!o) return Invalid("request body must be a JSON object");
  auto messages = json::Array(*o, "messages");
  if (!messages) return Invalid("'messages' must be an array");
  req.model_ = std::string(json::String(*o, "model").value_or(""));
  req.stream_ = json::Bool(*o, "stream").value_or(false);
  if (format == WireFormat::kOpenAI) {
    if (auto options = json::Object(*o, "stream_options")) {
      req.include_usage_ = json::Bool(*options, "include_usage").value_or(false);
    }
    req.legacy_functions_ = !json::Member(*o, "tools") && json::Array(*o, "functions");
    req.estimated_prompt_tokens_ = EstimateOpenAIPrompt(*messages);
  } else {
    req.estimated_prompt_tokens_ = EstimateAnthropicPrompt(*o, *messages);
  }
  return req;
}

absl::StatusOr<std::string> ChatRequest::BuildProviderBody(
    const ProviderBodyOptions& options) const {
  object req = dom_->doc.root().get_object().value_unsafe();
  const WireFormat target = ProviderWireFormat(options.provider);
  std::string out;
  if (format_ != target) {
    out.reserve(body_.size() + body_.size() / 8 + 64);
    if (format_ == WireFormat::kOpenAI) {
      RETURN_IF_ERROR(OpenAIToAnthropic(req, options, legacy_functions_, &out));
    } else {
      RETURN_IF_ERROR(AnthropicToOpenAI(req, options, &out));
    }
    return out;
  }

  // Same format: change only what must change, leave the client's bytes alone.
  JsonEdit edits[2];
  size_t n = 0;
  std::string model_json;
  if (!options.model.empty()) {
    AppendJsonQuoted(&model_json, options.model);
    if (auto span = FindJsonValue(body_, {"model"})) {
      edits[n++] = {*span, model_json};
    } else {
      model_json = absl::StrCat("\"model\":", model_json, ",");
      size_t at = AfterOpeningBrace(body_);
      edits[n++] = {{at, at}, model_json};
    }
  }
  std::string stream_options;
  if (format_ == WireFormat::kOpenAI && stream_ && !include_usage_) {
    // Ask for usage; the client's other stream options stay.
    JsonWriter w(&stream_options);
    auto span = FindJsonValue(body_, {"stream_options"});
    if (!span) w.Key("stream_options");
    w.BeginObject();
    if (auto current = json::Object(req, "stream_options")) {
      for (auto field : *current) {
        if (field.key == "include_usage") continue;
        json::Write(w.Key(field.key), field.value);
      }
    }
    w.Key("include_usage").Bool(true).EndObject();
    if (span) {
      edits[n++] = {*span, stream_options};
    } else {
      stream_options.push_back(',');
      size_t at = AfterOpeningBrace(body_);
      edits[n++] = {{at, at}, stream_options};
    }
  }
  out.reserve(body_.size() + model_json.size() + stream_options.size());
  AppendWithEdits(body_, std::span<const JsonEdit>(edits, n), &out);
  return out;
}

absl::StatusOr<std::string> ReplaceModel(std::string_view body, std::string_view model) {
  size_t open = body.find_first_not_of(" \t\r\n");
  if (open == std::string_view::npos || body[open] != '{') {
    return Invalid("request body must be a JSON object");
  }
  std::string model_json;
  AppendJsonQuoted(&model_json, model);
  std::string out;
  out.reserve(body.size() + model_json.size() + 10);
  if (auto span = FindJsonValue(body, {"model"})) {
    JsonEdit edit{*span, model_json};
    AppendWithEdits(body, std::span<const JsonEdit>(&edit, 1), &out);
    return out;
  }
  size_t next = body.find_first_not_of(" \t\r\n", open + 1);
  bool empty = next != std::string_view::npos && body[next] == '}';
  model_json = absl::StrCat("\"model\":", model_json, empty ? "" : ",");
  JsonEdit edit{{open + 1, open + 1}, model_json};
  AppendWithEdits(body, std::span<const JsonEdit>(&edit, 1), &out);
  return out;
}

}  // namespace sluice::ai
