#include "tools/mock-llm/openai_request.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "tools/mock-llm/json_fields.h"

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr size_t kMaxEmbeddingInputs = 2048;
constexpr int kMaxEmbeddingDimensions = 4096;

// Bytes of text a message's "content" carries (see EstimateTokens).
absl::StatusOr<size_t> ContentTextBytes(element content, size_t index) {
  std::string_view text;
  switch (content.type()) {
    case element_type::NULL_VALUE:
      return 0;
    case element_type::STRING:
      return content.get_string().value_unsafe().size();
    case element_type::ARRAY: {
      size_t total = 0;
      const simdjson::dom::array parts = content.get_array().value_unsafe();
      for (element part : parts) {
        if (part.type() != element_type::OBJECT) {
          return FieldError(absl::StrCat("messages[", index, "].content"),
                            "parts must be objects");
        }
        std::string_view type;
        if (part["type"].get_string().get(type)) {
          return FieldError(absl::StrCat("messages[", index, "].content"),
                            "parts need a string 'type'");
        }
        if (type == "text") {
          if (part["text"].get_string().get(text)) {
            return FieldError(absl::StrCat("messages[", index, "].content"),
                              "text parts need a string 'text'");
          }
          total += text.size();
        }
      }
      return total;
    }
    default:
      return FieldError(absl::StrCat("messages[", index, "].content"),
                        "must be a string, an array of parts, or null");
  }
}

constexpr size_t kMaxStopSequences = 4;

