#include "tools/mock-llm/anthropic_response.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;

struct Event {
  std::string name;
  std::string data;
};

// Runs a stream to the end, stamping event i with time 5000 + i, and splits each event into its
// name and data (each chunk must be exactly one event).
std::vector<Event> DrainEvents(ChunkSource& source) {
  std::vector<Event> events;
  std::string piece;
  for (int64_t i = 0; i < 10000 && source.NextChunk(5000 + i, &piece); ++i) {
    INFO(piece);
    REQUIRE(absl::StartsWith(piece, "event: "));
    REQUIRE(absl::EndsWith(piece, "\n\n"));
    const size_t newline = piece.find('\n');
    REQUIRE(piece.compare(newline + 1, 6, "data: ") == 0);
    events.push_back({piece.substr(7, newline - 7),
                      piece.substr(newline + 7, piece.size() - newline - 9)});
    piece.clear();
  }
  return events;
}

std::vector<std::string> Names(const std::vector<Event>& events) {
  std::vector<std::string> names;
  for (const Event& e : events) names.push_back(e.name);
  return names;
}

TEST_CASE("FormatMessage: a message with a text block, stop reason and usage", "[mock_llm]") {
  const CompletionPlan plan = PlanCompletion({4, "length"}, {}, std::nullopt);
  const std::string body = FormatMessage({"msg_1", "claude \"x\""}, plan, {12, 4});
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(std::string_view(doc["id"]) == "msg_1");
  CHECK(std::string_view(doc["type"]) == "message");
  CHECK(std::string_view(doc["role"]) == "assistant");
  CHECK(std::string_view(doc["model"]) == "claude \"x\"");
  REQUIRE(doc["content"].get_array().value().size() == 1);
  CHECK(std::string_view(doc["content"].at(0)["type"]) == "text");
  CHECK(std::string_view(doc["content"].at(0)["text"]) == "tok1 tok2 tok3 tok4");
  CHECK(std::string_view(doc["stop_reason"]) == "max_tokens");
  CHECK(doc["stop_sequence"].is_null());
  CHECK(int64_t(doc["usage"]["input_tokens"]) == 12);
  CHECK(int64_t(doc["usage"]["output_tokens"]) == 4);
}

TEST_CASE("FormatMessage: stop sequence, empty text and tool use", "[mock_llm]") {
  simdjson::dom::parser parser;
  element doc;
  CompletionPlan plan = PlanCompletion({6, "stop"}, {"tok3"}, std::nullopt);
  std::string body = FormatMessage({"m", "c"}, plan, {1, plan.completion_tokens});
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(std::string_view(doc["content"].at(0)["text"]) == "tok1 tok2 ");
  CHECK(std::string_view(doc["stop_reason"]) == "stop_sequence");
  CHECK(std::string_view(doc["stop_sequence"]) == "tok3");

  plan = PlanCompletion({0, "stop"}, {}, std::nullopt);
  body = FormatMessage({"m", "c"}, plan, {1, 0});
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(doc["content"].get_array().value().size() == 0);
  CHECK(std::string_view(doc["stop_reason"]) == "end_turn");

  plan = PlanCompletion({16, "stop"}, {}, ToolCall{"toolu_1", "f", R"({"city":"mock"})"});
  body = FormatMessage({"m", "c"}, plan, {1, plan.completion_tokens});
  REQUIRE_FALSE(parser.parse(body).get(doc));
  element block = doc["content"].at(0);
  CHECK(std::string_view(block["type"]) == "tool_use");
  CHECK(std::string_view(block["id"]) == "toolu_1");
  CHECK(std::string_view(block["name"]) == "f");
  CHECK(std::string_view(block["input"]["city"]) == "mock");  // an object, not a string
  CHECK(std::string_view(doc["stop_reason"]) == "tool_use");
}

