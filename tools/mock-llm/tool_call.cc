#include "tools/mock-llm/tool_call.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/strings.h"
#include "tools/mock-llm/completion.h"  // NewMockId

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

const ToolSpec* FindTool(const std::vector<ToolSpec>& tools, std::string_view name) {
  for (const ToolSpec& tool : tools) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

std::string ToolNames(const std::vector<ToolSpec>& tools) {
  if (tools.empty()) return "none";
  return absl::StrJoin(tools, ", ",
                       [](std::string* out, const ToolSpec& t) { out->append(t.name); });
}

std::string_view FirstSchemaType(element property) {
  element type;
  if (property.type() != element_type::OBJECT || property["type"].get(type)) return {};
  std::string_view name;
  if (type.type() == element_type::ARRAY) {
    const simdjson::dom::array types = type.get_array().value_unsafe();
    for (element t : types) {
      if (!t.get_string().get(name) && name != "null") return name;
    }
    return {};
  }
  return type.get_string().get(name) ? std::string_view() : name;
}

}  // namespace

std::string MockArgumentsForSchema(const element& schema) {
  element properties;
  if (schema.type() != element_type::OBJECT || schema["properties"].get(properties) ||
      properties.type() != element_type::OBJECT) {
    return "{}";
  }
  std::string out = "{";
  const simdjson::dom::object fields = properties.get_object().value_unsafe();
  for (auto field : fields) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(&out, field.key);
    out.push_back(':');
    const std::string_view type = FirstSchemaType(field.value);
    if (type == "string") {
      out.append("\"mock\"");
    } else if (type == "integer") {
      out.append("1");
    } else if (type == "number") {
      out.append("1.5");
    } else if (type == "boolean") {
      out.append("true");
    } else if (type == "array") {
      out.append("[]");
    } else if (type == "object") {
      out.append("{}");
    } else {
      out.append("null");
    }
  }
  out.push_back('}');
  return out;
}

absl::StatusOr<std::optional<ToolCall>> ChooseToolCall(std::string_view header_tool,
                                                       std::string_view header_args,
                                                       const std::vector<ToolSpec>& tools,
                                                       const ToolChoice& choice,
                                                       std::string_view id_prefix) {
  const ToolSpec* tool = nullptr;
  if (!header_tool.empty()) {
    tool = FindTool(tools, header_tool);
    if (tool == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("x-mock-tool-call names '", Sv(header_tool),
                       "', which is not among the request's tools (", ToolNames(tools), ")"));
    }
  } else if (choice.mode == ToolChoice::Mode::kAny) {
    if (tools.empty()) {
      return absl::InvalidArgumentError("tool_choice requires a tool call but 'tools' is empty");
    }
    tool = &tools.front();
  } else if (choice.mode == ToolChoice::Mode::kNamed) {
    tool = FindTool(tools, choice.name);
    if (tool == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("tool_choice names '", choice.name,
                       "', which is not among the request's tools (", ToolNames(tools), ")"));
    }
  }
  if (tool == nullptr) return std::optional<ToolCall>();

  ToolCall call{NewMockId(id_prefix), tool->name, tool->arguments_json};
  if (!header_args.empty()) {
    simdjson::dom::parser parser;
    element args;
    if (parser.parse(header_args.data(), header_args.size(), true).get(args) ||
        args.type() != element_type::OBJECT) {
      return absl::InvalidArgumentError("x-mock-tool-args must be a JSON object");
    }
    call.arguments_json = simdjson::minify(args);
  }
  return std::optional<ToolCall>(std::move(call));
}

std::vector<std::string_view> SplitArguments(std::string_view json, size_t piece_bytes) {
  std::vector<std::string_view> pieces;
  if (piece_bytes == 0) piece_bytes = 1;
  size_t start = 0;
  while (start < json.size()) {
    size_t end = std::min(json.size(), start + piece_bytes);
    // Back off to the start of a UTF-8 sequence, unless that would leave the piece empty
    // (a sequence longer than a piece: take it whole).
    size_t cut = end;
    while (cut > start && cut < json.size() &&
           (static_cast<unsigned char>(json[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    if (cut == start) {
      cut = end;
      while (cut < json.size() && (static_cast<unsigned char>(json[cut]) & 0xC0) == 0x80) ++cut;
    }
    pieces.push_back(json.substr(start, cut - start));
    start = cut;
  }
  return pieces;
}

}  // namespace sluice::mock_llm
