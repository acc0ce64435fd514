#include "tools/mock-llm/anthropic_request.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "tools/mock-llm/json_fields.h"
#include "tools/mock-llm/openai_request.h"  // EstimateTokens

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The real API allows more; a handful is enough to test and bounds the search.
constexpr size_t kMaxStopSequences = 16;

// Bytes of text in a content value: a string, or an array of blocks. `field` names it in errors.
absl::StatusOr<size_t> ContentTextBytes(element content, const std::string& field,
                                        bool allow_tool_blocks);

absl::StatusOr<size_t> BlockTextBytes(element block, const std::string& field,
                                      bool allow_tool_blocks) {
  std::string_view type, text;
  if (block.type() != element_type::OBJECT || block["type"].get_string().get(type)) {
    return FieldError(field, "blocks must be objects with a string 'type'");
  }
  if (type == "text") {
    if (block["text"].get_string().get(text)) {
      return FieldError(field, "text blocks need a string 'text'");
    }
    return text.size();
  }
  if (!allow_tool_blocks) return 0;
  if (type == "tool_use") {
    std::string_view id, name;
    element input;
    if (block["id"].get_string().get(id) || block["name"].get_string().get(name) ||
        name.empty() || block["input"].get(input) || input.type() != element_type::OBJECT) {
      return FieldError(field, "tool_use blocks need a string 'id', 'name' and an object 'input'");
    }
    return 0;
  }
  if (type == "tool_result") {
    std::string_view tool_use_id;
    if (block["tool_use_id"].get_string().get(tool_use_id)) {
      return FieldError(field, "tool_result blocks need a string 'tool_use_id'");
    }
    element inner;
    if (block["content"].get(inner) || inner.is_null()) return 0;
    return ContentTextBytes(inner, field + ".content", false);
  }
  return 0;  // image, document, thinking...: no text to count
}

absl::StatusOr<size_t> ContentTextBytes(element content, const std::string& field,
                                        bool allow_tool_blocks) {
  if (content.type() == element_type::STRING) return content.get_string().value_unsafe().size();
  if (content.type() != element_type::ARRAY) {
    return FieldError(field, "must be a string or an array of content blocks");
  }
  size_t total = 0;
  const simdjson::dom::array blocks = content.get_array().value_unsafe();
  for (element block : blocks) {
    absl::StatusOr<size_t> bytes = BlockTextBytes(block, field, allow_tool_blocks);
    if (!bytes.ok()) return bytes.status();
    total += *bytes;
  }
  return total;
}

absl::Status ParseTools(element value, std::vector<ToolSpec>* tools) {
  tools->clear();
  simdjson::dom::array items;
  if (value.get_array().get(items)) return FieldError("tools", "must be an array");
  for (element tool : items) {
    std::string_view name;
    if (tool.type() != element_type::OBJECT || tool["name"].get_string().get(name) ||
        name.empty()) {
      return FieldError("tools", "items must be objects with a non-empty 'name'");
    }
    if (tools->size() == kMaxTools) {
      return FieldError("tools", absl::StrCat("may hold at most ", kMaxTools, " tools"));
    }
    element schema;
    std::string arguments = "{}";
    if (!tool["input_schema"].get(schema)) arguments = MockArgumentsForSchema(schema);
    tools->push_back(ToolSpec{std::string(name), std::move(arguments)});
  }
  return absl::OkStatus();
}

absl::Status ParseToolChoice(element value, ToolChoice* choice) {
  *choice = ToolChoice();
  std::string_view type, name;
  if (value.type() != element_type::OBJECT || value["type"].get_string().get(type)) {
    return FieldError("tool_choice", "must be an object with a string 'type'");
  }
  if (type == "auto") return absl::OkStatus();
  if (type == "none") {
    choice->mode = ToolChoice::Mode::kNone;
  } else if (type == "any") {
    choice->mode = ToolChoice::Mode::kAny;
  } else if (type == "tool") {
    if (value["name"].get_string().get(name) || name.empty()) {
      return FieldError("tool_choice", "of type 'tool' needs a 'name'");
    }
    choice->mode = ToolChoice::Mode::kNamed;
    choice->name = std::string(name);
  } else {
    return FieldError("tool_choice.type", "must be one of auto, any, tool, none");
  }
  return absl::OkStatus();
}

}  // namespace

AnthropicRequestParser::AnthropicRequestParser()
    : parser_(std::make_unique<simdjson::dom::parser>()) {}
AnthropicRequestParser::~AnthropicRequestParser() = default;

absl::StatusOr<MessagesRequest> AnthropicRequestParser::ParseMessages(std::string_view body) {
  absl::StatusOr<element> doc = ParseJsonObject(*parser_, body);
  if (!doc.ok()) return doc.status();
  MessagesRequest req;
  bool have_model = false, have_messages = false, have_max_tokens = false;
  int64_t system_tokens = 0;
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
    } else if (key == "max_tokens") {
      if (!GetNonNegativeInt(value, &req.max_tokens) || req.max_tokens < 1) {
        return FieldError("max_tokens", "must be an integer of at least 1");
      }
      have_max_tokens = true;
    } else if (key == "messages") {
      simdjson::dom::array messages;
      if (value.get_array().get(messages) || messages.size() == 0) {
        return FieldError("messages", "must be a non-empty array");
      }
      req.prompt_tokens = 0;
      req.message_count = 0;
      for (element message : messages) {
        const size_t i = req.message_count++;
        const std::string name = absl::StrCat("messages[", i, "]");
        std::string_view role;
        if (message.type() != element_type::OBJECT || message["role"].get_string().get(role)) {
          return FieldError(name, "must be an object with a string 'role'");
        }
        if (role != "user" && role != "assistant") {
          return FieldError(name + ".role",
                            absl::StrCat("must be \"user\" or \"assistant\", got \"", Sv(role),
                                         "\" (the system prompt is the top-level 'system' field)"));
        }
        element content;
        if (message["content"].get(content)) return FieldError(name + ".content", "is required");
        absl::StatusOr<size_t> bytes = ContentTextBytes(content, name + ".content", true);
        if (!bytes.ok()) return bytes.status();
        req.prompt_tokens += EstimateTokens(*bytes);
      }
      have_messages = true;
    } else if (key == "system") {
      if (value.is_null()) continue;
      absl::StatusOr<size_t> bytes = ContentTextBytes(value, "system", false);
      if (!bytes.ok()) return bytes.status();
      req.has_system = true;
      system_tokens = EstimateTokens(*bytes);
    } else if (key == "stream") {
      if (value.is_null()) continue;
      if (value.get_bool().get(req.stream)) return FieldError("stream", "must be a boolean");
    } else if (key == "stop_sequences") {
      if (value.is_null()) continue;
      if (value.type() != element_type::ARRAY) {
        return FieldError("stop_sequences", "must be an array of strings");
      }
      if (auto s = ParseStringList(value, "stop_sequences", kMaxStopSequences,
                                   &req.stop_sequences);
          !s.ok()) {
        return s;
      }
    } else if (key == "tools") {
      if (value.is_null()) continue;
      if (auto s = ParseTools(value, &req.tools); !s.ok()) return s;
    } else if (key == "tool_choice") {
      if (value.is_null()) continue;
      if (auto s = ParseToolChoice(value, &req.tool_choice); !s.ok()) return s;
    }
  }
  if (!have_model) return FieldError("model", "is required");
  if (!have_max_tokens) return FieldError("max_tokens", "is required");
  if (!have_messages) return FieldError("messages", "is required");
  req.prompt_tokens += system_tokens;
  return req;
}

}  // namespace sluice::mock_llm
