#include "tools/mock-llm/openai_response.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/strings.h"
#include "absl/strings/match.h"
#include "tools/mock-llm/fault_spec.h"  // kMaxCompletionTokens
#include "tools/mock-llm/mock_stats.h"

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;

TEST_CASE("completion tokens are numbered words that stream deltas rebuild", "[mock_llm]") {
  CHECK(CompletionText(0).empty());
  CHECK(CompletionText(1) == "tok1");
  CHECK(CompletionText(3) == "tok1 tok2 tok3");
}

TEST_CASE("ChooseCompletionLength: header, then max_tokens, then 16", "[mock_llm]") {
  auto check = [](std::optional<int64_t> header, std::optional<int64_t> max, int64_t tokens,
                  std::string_view finish) {
    const CompletionLength got = ChooseCompletionLength(header, max);
    CHECK(got.tokens == tokens);
    CHECK(got.finish_reason == finish);
  };
  check(std::nullopt, std::nullopt, 16, "stop");
  check(5, std::nullopt, 5, "stop");
  check(std::nullopt, 7, 7, "length");
  check(5, 7, 5, "stop");
  check(9, 7, 7, "length");
  check(0, std::nullopt, 0, "stop");
  check(std::nullopt, int64_t{1} << 40, kMaxCompletionTokens, "length");
}

TEST_CASE("FormatChatCompletion is a chat.completion with usage", "[mock_llm]") {
  CompletionPlan plan;
  plan.tokens = 3;
  plan.stop = StopReason::kMaxTokens;
  const std::string body =
      FormatChatCompletion({"chatcmpl-1", "my \"model\"", 1234}, plan, {10, 3});
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(std::string_view(doc["id"]) == "chatcmpl-1");
  CHECK(std::string_view(doc["object"]) == "chat.completion");
  CHECK(int64_t(doc["created"]) == 1234);
  CHECK(std::string_view(doc["model"]) == "my \"model\"");
  element choice = doc["choices"].at(0);
  CHECK(std::string_view(choice["message"]["role"]) == "assistant");
  CHECK(std::string_view(choice["message"]["content"]) == "tok1 tok2 tok3");
  CHECK(std::string_view(choice["finish_reason"]) == "length");
  CHECK(int64_t(doc["usage"]["prompt_tokens"]) == 10);
  CHECK(int64_t(doc["usage"]["completion_tokens"]) == 3);
  CHECK(int64_t(doc["usage"]["total_tokens"]) == 13);
}

// Runs a stream to the end, stamping chunk i with time 1000 + i.
std::vector<std::string> Drain(ChunkSource& source) {
  std::vector<std::string> events;
  std::string piece;
  for (int64_t i = 0; i < 10000 && source.NextChunk(1000 + i, &piece); ++i) {
    events.push_back(piece);
    piece.clear();
  }
  return events;
}

