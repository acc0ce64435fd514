#include "dataplane/ai/chat_request.h"

#include <catch2/catch.hpp>

#include "test/unit/dataplane/ai/golden.h"

namespace sluice::ai {
namespace {

using testing::JsonDifference;

ProviderBodyOptions For(ProviderKind kind, std::string_view model = "provider-model") {
  ProviderBodyOptions o;
  o.provider = kind;
  o.model = model;
  return o;
}

std::string Build(WireFormat format, std::string body, const ProviderBodyOptions& o) {
  auto req = ChatRequest::Parse(format, std::move(body));
  REQUIRE(req.ok());
  auto out = req->BuildProviderBody(o);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

absl::Status BuildError(WireFormat format, std::string body, const ProviderBodyOptions& o) {
  auto req = ChatRequest::Parse(format, std::move(body));
  REQUIRE(req.ok());
  return req->BuildProviderBody(o).status();
}

TEST_CASE("Parse refuses what is not a chat request", "[ai][request]") {
  for (const char* body : {"", "not json", "[1]", "{\"model\":\"x\"}", "{\"messages\":{}}"}) {
    INFO(body);
    auto req = ChatRequest::Parse(WireFormat::kOpenAI, body);
    CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Parse reads what routing needs", "[ai][request]") {
  auto req = ChatRequest::Parse(
      WireFormat::kOpenAI,
      R"({"model":"fast","stream":true,"stream_options":{"include_usage":true},)"
      R"("messages":[{"role":"system","content":"12345678"},{"role":"user","content":""},)"
      R"({"role":"user","content":[{"type":"text","text":"123456789"},{"type":"image_url"}]}]})");
  REQUIRE(req.ok());
  CHECK(req->model() == "fast");
  CHECK(req->stream());
  CHECK(req->include_usage());
  CHECK_FALSE(req->legacy_functions());
  // 8 bytes -> 2, empty -> 1 (every message counts), 9 bytes -> 3.
  CHECK(req->estimated_prompt_tokens() == 6);

  auto anthropic = ChatRequest::Parse(
      WireFormat::kAnthropic,
      R"({"model":"m","max_tokens":5,"system":"1234","messages":[{"role":"user","content":[)"
      R"({"type":"tool_result","tool_use_id":"t","content":"12345"},)"
      R"({"type":"text","text":"1"}]}]})");
  REQUIRE(anthropic.ok());
  CHECK_FALSE(anthropic->stream());
  CHECK(anthropic->estimated_prompt_tokens() == 1 + 2);
}

TEST_CASE("Same format: only model and stream_options change, other bytes stay", "[ai][request]") {
  std::string body =
      "{ \"model\" : \"alias\", \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9\"}],"
      "\"temperature\":1.0 }";
  CHECK(Build(WireFormat::kOpenAI, body, For(ProviderKind::kOpenAI, "gpt-4o")) ==
        "{ \"model\" : \"gpt-4o\", \"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9\"}],"
        "\"temperature\":1.0 }");
  // An empty model keeps the client's.
  CHECK(Build(WireFormat::kOpenAI, body, For(ProviderKind::kOpenAI, "")) == body);

  std::string streaming = R"({"messages":[],"stream":true})";
  CHECK(Build(WireFormat::kOpenAI, streaming, For(ProviderKind::kOpenAICompatible, "llama")) ==
        R"({"model":"llama","stream_options":{"include_usage":true},"messages":[],"stream":true})");
  std::string with_false =
      R"({"model":"a","messages":[],"stream":true,"stream_options":{"include_usage":false,"x":1}})";
  CHECK(
      Build(WireFormat::kOpenAI, with_false, For(ProviderKind::kOpenAI, "b")) ==
      R"({"model":"b","messages":[],"stream":true,"stream_options":{"x":1,"include_usage":true}})");
  std::string anthropic = R"({"model":"a","max_tokens":10,"messages":[],"stream":true})";
  CHECK(Build(WireFormat::kAnthropic, anthropic, For(ProviderKind::kAnthropic, "claude")) ==
        R"({"model":"claude","max_tokens":10,"messages":[],"stream":true})");
}

TEST_CASE("OpenAI requests Anthropic cannot express are refused with a reason", "[ai][request]") {
  auto anthropic = For(ProviderKind::kAnthropic);
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {R"({"messages":[{"role":"user","content":"x"}],"n":2})", "'n'"},
      {R"({"messages":[],"response_format":{"type":"json_schema","json_schema":{}}})",
       "response_format"},
      {R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})",
       "input_audio"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url",)"
       R"("image_url":{"url":"data:image/png,abc"}}]}]})",
       "base64"},
      {R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c",)"
       R"("function":{"name":"f","arguments":"[1]"}}]}]})",
       "JSON object"},
      {R"({"messages":[{"role":"wizard","content":"x"}]})", "wizard"},
      {R"({"messages":[],"tools":[{"type":"custom","custom":{"name":"x"}}]})", "custom"},
      {R"({"messages":[1]})", "messages[0]"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    absl::Status s = BuildError(WireFormat::kOpenAI, c.body, anthropic);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()), Catch::Contains(c.says));
  }
}

