#include "tools/sluicectl/yaml_json.h"

#include <catch2/catch.hpp>

namespace sluice::sluicectl {
namespace {

TEST_CASE("YAML scalars: YAML 1.2 core schema", "[sluicectl]") {
  CHECK(ToJson(ResolvePlainScalar("")) == "null");
  CHECK(ToJson(ResolvePlainScalar("~")) == "null");
  CHECK(ToJson(ResolvePlainScalar("Null")) == "null");
  CHECK(ToJson(ResolvePlainScalar("TRUE")) == "true");
  CHECK(ToJson(ResolvePlainScalar("false")) == "false");
  CHECK(ToJson(ResolvePlainScalar("120000")) == "120000");
  CHECK(ToJson(ResolvePlainScalar("-7")) == "-7");
  CHECK(ToJson(ResolvePlainScalar("0x1F")) == "31");
  CHECK(ToJson(ResolvePlainScalar("0o17")) == "15");
  CHECK(ToJson(ResolvePlainScalar("1.5e3")) == "1500");
  CHECK(ToJson(ResolvePlainScalar("0.25")) == "0.25");
  // YAML 1.1 booleans and look-alikes stay strings.
  CHECK(ToJson(ResolvePlainScalar("yes")) == R"("yes")");
  CHECK(ToJson(ResolvePlainScalar("1.2.3")) == R"("1.2.3")");
  CHECK(ToJson(ResolvePlainScalar("127.0.0.1:9001")) == R"("127.0.0.1:9001")");
  CHECK(ToJson(ResolvePlainScalar("~/v1")) == R"("~/v1")");
}

TEST_CASE("YAML scalars: strings that would read back as something else are quoted",
          "[sluicectl]") {
  for (const char* s : {"true", "123", "", "~", "null", "yes", "off", "1e5", ".inf", "0x10"})
    CHECK(NeedsQuotes(s));
  for (const char* s : {"llm", "/v1", "~/v1/x", "127.0.0.1:9001", "a b"})
    CHECK_FALSE(NeedsQuotes(s));
}

JsonValue RoundTrip(const JsonValue& v) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "v" << YAML::Value;
  EmitJson(v, &out);
  out << YAML::EndMap;
  INFO(out.c_str());
  REQUIRE(out.good());
  YAML::Node node = YAML::Load(out.c_str());
  JsonValue back;
  YamlProblem problem;
  REQUIRE(YamlToJson(node, "", &back, &problem));
  return back.struct_value().fields().at("v");
}

TEST_CASE("YAML: what is written reads back as the same JSON", "[sluicectl]") {
  auto parsed = ParseJson(R"({
    "strings": ["true", "123", "", "~", "null", "yes", "*.example.com", "~/v1/models/[^/]+$",
                "=/v1/models", "a: b", "#x", "- a", "[a]", "{a}", "a,b", "x #y", "'q", "\"q",
                "line\nbreak", " lead", "trail ", "é", "&anchor", "!tag", "%x", "@x", "?", "|"],
    "numbers": [0, -1, 120000, 0.5, 1e300],
    "bools": [true, false],
    "nothing": null,
    "empty_list": [],
    "empty_object": {},
    "nested": {"headers": {"x-tenant": ["a", "b"]}, "ref": {"name": "llm"}, "list": [{"k": 1}]}
  })");
  REQUIRE(parsed.ok());
  JsonValue back = RoundTrip(*parsed);
  CHECK(ToJson(back) == ToJson(*parsed));
  CHECK(JsonEqual(back, *parsed));
}

TEST_CASE("YAML: keys must be scalars and unique", "[sluicectl]") {
  JsonValue out;
  YamlProblem problem;
  CHECK_FALSE(YamlToJson(YAML::Load("{[a]: 1}"), "x", &out, &problem));
  CHECK(problem.message == "a key must be a plain string, not a list");
  CHECK_FALSE(YamlToJson(YAML::Load("a: 1\nb: 2\na: 3\n"), "x", &out, &problem));
  CHECK(problem.path == "x.a");
  CHECK(problem.line == 3);
  CHECK(problem.message == "duplicate key");
  CHECK_FALSE(YamlToJson(YAML::Load("a: !custom 1\n"), "", &out, &problem));
  CHECK(problem.message == "unsupported tag !custom");
  CHECK(YamlToJson(YAML::Load("a: !!str 1\n"), "", &out, &problem));
  CHECK(ToJson(out) == R"({"a":"1"})");
}

}  // namespace
}  // namespace sluice::sluicectl
