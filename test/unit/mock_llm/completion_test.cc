#include "tools/mock-llm/completion.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tools/mock-llm/openai_request.h"

namespace sluice::mock_llm {
namespace {

std::string WrittenText(const CompletionPlan& plan) {
  std::string out;
  CompletionTextWriter writer(plan.text_bytes);
  for (int64_t i = 1; i <= plan.tokens; ++i) writer.AppendToken(i, &out);
  return out;
}

TEST_CASE("PlanCompletion without stop sequences keeps the length and its reason", "[mock_llm]") {
  CompletionPlan plan = PlanCompletion({7, "length"}, {}, std::nullopt);
  CHECK(plan.tokens == 7);
  CHECK(plan.completion_tokens == 7);
  CHECK(plan.stop == StopReason::kMaxTokens);
  CHECK(WrittenText(plan) == CompletionText(7));
  plan = PlanCompletion({3, "stop"}, {"tok9"}, std::nullopt);  // never reached
  CHECK(plan.stop == StopReason::kEndTurn);
  CHECK(WrittenText(plan) == "tok1 tok2 tok3");
}

TEST_CASE("the earliest stop sequence cuts the text before it", "[mock_llm]") {
  struct Case {
    std::vector<std::string> stops;
    std::string text;
    int64_t tokens;  // tokens with at least one byte sent
    std::string matched;
  };
  const Case cases[] = {
      {{"tok3"}, "tok1 tok2 ", 3, "tok3"},          // " tok3" contributed its space
      {{" tok3"}, "tok1 tok2", 2, " tok3"},
      {{"tok5", "2 t"}, "tok1 tok", 2, "2 t"},     // the earlier match wins, whatever the order
      {{"tok1"}, "", 0, "tok1"},
      {{"k10"}, "tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 to", 10, "k10"},
  };
  for (const Case& c : cases) {
    INFO(c.matched);
    const CompletionPlan plan = PlanCompletion({12, "length"}, c.stops, std::nullopt);
    CHECK(plan.stop == StopReason::kStopSequence);
    CHECK(plan.stop_sequence == c.matched);
    CHECK(plan.tokens == c.tokens);
    CHECK(plan.completion_tokens == c.tokens);
    CHECK(WrittenText(plan) == c.text);
    CHECK(plan.text_bytes == c.text.size());
  }
}

TEST_CASE("a tool call replaces the text and counts its arguments", "[mock_llm]") {
  const std::string args = R"({"city":"mock","days":1})";  // 24 bytes → 6 tokens
  const CompletionPlan plan = PlanCompletion({16, "stop"}, {"tok"}, ToolCall{"id", "f", args});
  CHECK(plan.tokens == 0);
  CHECK(plan.stop == StopReason::kToolCall);
  REQUIRE(plan.tool_call.has_value());
  CHECK(plan.completion_tokens == EstimateTokens(args.size()));
  CHECK(plan.completion_tokens == 6);
}

TEST_CASE("stop reasons in each API's words", "[mock_llm]") {
  CHECK(OpenAiFinishReason(StopReason::kEndTurn) == "stop");
  CHECK(OpenAiFinishReason(StopReason::kMaxTokens) == "length");
  CHECK(OpenAiFinishReason(StopReason::kStopSequence) == "stop");
  CHECK(OpenAiFinishReason(StopReason::kToolCall) == "tool_calls");
  CHECK(AnthropicStopReason(StopReason::kEndTurn) == "end_turn");
  CHECK(AnthropicStopReason(StopReason::kMaxTokens) == "max_tokens");
  CHECK(AnthropicStopReason(StopReason::kStopSequence) == "stop_sequence");
  CHECK(AnthropicStopReason(StopReason::kToolCall) == "tool_use");
}

TEST_CASE("NewMockId keeps the prefix and never repeats", "[mock_llm]") {
  const std::string a = NewMockId("msg_"), b = NewMockId("msg_");
  CHECK(absl::StartsWith(a, "msg_"));
  CHECK(a.size() == 4 + 16);
  CHECK(a != b);
}

std::vector<ToolSpec> Tools() { return {{"first", R"({"a":"mock"})"}, {"second", "{}"}}; }

TEST_CASE("ChooseToolCall: the header wins, then a forced tool_choice, else text",
          "[mock_llm]") {
  ToolChoice automatic;
  auto call = ChooseToolCall("", "", Tools(), automatic, "call_");
  REQUIRE(call.ok());
  CHECK_FALSE(call->has_value());

  call = ChooseToolCall("second", "", Tools(), automatic, "call_");
  REQUIRE(call.ok());
  REQUIRE(call->has_value());
  CHECK((*call)->name == "second");
  CHECK((*call)->arguments_json == "{}");
  CHECK(absl::StartsWith((*call)->id, "call_"));

  ToolChoice any{ToolChoice::Mode::kAny, ""};
  call = ChooseToolCall("", "", Tools(), any, "toolu_");
  REQUIRE(call.ok());
  REQUIRE(call->has_value());
  CHECK((*call)->name == "first");
  CHECK((*call)->arguments_json == R"({"a":"mock"})");
  CHECK(absl::StartsWith((*call)->id, "toolu_"));

  ToolChoice named{ToolChoice::Mode::kNamed, "second"};
  call = ChooseToolCall("", " { \"x\" : [1, 2] } ", Tools(), named, "call_");
  REQUIRE(call.ok());
  REQUIRE(call->has_value());
  CHECK((*call)->name == "second");
  CHECK((*call)->arguments_json == R"({"x":[1,2]})");  // minified

  ToolChoice none{ToolChoice::Mode::kNone, ""};
  call = ChooseToolCall("first", "", Tools(), none, "call_");
  REQUIRE(call.ok());
  CHECK(call->has_value());
}

TEST_CASE("ChooseToolCall rejects unknown tools and bad arguments", "[mock_llm]") {
  ToolChoice automatic;
  auto call = ChooseToolCall("third", "", Tools(), automatic, "call_");
  REQUIRE_FALSE(call.ok());
  CHECK_THAT(std::string(call.status().message()), Catch::Contains("first, second"));
  call = ChooseToolCall("first", "[1]", Tools(), automatic, "call_");
  CHECK_FALSE(call.ok());
  call = ChooseToolCall("first", "{", Tools(), automatic, "call_");
  CHECK_FALSE(call.ok());
  call = ChooseToolCall("", "", {}, ToolChoice{ToolChoice::Mode::kAny, ""}, "call_");
  CHECK_FALSE(call.ok());
  call = ChooseToolCall("", "", Tools(), ToolChoice{ToolChoice::Mode::kNamed, "zzz"}, "call_");
  CHECK_FALSE(call.ok());
}

TEST_CASE("MockArgumentsForSchema fills each property by type, in order", "[mock_llm]") {
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  REQUIRE_FALSE(parser.parse(std::string(R"({"type":"object","properties":{
      "s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},"b":{"type":"boolean"},
      "a":{"type":"array"},"o":{"type":"object"},"u":{},"q\"":{"type":["null","string"]}}})"))
                    .get(schema));
  CHECK(MockArgumentsForSchema(schema) ==
        R"({"s":"mock","i":1,"n":1.5,"b":true,"a":[],"o":{},"u":null,"q\"":"mock"})");
  REQUIRE_FALSE(parser.parse(std::string(R"({"type":"object"})")).get(schema));
  CHECK(MockArgumentsForSchema(schema) == "{}");
}

TEST_CASE("SplitArguments never cuts a UTF-8 sequence and loses nothing", "[mock_llm]") {
  const std::string json = R"({"q":"ααααα€€€𝄞𝄞","n":12345678901234})";
  for (size_t piece = 1; piece <= 12; ++piece) {
    INFO("piece " << piece);
    const std::vector<std::string_view> pieces = SplitArguments(json, piece);
    std::string rebuilt;
    for (std::string_view p : pieces) {
      CHECK_FALSE(p.empty());
      CHECK(simdjson::validate_utf8(p.data(), p.size()));
      rebuilt.append(p);
    }
    CHECK(rebuilt == json);
    if (piece >= 4) {
      for (std::string_view p : pieces) CHECK(p.size() <= piece);
    }
  }
  CHECK(SplitArguments("").empty());
}

}  // namespace
}  // namespace sluice::mock_llm
