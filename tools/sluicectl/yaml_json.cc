#include "tools/sluicectl/yaml_json.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::sluicectl {

namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

bool AllOf(std::string_view s, bool (*pred)(unsigned char)) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!pred(c)) return false;
  return true;
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsOctal(unsigned char c) { return c >= '0' && c <= '7'; }
bool IsHex(unsigned char c) { return absl::ascii_isxdigit(c); }

std::string_view WithoutSign(std::string_view s) {
  return !s.empty() && (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsCoreFloat(std::string_view s) {
  s = WithoutSign(s);
  size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool IsSpecialFloat(std::string_view s) {
  std::string_view u = WithoutSign(s);
  return u == ".inf" || u == ".Inf" || u == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

std::string_view KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    default:
      return "a scalar";
  }
}

}  // namespace

YamlProblem ProblemAt(const YAML::Node& node, std::string path, std::string message) {
  YamlProblem p;
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    p.line = mark.line + 1;
    p.column = mark.column + 1;
  }
  p.path = std::move(path);
  p.message = std::move(message);
  return p;
}

JsonValue ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return NullValue();
  if (s == "true" || s == "True" || s == "TRUE") return BoolValue(true);
  if (s == "false" || s == "False" || s == "FALSE") return BoolValue(false);
  if (AllOf(WithoutSign(s), IsDigit) || IsCoreFloat(s))
    return NumberValue(std::strtod(s.c_str(), nullptr));
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && AllOf(std::string_view(s).substr(2), IsHex))
    return NumberValue(static_cast<double>(std::strtoull(s.c_str() + 2, nullptr, 16)));
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && AllOf(std::string_view(s).substr(2), IsOctal))
    return NumberValue(static_cast<double>(std::strtoull(s.c_str() + 2, nullptr, 8)));
  return StringValue(s);
}

bool NeedsQuotes(std::string_view s) {
  static const std::set<std::string_view> kYaml11Words = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                          "N",  "no",  "No",  "NO",  "on",  "On",
                                                          "ON", "off", "Off", "OFF", "=",   "<<"};
  if (kYaml11Words.count(s) > 0 || IsSpecialFloat(s)) return true;
  return ResolvePlainScalar(std::string(s)).kind_case() != JsonValue::kStringValue;
}

bool YamlToJson(const YAML::Node& node, const std::string& path, JsonValue* out,
                YamlProblem* problem) {
  out->Clear();
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      *out = NullValue();
      return true;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      const std::string& text = node.Scalar();
      if (tag == "!" || tag == kStrTag) {
        *out = StringValue(text);
        return true;
      }
      if (tag != "?") {
        *problem = ProblemAt(node, path, absl::StrCat("unsupported tag ", tag));
        return false;
      }
      if (IsSpecialFloat(text)) {
        *problem = ProblemAt(node, path, absl::StrCat("'", text, "' cannot be written in JSON"));
        return false;
      }
      *out = ResolvePlainScalar(text);
      return true;
    }
    case YAML::NodeType::Sequence: {
      auto* list = out->mutable_list_value();
      int i = 0;
      for (const YAML::Node& item : node) {
        if (!YamlToJson(item, absl::StrCat(path, "[", i++, "]"), list->add_values(), problem))
          return false;
      }
      return true;
    }
    case YAML::NodeType::Map: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) {
          *problem = ProblemAt(
              key, path, absl::StrCat("a key must be a plain string, not ", Sv(KindName(key))));
          return false;
        }
        const std::string& name = key.Scalar();
        const std::string child = path.empty() ? name : absl::StrCat(path, ".", name);
        if (fields->count(name) > 0) {
          *problem = ProblemAt(key, child, "duplicate key");
          return false;
        }
        if (!YamlToJson(entry.second, child, &(*fields)[name], problem)) return false;
      }
      return true;
    }
  }
  return true;
}

namespace {

// Multi-line text (PEM) reads best as a literal block (|). Only text that reads back exactly:
// one final line break (the block's default chomping keeps one), no other control characters,
// no line ending in a space (a blank line of spaces would come back empty), and a first line that
// does not start with a space (that would need an indentation indicator).
bool FitsLiteralBlock(std::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n') return false;
  if (s.front() == ' ' || s.front() == '\n' || s.find(" \n") != std::string_view::npos)
    return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

}  // namespace

void EmitString(std::string_view s, YAML::Emitter* out) {
  if (FitsLiteralBlock(s)) {
    *out << YAML::Literal << std::string(s);
    return;
  }
  if (NeedsQuotes(s)) *out << YAML::DoubleQuoted;
  *out << std::string(s);
}

void EmitJson(const JsonValue& v, YAML::Emitter* out) {
  switch (v.kind_case()) {
    case JsonValue::kNullValue:
    case JsonValue::KIND_NOT_SET:
      *out << YAML::Null;
      break;
    case JsonValue::kBoolValue:
      *out << v.bool_value();
      break;
    case JsonValue::kNumberValue: {
      // Same digits as the JSON printer: integers without a fraction.
      std::string text = ToJson(v);
      *out << text;
      break;
    }
    case JsonValue::kStringValue:
      EmitString(v.string_value(), out);
      break;
    case JsonValue::kListValue: {
      const auto& items = v.list_value().values();
      bool scalars = std::all_of(items.begin(), items.end(), [](const JsonValue& x) {
        return x.kind_case() != JsonValue::kListValue && x.kind_case() != JsonValue::kStructValue;
      });
      if (scalars) *out << YAML::Flow;
      *out << YAML::BeginSeq;
      for (const JsonValue& item : items) EmitJson(item, out);
      *out << YAML::EndSeq;
      break;
    }
    case JsonValue::kStructValue: {
      const auto& fields = v.struct_value().fields();
      std::vector<std::string> keys;
      for (const auto& [k, unused] : fields) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      // Small objects of scalars (references, short configs) read best on one line.
      const bool small = keys.size() <= 3 &&
                         std::all_of(keys.begin(), keys.end(), [&fields](const std::string& k) {
                           auto kind = fields.at(k).kind_case();
                           return kind != JsonValue::kListValue && kind != JsonValue::kStructValue;
                         });
      if (small) *out << YAML::Flow;
      *out << YAML::BeginMap;
      for (const std::string& k : keys) {
        *out << YAML::Key;
        EmitString(k, out);
        *out << YAML::Value;
        EmitJson(fields.at(k), out);
      }
      *out << YAML::EndMap;
      break;
    }
  }
}

}  // namespace sluice::sluicectl
