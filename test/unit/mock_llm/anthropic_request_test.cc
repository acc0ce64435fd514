#include "tools/mock-llm/anthropic_request.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tools/mock-llm/openai_request.h"

namespace sluice::mock_llm {
namespace {

TEST_CASE("ParseMessages reads the request and estimates the prompt", "[mock_llm]") {
  AnthropicRequestParser parser;
  // system blocks "abcd"+"efgh" → 2; "hello world!!" (13) → 4; text + tool_use → "ok" 1;
  // tool_result string "22 degrees" (10) + text "x" (1) → 3.
  absl::StatusOr<MessagesRequest> req = parser.ParseMessages(R"({
    "model": "claude-x", "max_tokens": 300, "stream": true,
    "system": [{"type": "text", "text": "abcd"}, {"type": "text", "text": "efgh"}],
    "messages": [
      {"role": "user", "content": "hello world!!"},
      {"role": "assistant", "content": [
        {"type": "text", "text": "ok"},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "22 degrees"},
        {"type": "text", "text": "x"}]}
    ],
    "stop_sequences": ["tok9", "END"],
    "tools": [{"name": "get_weather", "input_schema": {"type": "object",
               "properties": {"city": {"type": "string"}}}},
              {"type": "web_search_20250305", "name": "web_search"}],
    "tool_choice": {"type": "tool", "name": "web_search"},
    "temperature": 0.5, "metadata": {"user_id": "u"}})");
  REQUIRE(req.ok());
  CHECK(req->model == "claude-x");
  CHECK(req->max_tokens == 300);
  CHECK(req->stream);
  CHECK(req->has_system);
  CHECK(req->message_count == 3);
  CHECK(req->prompt_tokens == 2 + 4 + 1 + 3);
  CHECK(req->stop_sequences == std::vector<std::string>{"tok9", "END"});
  REQUIRE(req->tools.size() == 2);
  CHECK(req->tools[0].arguments_json == R"({"city":"mock"})");
  CHECK(req->tools[1].name == "web_search");
  CHECK(req->tools[1].arguments_json == "{}");
  CHECK(req->tool_choice.mode == ToolChoice::Mode::kNamed);
  CHECK(req->tool_choice.name == "web_search");
}

TEST_CASE("an OpenAI request and its Anthropic translation count the same prompt",
          "[mock_llm]") {
  OpenAiRequestParser openai;
  AnthropicRequestParser anthropic;
  absl::StatusOr<ChatRequest> a = openai.ParseChat(R"({"model":"m","messages":[
      {"role":"system","content":"You are terse and exact."},
      {"role":"user","content":"What is the capital of Norway?"},
      {"role":"assistant","content":"Oslo."},
      {"role":"user","content":[{"type":"text","text":"And of Sweden?"}]}]})");
  absl::StatusOr<MessagesRequest> b = anthropic.ParseMessages(R"({"model":"m","max_tokens":9,
      "system":"You are terse and exact.",
      "messages":[
      {"role":"user","content":"What is the capital of Norway?"},
      {"role":"assistant","content":[{"type":"text","text":"Oslo."}]},
      {"role":"user","content":"And of Sweden?"}]})");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->prompt_tokens == b->prompt_tokens);
  CHECK(b->prompt_tokens == 6 + 8 + 2 + 4);
}

TEST_CASE("ParseMessages rejects what the real API rejects", "[mock_llm]") {
  AnthropicRequestParser parser;
  struct Case {
    const char* body;
    const char* message_part;
  };
  const Case cases[] = {
      {R"({"model":"m","messages":[{"role":"user","content":"x"}]})", "'max_tokens' is required"},
      {R"({"max_tokens":5,"messages":[{"role":"user","content":"x"}]})", "'model' is required"},
      {R"({"model":"m","max_tokens":5})", "'messages' is required"},
      {R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})",
       "'max_tokens'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]})",
       "top-level 'system'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user"}]})",
       "messages[0].content' is required"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"text":"x"}]}]})",
       "string 'type'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[
           {"type":"tool_use","id":"t","name":"f","input":"{\"a\":1}"}]}]})",
       "object 'input'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
           {"type":"tool_result","content":"x"}]}]})",
       "tool_use_id"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
           "stop_sequences":"END"})",
       "'stop_sequences' must be an array"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
           "tool_choice":"auto"})",
       "'tool_choice'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
           "tool_choice":{"type":"tool"}})",
       "needs a 'name'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],
           "tools":[{"input_schema":{}}]})",
       "'tools'"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"system":5})",
       "'system'"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    absl::StatusOr<MessagesRequest> req = parser.ParseMessages(c.body);
    REQUIRE_FALSE(req.ok());
    CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(req.status().message()), Catch::Contains(c.message_part));
  }
}

}  // namespace
}  // namespace sluice::mock_llm