TEST_CASE("OpenAiChatStream emits role, tokens, finish, usage and [DONE]", "[mock_llm]") {
  MockStats stats;
  OpenAiChatStream::Options options;
  options.meta = {"chatcmpl-s", "m", 99};
  options.plan.tokens = 4;
  options.plan.stop = StopReason::kEndTurn;
  options.include_usage = GENERATE(true, false);
  options.usage = {6, 4};
  options.stats = &stats;
  OpenAiChatStream stream(options);
  CHECK_FALSE(stream.Exhausted());
  const std::vector<std::string> events = Drain(stream);
  CHECK(stream.Exhausted());
  std::string extra;
  CHECK_FALSE(stream.NextChunk(0, &extra));

  const size_t expected = 1 + 4 + 1 + (options.include_usage ? 1 : 0) + 1;
  REQUIRE(events.size() == expected);
  CHECK(events.back() == "data: [DONE]\n\n");

  simdjson::dom::parser parser;
  std::string content;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const std::string& e = events[i];
    INFO(e);
    REQUIRE(absl::StartsWith(e, "data: "));
    REQUIRE(absl::EndsWith(e, "\n\n"));
    element doc;
    REQUIRE_FALSE(parser.parse(e.substr(6, e.size() - 8)).get(doc));
    CHECK(std::string_view(doc["object"]) == "chat.completion.chunk");
    CHECK(std::string_view(doc["id"]) == "chatcmpl-s");
    CHECK(int64_t(doc["sluice_mock_ts_us"]) == 1000 + static_cast<int64_t>(i));
    element usage;
    const bool has_usage = !doc["usage"].get(usage);
    CHECK(has_usage == options.include_usage);
    simdjson::dom::array choices = doc["choices"];
    if (choices.size() == 0) {  // the usage chunk
      CHECK(i == events.size() - 2);
      CHECK(int64_t(usage["total_tokens"]) == 10);
      continue;
    }
    element choice = choices.at(0);
    std::string_view text;
    if (!choice["delta"]["content"].get(text)) content.append(text);
    std::string_view role;
    CHECK((choice["delta"]["role"].get(role) == simdjson::SUCCESS) == (i == 0));
    std::string_view finish;
    const bool finished = !choice["finish_reason"].get(finish);
    CHECK(finished == (i == 5));
    if (finished) CHECK(finish == "stop");
  }
  CHECK(content == CompletionText(4));
  CHECK(stats.prompt_tokens.load() == (options.include_usage ? 6 : 0));
  CHECK(stats.completion_tokens.load() == (options.include_usage ? 4 : 0));
  CHECK(stats.api(ProviderApi::kOpenAi).prompt_tokens.load() == stats.prompt_tokens.load());
  CHECK(stats.api(ProviderApi::kAzure).prompt_tokens.load() == 0);
}

// The data objects of an OpenAI stream (everything but [DONE]), parsed.
std::vector<std::string> ChunkJson(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const std::string& e : events) {
    if (e == "data: [DONE]\n\n") continue;
    REQUIRE(absl::StartsWith(e, "data: "));
    out.push_back(e.substr(6, e.size() - 8));
  }
  return out;
}

TEST_CASE("FormatChatCompletion cut by a stop sequence says stop and keeps the prefix",
          "[mock_llm]") {
  const CompletionPlan plan = PlanCompletion({5, "stop"}, {"tok3"}, std::nullopt);
  const std::string body = FormatChatCompletion({"c", "m", 1}, plan, {1, plan.completion_tokens});
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(std::string_view(doc["choices"].at(0)["message"]["content"]) == "tok1 tok2 ");
  CHECK(std::string_view(doc["choices"].at(0)["finish_reason"]) == "stop");
  CHECK(int64_t(doc["usage"]["completion_tokens"]) == 3);
}

TEST_CASE("a tool call: message with tool_calls, arguments as a JSON string", "[mock_llm]") {
  CompletionPlan plan = PlanCompletion(
      {16, "stop"}, {}, ToolCall{"call_1", "get_weather", R"({"city":"Zürich \"old\""})"});
  const std::string body = FormatChatCompletion({"c", "m", 1}, plan, {2, plan.completion_tokens});
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(body).get(doc));
  element message = doc["choices"].at(0)["message"];
  CHECK(message["content"].is_null());
  element call = message["tool_calls"].at(0);
  CHECK(std::string_view(call["id"]) == "call_1");
  CHECK(std::string_view(call["type"]) == "function");
  CHECK(std::string_view(call["function"]["name"]) == "get_weather");
  CHECK(std::string_view(call["function"]["arguments"]) == R"({"city":"Zürich \"old\""})");
  CHECK(std::string_view(doc["choices"].at(0)["finish_reason"]) == "tool_calls");
  CHECK(int64_t(doc["usage"]["completion_tokens"]) == plan.completion_tokens);
}