// An assistant message's tool_calls: a gateway translating from Anthropic must produce exactly
// this shape (arguments as a JSON string, not an object).
absl::Status CheckToolCalls(element tool_calls, size_t index) {
  if (tool_calls.is_null()) return absl::OkStatus();
  const std::string field = absl::StrCat("messages[", index, "].tool_calls");
  simdjson::dom::array calls;
  if (tool_calls.get_array().get(calls)) return FieldError(field, "must be an array");
  for (element call : calls) {
    std::string_view id, type, name, arguments;
    element function;
    if (call.type() != element_type::OBJECT || call["id"].get_string().get(id) ||
        call["type"].get_string().get(type) || type != "function" ||
        call["function"].get(function) || function.type() != element_type::OBJECT ||
        function["name"].get_string().get(name) || name.empty() ||
        function["arguments"].get_string().get(arguments)) {
      return FieldError(field, "items must be {\"id\",\"type\":\"function\",\"function\":"
                               "{\"name\",\"arguments\": a JSON string}}");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTools(element value, std::vector<ToolSpec>* tools) {
  tools->clear();
  if (value.is_null()) return absl::OkStatus();
  simdjson::dom::array items;
  if (value.get_array().get(items)) return FieldError("tools", "must be an array");
  for (element tool : items) {
    std::string_view type, name;
    if (tool.type() != element_type::OBJECT || tool["type"].get_string().get(type)) {
      return FieldError("tools", "items must be objects with a string 'type'");
    }
    if (type != "function") continue;
    element function;
    if (tool["function"].get(function) || function.type() != element_type::OBJECT ||
        function["name"].get_string().get(name) || name.empty()) {
      return FieldError("tools", "function tools need 'function' with a non-empty 'name'");
    }
    if (tools->size() == kMaxTools) {
      return FieldError("tools", absl::StrCat("may hold at most ", kMaxTools, " tools"));
    }
    element parameters;
    std::string arguments = "{}";
    if (!function["parameters"].get(parameters)) arguments = MockArgumentsForSchema(parameters);
    tools->push_back(ToolSpec{std::string(name), std::move(arguments)});
  }
  return absl::OkStatus();
}

absl::Status ParseToolChoice(element value, ToolChoice* choice) {
  *choice = ToolChoice();
  std::string_view mode;
  if (value.is_null()) return absl::OkStatus();
  if (!value.get_string().get(mode)) {
    if (mode == "auto") return absl::OkStatus();
    if (mode == "none") {
      choice->mode = ToolChoice::Mode::kNone;
      return absl::OkStatus();
    }
    if (mode == "required") {
      choice->mode = ToolChoice::Mode::kAny;
      return absl::OkStatus();
    }
    return FieldError("tool_choice", "must be \"none\", \"auto\", \"required\" or an object");
  }
  std::string_view type, name;
  element function;
  if (value.type() != element_type::OBJECT || value["type"].get_string().get(type) ||
      type != "function" || value["function"].get(function) ||
      function.type() != element_type::OBJECT || function["name"].get_string().get(name)) {
    return FieldError("tool_choice",
                      "objects must be {\"type\":\"function\",\"function\":{\"name\"}}");
  }
  choice->mode = ToolChoice::Mode::kNamed;
  choice->name = std::string(name);
  return absl::OkStatus();
}

uint64_t Fnv1a(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// One embedding input given as token ids: hashed over the ids, one token each.
absl::Status AddTokenIdInput(simdjson::dom::array ids, EmbeddingsRequest* req) {
  uint64_t hash = Fnv1a("ids", 3);
  int64_t count = 0;
  for (element id : ids) {
    int64_t v = 0;
    if (!GetNonNegativeInt(id, &v)) {
      return InvalidRequest("'input' token ids must be non-negative integers");
    }
    hash = Fnv1a(&v, sizeof v, hash);
    ++count;
  }
  req->input_hashes.push_back(hash);
  req->prompt_tokens += count == 0 ? 1 : count;
  return absl::OkStatus();
}

absl::Status ParseEmbeddingInput(element input, EmbeddingsRequest* req) {
  std::string_view text;
  if (input.type() == element_type::STRING) {
    text = input.get_string().value_unsafe();
    req->input_hashes.push_back(Fnv1a(text.data(), text.size()));
    req->prompt_tokens += EstimateTokens(text.size());
    return absl::OkStatus();
  }
  if (input.type() != element_type::ARRAY) {
    return InvalidRequest("'input' must be a string, an array of strings, or token ids");
  }
  const simdjson::dom::array items = input.get_array().value_unsafe();
  if (items.size() == 0) return InvalidRequest("'input' must not be empty");
  element first = *items.begin();
  if (first.type() == element_type::INT64 || first.type() == element_type::UINT64) {
    return AddTokenIdInput(items, req);
  }
  for (element item : items) {
    if (req->input_hashes.size() >= kMaxEmbeddingInputs) {
      return InvalidRequest(
          absl::StrCat("'input' may hold at most ", kMaxEmbeddingInputs, " items"));
    }
    if (item.type() == element_type::STRING) {
      text = item.get_string().value_unsafe();
      req->input_hashes.push_back(Fnv1a(text.data(), text.size()));
      req->prompt_tokens += EstimateTokens(text.size());
    } else if (item.type() == element_type::ARRAY) {
      const simdjson::dom::array ids = item.get_array().value_unsafe();
      if (auto s = AddTokenIdInput(ids, req); !s.ok()) return s;
    } else {
      return InvalidRequest("'input' items must be strings or arrays of token ids");
    }
  }
  return absl::OkStatus();
}

}  // namespace

OpenAiRequestParser::OpenAiRequestParser()
    : parser_(std::make_unique<simdjson::dom::parser>()) {}
OpenAiRequestParser::~OpenAiRequestParser() = default;

absl::StatusOr<ChatRequest> OpenAiRequestParser::ParseChat(std::string_view body,
                                                           bool model_required) {
  absl::StatusOr<element> doc = ParseJsonObject(*parser_, body);
  if (!doc.ok()) return doc.status();
  ChatRequest req;
  bool have_model = false, have_messages = false;
  std::optional<int64_t> max_tokens, max_completion_tokens;
  const simdjson::dom::object fields = doc->get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "model") {
      std::string_view model;
      if (value.get_string().get(model) || model.empty()) {
        return FieldError("model", "must be a non-empty string");
      }
      req.model = std::string(model);
      have_model = true;
    } else if (key == "messages") {
      simdjson::dom::array messages;
      if (value.get_array().get(messages) || messages.size() == 0) {
        return FieldError("messages", "must be a non-empty array");
      }
      req.prompt_tokens = 0;
      req.message_count = 0;
      for (element message : messages) {
        const size_t i = req.message_count++;
        std::string_view role;
        if (message.type() != element_type::OBJECT || message["role"].get_string().get(role)) {
          return FieldError(absl::StrCat("messages[", i, "]"),
                            "must be an object with a string 'role'");
        }
        if (role == "tool") {
          std::string_view tool_call_id;
          if (message["tool_call_id"].get_string().get(tool_call_id)) {
            return FieldError(absl::StrCat("messages[", i, "].tool_call_id"),
                              "is required for role 'tool'");
          }
        }
        element tool_calls;
        if (!message["tool_calls"].get(tool_calls)) {
          if (auto s = CheckToolCalls(tool_calls, i); !s.ok()) return s;
        }
        element content;
        size_t bytes = 0;
        if (!message["content"].get(content)) {
          absl::StatusOr<size_t> b = ContentTextBytes(content, i);
          if (!b.ok()) return b.status();
          bytes = *b;
        }
        req.prompt_tokens += EstimateTokens(bytes);
      }
      have_messages = true;
    } else if (key == "stream") {
      if (value.is_null()) continue;
      if (value.get_bool().get(req.stream)) return FieldError("stream", "must be a boolean");
    } else if (key == "stream_options") {
      if (value.is_null()) continue;
      if (value.type() != element_type::OBJECT) {
        return FieldError("stream_options", "must be an object");
      }
      element include;
      if (!value["include_usage"].get(include) && !include.is_null() &&
          include.get_bool().get(req.include_usage)) {
        return FieldError("stream_options.include_usage", "must be a boolean");
      }
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      if (value.is_null()) continue;
      int64_t v = 0;
      if (!GetNonNegativeInt(value, &v) || v < 1) {
        return FieldError(key, "must be an integer of at least 1");
      }
      (key == "max_tokens" ? max_tokens : max_completion_tokens) = v;
    } else if (key == "stop") {
      if (value.is_null()) continue;
      if (auto s = ParseStringList(value, "stop", kMaxStopSequences, &req.stop); !s.ok()) {
        return s;
      }
    } else if (key == "tools") {
      if (auto s = ParseTools(value, &req.tools); !s.ok()) return s;
    } else if (key == "tool_choice") {
      if (auto s = ParseToolChoice(value, &req.tool_choice); !s.ok()) return s;
    }
  }
  if (!have_model && model_required) return FieldError("model", "is required");
  if (!have_messages) return FieldError("messages", "is required");
  req.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  return req;
}

absl::StatusOr<EmbeddingsRequest> OpenAiRequestParser::ParseEmbeddings(std::string_view body,
                                                                       bool model_required) {
  absl::StatusOr<element> doc = ParseJsonObject(*parser_, body);
  if (!doc.ok()) return doc.status();
  EmbeddingsRequest req;
  bool have_model = false, have_input = false;
  const simdjson::dom::object fields = doc->get_object().value_unsafe();
  for (auto field : fields) {
    const std::string_view key = field.key;
    const element value = field.value;
    if (key == "model") {
      std::string_view model;
      if (value.get_string().get(model) || model.empty()) {
        return FieldError("model", "must be a non-empty string");
      }
      req.model = std::string(model);
      have_model = true;
    } else if (key == "input") {
      req.input_hashes.clear();
      req.prompt_tokens = 0;
      if (auto s = ParseEmbeddingInput(value, &req); !s.ok()) return s;
      have_input = true;
    } else if (key == "dimensions") {
      if (value.is_null()) continue;
      int64_t v = 0;
      if (!GetNonNegativeInt(value, &v) || v < 1 || v > kMaxEmbeddingDimensions) {
        return FieldError("dimensions",
                          absl::StrCat("must be an integer in [1, ", kMaxEmbeddingDimensions, "]"));
      }
      req.dimensions = static_cast<int>(v);
    } else if (key == "encoding_format") {
      if (value.is_null()) continue;
      std::string_view format;
      if (value.get_string().get(format) || (format != "float" && format != "base64")) {
        return FieldError("encoding_format", "must be \"float\" or \"base64\"");
      }
      req.base64 = format == "base64";
    }
  }
  if (!have_model && model_required) return FieldError("model", "is required");
  if (!have_input) return FieldError("input", "is required");
  return req;
}

}  // namespace sluice::mock_llm