TEST_CASE("Anthropic requests OpenAI cannot express are refused with a reason", "[ai][request]") {
  auto openai = For(ProviderKind::kOpenAI);
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {R"({"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]})",
       "web_search_20250305"},
      {R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t",)"
       R"("content":[{"type":"image","source":{}}]}]}]})",
       "image"},
      {R"({"messages":[{"role":"assistant","content":[{"type":"server_tool_use"}]}]})",
       "server_tool_use"},
      {R"({"messages":[{"role":"user"}]})", "content"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    absl::Status s = BuildError(WireFormat::kAnthropic, c.body, openai);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()), Catch::Contains(c.says));
  }
}

TEST_CASE("A conversation survives OpenAI -> Anthropic -> OpenAI", "[ai][request]") {
  std::string original = R"({
    "model": "gpt-4o-mini",
    "messages": [
      {"role": "system", "content": "Be helpful."},
      {"role": "user", "content": "Weather in Oslo?"},
      {"role": "assistant", "content": "Checking.", "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
      {"role": "user", "content": [{"type": "text", "text": "And this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}
    ],
    "tools": [{"type": "function", "function": {"name": "weather", "description": "d",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "required",
    "max_completion_tokens": 100,
    "stop": ["x"],
    "temperature": 0.3,
    "top_p": 0.5,
    "user": "u1",
    "stream": true
  })";
  std::string anthropic =
      Build(WireFormat::kOpenAI, original, For(ProviderKind::kAnthropic, "claude"));
  std::string back =
      Build(WireFormat::kAnthropic, anthropic, For(ProviderKind::kOpenAI, "gpt-4o-mini"));
  // What comes back is the original, with the content parts' and the stream's normal forms.
  std::string expected = R"({
    "model": "gpt-4o-mini",
    "messages": [
      {"role": "system", "content": "Be helpful."},
      {"role": "user", "content": "Weather in Oslo?"},
      {"role": "assistant", "content": "Checking.", "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
      {"role": "user", "content": [{"type": "text", "text": "And this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}
    ],
    "tools": [{"type": "function", "function": {"name": "weather", "description": "d",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "required",
    "max_completion_tokens": 100,
    "stop": ["x"],
    "temperature": 0.3,
    "top_p": 0.5,
    "user": "u1",
    "stream": true,
    "stream_options": {"include_usage": true}
  })";
  CHECK(JsonDifference(expected, back) == "");
}

TEST_CASE("Tool ids Anthropic would refuse are mapped the same way on both sides",
          "[ai][request]") {
  std::string body = R"({"messages":[
    {"role":"assistant","content":null,"tool_calls":[{"id":"call:1/a","type":"function",
      "function":{"name":"f","arguments":""}}]},
    {"role":"tool","tool_call_id":"call:1/a","content":"ok"}]})";
  std::string out = Build(WireFormat::kOpenAI, body, For(ProviderKind::kAnthropic));
  CHECK(JsonDifference(R"({"model":"provider-model","max_tokens":4096,"messages":[
    {"role":"assistant","content":[{"type":"tool_use","id":"call_1_a","name":"f","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1_a","content":"ok"}]}]})",
                       out) == "");
}

TEST_CASE("ReplaceModel rewrites or inserts the model only", "[ai][request]") {
  CHECK(*ReplaceModel(R"({"input":"hi","model":"alias"})", "text-embedding-3-small") ==
        R"({"input":"hi","model":"text-embedding-3-small"})");
  CHECK(*ReplaceModel(R"( {"input":["a"]})", "m") == R"( {"model":"m","input":["a"]})");
  CHECK(*ReplaceModel("{ }", "m") == R"({"model":"m" })");
  CHECK_FALSE(ReplaceModel("[]", "m").ok());
}

}  // namespace
}  // namespace sluice::ai