TEST_CASE("a streamed tool call rebuilds the arguments from its pieces", "[mock_llm]") {
  MockStats stats;
  OpenAiChatStream::Options options;
  options.meta = {"chatcmpl-t", "m", 1};
  const std::string args = R"({"query":"naïve café","limit":1})";
  options.plan = PlanCompletion({16, "stop"}, {}, ToolCall{"call_9", "search", args});
  options.include_usage = true;
  options.usage = {3, options.plan.completion_tokens};
  options.stats = &stats;
  options.api = ProviderApi::kAzure;
  OpenAiChatStream stream(options);
  const std::vector<std::string> chunks = ChunkJson(Drain(stream));
  const size_t pieces = SplitArguments(args).size();
  REQUIRE(pieces > 2);
  REQUIRE(chunks.size() == 1 + pieces + 1 + 1);
  simdjson::dom::parser parser;
  std::string rebuilt;
  for (size_t i = 0; i < chunks.size(); ++i) {
    INFO(chunks[i]);
    element doc;
    REQUIRE_FALSE(parser.parse(chunks[i]).get(doc));
    simdjson::dom::array choices = doc["choices"];
    if (choices.size() == 0) continue;
    element delta = choices.at(0)["delta"];
    element calls;
    if (delta["tool_calls"].get(calls)) continue;
    element call = calls.at(0);
    CHECK(int64_t(call["index"]) == 0);
    if (i == 0) {
      CHECK(std::string_view(call["id"]) == "call_9");
      CHECK(std::string_view(call["function"]["name"]) == "search");
      CHECK(delta["content"].is_null());
    }
    rebuilt.append(std::string_view(call["function"]["arguments"]));
  }
  CHECK(rebuilt == args);
  element finish;
  REQUIRE_FALSE(parser.parse(chunks[chunks.size() - 2]).get(finish));
  CHECK(std::string_view(finish["choices"].at(0)["finish_reason"]) == "tool_calls");
  CHECK(stats.api(ProviderApi::kAzure).completion_tokens.load() == options.plan.completion_tokens);
  CHECK(stats.api(ProviderApi::kOpenAi).completion_tokens.load() == 0);
}

TEST_CASE("embedding vectors are deterministic unit vectors", "[mock_llm]") {
  float a[16], b[16], c[16];
  EmbeddingVector(42, 16, a);
  EmbeddingVector(42, 16, b);
  EmbeddingVector(43, 16, c);
  double norm = 0;
  bool differs = false;
  for (int i = 0; i < 16; ++i) {
    CHECK(a[i] == b[i]);
    differs = differs || a[i] != c[i];
    norm += double(a[i]) * a[i];
  }
  CHECK(differs);
  CHECK(std::abs(norm - 1.0) < 1e-5);
}

TEST_CASE("FormatEmbeddings lists one vector per input, as floats or base64", "[mock_llm]") {
  EmbeddingsRequest request;
  request.model = "e";
  request.input_hashes = {1, 2};
  request.dimensions = 5;
  request.prompt_tokens = 9;
  simdjson::dom::parser parser;
  element doc;
  std::string body = FormatEmbeddings(request);
  REQUIRE_FALSE(parser.parse(body).get(doc));
  CHECK(std::string_view(doc["object"]) == "list");
  CHECK(int64_t(doc["usage"]["prompt_tokens"]) == 9);
  CHECK(int64_t(doc["usage"]["total_tokens"]) == 9);
  simdjson::dom::array data = doc["data"];
  REQUIRE(data.size() == 2);
  CHECK(int64_t(data.at(1)["index"]) == 1);
  simdjson::dom::array vec = data.at(0)["embedding"];
  CHECK(vec.size() == 5);

  request.base64 = true;
  body = FormatEmbeddings(request);
  REQUIRE_FALSE(parser.parse(body).get(doc));
  std::string raw;
  REQUIRE(absl::Base64Unescape(Sv(std::string_view(doc["data"].at(0)["embedding"])), &raw));
  REQUIRE(raw.size() == 5 * sizeof(float));
  float expected[5];
  EmbeddingVector(1, 5, expected);
  CHECK(std::memcmp(raw.data(), expected, raw.size()) == 0);
}

TEST_CASE("model list and lookup", "[mock_llm]") {
  simdjson::dom::parser parser;
  element doc;
  const std::string list = FormatModelList();
  REQUIRE_FALSE(parser.parse(list).get(doc));
  simdjson::dom::array data = doc["data"];
  REQUIRE(data.size() >= 2);
  const std::string first_id(std::string_view(data.at(0)["id"]));
  CHECK(std::string_view(data.at(0)["owned_by"]) == "sluice-mock");
  std::optional<std::string> one = FormatModel(first_id);
  REQUIRE(one.has_value());
  CHECK_THAT(*one, Catch::Contains(first_id));
  CHECK_FALSE(FormatModel("no-such-model").has_value());
}

}  // namespace
}  // namespace sluice::mock_llm
