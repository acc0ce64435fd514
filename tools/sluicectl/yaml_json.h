#pragma once
// YAML ↔ JSON for declarative files. Plain (unquoted) scalars are typed by YAML 1.2's core
// schema: null (~, null, empty), true/false, integers (also 0x.., 0o..) and floats; quoted
// scalars are always strings. Writing goes the other way and quotes every string that would
// read back as something else, so what `dump` writes, `apply` reads unchanged.
#include <string>
#include <string_view>

#include "tools/sluicectl/json_value.h"
#include "yaml-cpp/yaml.h"

namespace sluice::sluicectl {

struct YamlProblem {
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string path;  // "services[0].paths[1]"
  std::string message;
};

YamlProblem ProblemAt(const YAML::Node& node, std::string path, std::string message);

// Converts `node` (reached through `path`, for messages). Refuses what JSON cannot hold:
// non-scalar keys, duplicate keys, infinities and NaN, unknown tags.
bool YamlToJson(const YAML::Node& node, const std::string& path, JsonValue* out,
                YamlProblem* problem);

// The JSON value of a plain scalar.
JsonValue ResolvePlainScalar(const std::string& s);
// True when `s` written unquoted would not read back as the same string (here or in YAML 1.1
// readers, which take yes/no/on/off as booleans).
bool NeedsQuotes(std::string_view s);

// Writes `v`: objects with sorted keys; lists of scalars, and objects of up to three scalars, in
// flow style (["/v1", "/v2"], {name: llm}).
void EmitJson(const JsonValue& v, YAML::Emitter* out);
void EmitString(std::string_view s, YAML::Emitter* out);

}  // namespace sluice::sluicectl
