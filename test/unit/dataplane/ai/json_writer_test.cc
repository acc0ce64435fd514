#include "dataplane/ai/json_writer.h"

#include <catch2/catch.hpp>
#include <limits>

#include "common/json.h"
#include "dataplane/ai/json_splice.h"
#include "test/unit/dataplane/ai/golden.h"

namespace sluice::ai {
namespace {

TEST_CASE("JsonWriter places commas and escapes", "[ai][json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a").Int(-3);
  w.Key("b").BeginArray().Uint(18446744073709551615ull).Double(0.1).Bool(false).Null().EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("q\"k").String("line\nbreak \"quoted\" \\ caf\xc3\xa9 \x01");
  w.Key("d").Raw("[1,2]");
  w.EndObject();
  CHECK(out ==
        "{\"a\":-3,\"b\":[18446744073709551615,0.1,false,null],\"c\":{},"
        "\"q\\\"k\":\"line\\nbreak \\\"quoted\\\" \\\\ caf\xc3\xa9 \\u0001\",\"d\":[1,2]}");
  CHECK(testing::JsonDifference(out, out).empty());
}

TEST_CASE("JsonWriter keeps the output valid JSON for any input", "[ai][json]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().String("bad \xff byte").Double(std::numeric_limits<double>::infinity());
  w.Double(1e300).Double(-0.5).EndArray();
  CHECK(out == "[\"bad \\ufffd byte\",null,1e+300,-0.5]");
}

TEST_CASE("The fast string escaper agrees with common/json.h on any text", "[ai][json]") {
  // Pieces that exercise the 8-byte scan at every alignment, escapes, UTF-8 and broken UTF-8.
  const std::string_view pieces[] = {"a",
                                     "bcdefgh",
                                     "\"",
                                     "\\",
                                     "\n",
                                     "\x01",
                                     "\x1f",
                                     " ",
                                     "\xc3\xa9",
                                     "\xe2\x82\xac",
                                     "\xf0\x9f\x98\x80",
                                     "\xff",
                                     "\xc3",
                                     "\x7f",
                                     "0123456789abcdef"};
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    int n = static_cast<int>(seed % 12);
    for (int k = 0; k < n; ++k) {
      seed = seed * 1103515245u + 12345u;
      s.append(pieces[(seed >> 16) % std::size(pieces)]);
    }
    seed = seed * 1103515245u + 12345u;
    std::string fast;
    AppendJsonQuoted(&fast, s);
    INFO(s);
    REQUIRE(fast == JsonString(s));
  }
}

TEST_CASE("FindJsonValue finds top-level and nested members only where asked", "[ai][json]") {
  std::string_view json =
      R"({"content":[{"model":"inner"}],"s":"has \"model\": \"x\\\\\"", "model" : "outer" ,)"
      R"("message":{"id":"m","model":"nested"}})";
  auto model = FindJsonValue(json, {"model"});
  REQUIRE(model);
  CHECK(json.substr(model->begin, model->end - model->begin) == "\"outer\"");
  auto nested = FindJsonValue(json, {"message", "model"});
  REQUIRE(nested);
  CHECK(json.substr(nested->begin, nested->end - nested->begin) == "\"nested\"");
  CHECK_FALSE(FindJsonValue(json, {"id"}));
  CHECK_FALSE(FindJsonValue(json, {"content", "model"}));  // not an object
  CHECK_FALSE(FindJsonValue("[1,2]", {"model"}));
  CHECK_FALSE(FindJsonValue("{\"model\":", {"model"}));
  CHECK_FALSE(FindJsonValue("{\"a\":\"unterminated", {"model"}));
  auto number = FindJsonValue("{\"n\":-12.5e3}", {"n"});
  REQUIRE(number);
  CHECK(number->end - number->begin == 7);
}

TEST_CASE("AppendWithEdits replaces spans in any order", "[ai][json]") {
  std::string_view json = R"({"model":"a","usage":{"x":1},"z":2})";
  auto model = *FindJsonValue(json, {"model"});
  auto usage = *FindJsonValue(json, {"usage"});
  JsonEdit edits[] = {{usage, "null"}, {model, "\"b\""}};
  std::string out;
  AppendWithEdits(json, edits, &out);
  CHECK(out == R"({"model":"b","usage":null,"z":2})");
}

}  // namespace
}  // namespace sluice::ai