TEST_CASE("AnthropicMessageStream emits the Messages API event sequence", "[mock_llm]") {
  MockStats stats;
  AnthropicMessageStream::Options options;
  options.meta = {"msg_s", "claude"};
  options.plan = PlanCompletion({3, "stop"}, {}, std::nullopt);
  options.usage = {9, 3};
  options.stats = &stats;
  AnthropicMessageStream stream(options);
  const std::vector<Event> events = DrainEvents(stream);
  CHECK(stream.Exhausted());
  CHECK(Names(events) == std::vector<std::string>{"message_start", "content_block_start", "ping",
                                                  "content_block_delta", "content_block_delta",
                                                  "content_block_delta", "content_block_stop",
                                                  "message_delta", "message_stop"});
  simdjson::dom::parser parser;
  std::string text;
  for (size_t i = 0; i < events.size(); ++i) {
    INFO(events[i].data);
    element doc;
    REQUIRE_FALSE(parser.parse(events[i].data).get(doc));
    CHECK(std::string_view(doc["type"]) == events[i].name);
    CHECK(int64_t(doc["sluice_mock_ts_us"]) == 5000 + static_cast<int64_t>(i));
    if (events[i].name == "message_start") {
      CHECK(std::string_view(doc["message"]["id"]) == "msg_s");
      CHECK(std::string_view(doc["message"]["model"]) == "claude");
      CHECK(doc["message"]["stop_reason"].is_null());
      CHECK(int64_t(doc["message"]["usage"]["input_tokens"]) == 9);
    } else if (events[i].name == "content_block_start") {
      CHECK(std::string_view(doc["content_block"]["type"]) == "text");
    } else if (events[i].name == "content_block_delta") {
      CHECK(int64_t(doc["index"]) == 0);
      CHECK(std::string_view(doc["delta"]["type"]) == "text_delta");
      text.append(std::string_view(doc["delta"]["text"]));
    } else if (events[i].name == "message_delta") {
      CHECK(std::string_view(doc["delta"]["stop_reason"]) == "end_turn");
      CHECK(doc["delta"]["stop_sequence"].is_null());
      CHECK(int64_t(doc["usage"]["output_tokens"]) == 3);
    }
  }
  CHECK(text == "tok1 tok2 tok3");
  CHECK(stats.api(ProviderApi::kAnthropic).prompt_tokens.load() == 9);
  CHECK(stats.api(ProviderApi::kAnthropic).completion_tokens.load() == 3);
  CHECK(stats.completion_tokens.load() == 3);
}

TEST_CASE("a stream cut short counts only the usage already sent", "[mock_llm]") {
  MockStats stats;
  AnthropicMessageStream::Options options;
  options.plan = PlanCompletion({2, "stop"}, {}, std::nullopt);
  options.usage = {5, 2};
  options.stats = &stats;
  AnthropicMessageStream stream(options);
  std::string piece;
  REQUIRE(stream.NextChunk(1, &piece));  // message_start only
  CHECK(stats.prompt_tokens.load() == 5);
  CHECK(stats.completion_tokens.load() == 0);
}

TEST_CASE("AnthropicMessageStream: empty text has no block, a tool streams input_json_delta",
          "[mock_llm]") {
  AnthropicMessageStream::Options empty;
  empty.plan = PlanCompletion({0, "stop"}, {}, std::nullopt);
  AnthropicMessageStream empty_stream(empty);
  CHECK(Names(DrainEvents(empty_stream)) ==
        std::vector<std::string>{"message_start", "ping", "message_delta", "message_stop"});

  AnthropicMessageStream::Options tool;
  const std::string args = R"({"city":"Zürich","days":1})";
  tool.plan = PlanCompletion({16, "stop"}, {}, ToolCall{"toolu_7", "get_weather", args});
  tool.usage = {1, tool.plan.completion_tokens};
  AnthropicMessageStream tool_stream(tool);
  const std::vector<Event> events = DrainEvents(tool_stream);
  REQUIRE(events.size() == 6 + SplitArguments(args).size());
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(events[1].data).get(doc));
  CHECK(std::string_view(doc["content_block"]["type"]) == "tool_use");
  CHECK(std::string_view(doc["content_block"]["id"]) == "toolu_7");
  CHECK(std::string_view(doc["content_block"]["name"]) == "get_weather");
  std::string rebuilt;
  for (const Event& e : events) {
    if (e.name != "content_block_delta") continue;
    REQUIRE_FALSE(parser.parse(e.data).get(doc));
    CHECK(std::string_view(doc["delta"]["type"]) == "input_json_delta");
    rebuilt.append(std::string_view(doc["delta"]["partial_json"]));
  }
  CHECK(rebuilt == args);
  REQUIRE_FALSE(parser.parse(events[events.size() - 2].data).get(doc));
  CHECK(std::string_view(doc["delta"]["stop_reason"]) == "tool_use");
  CHECK(int64_t(doc["usage"]["output_tokens"]) == tool.plan.completion_tokens);
}

}  // namespace
}  // namespace sluice::mock_llm
