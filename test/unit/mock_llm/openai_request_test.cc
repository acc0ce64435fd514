#include "tools/mock-llm/openai_request.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace sluice::mock_llm {
namespace {

TEST_CASE("EstimateTokens is ceil(bytes / 4) with a floor of 1", "[mock_llm]") {
  CHECK(EstimateTokens(0) == 1);
  CHECK(EstimateTokens(1) == 1);
  CHECK(EstimateTokens(4) == 1);
  CHECK(EstimateTokens(5) == 2);
  CHECK(EstimateTokens(8) == 2);
  CHECK(EstimateTokens(9) == 3);
  CHECK(EstimateTokens(4000) == 1000);
}

TEST_CASE("ParseChat reads model, stream options and the prompt estimate", "[mock_llm]") {
  OpenAiRequestParser parser;
  // 13 bytes → 4; parts "abcd"+"efghi" = 9 bytes → 3 (the image adds nothing); null → 1.
  const std::string body = R"({
    "model": "gpt-x", "stream": true, "stream_options": {"include_usage": true},
    "messages": [
      {"role": "user", "content": "hello world!!"},
      {"role": "user", "content": [{"type": "text", "text": "abcd"},
                                   {"type": "image_url", "image_url": {"url": "data:x"}},
                                   {"type": "text", "text": "efghi"}]},
      {"role": "assistant", "content": null, "tool_calls": []}
    ],
    "max_tokens": 50, "temperature": 0.2})";
  absl::StatusOr<ChatRequest> req = parser.ParseChat(body);
  REQUIRE(req.ok());
  CHECK(req->model == "gpt-x");
  CHECK(req->stream);
  CHECK(req->include_usage);
  CHECK(req->message_count == 3);
  CHECK(req->prompt_tokens == 4 + 3 + 1);
  REQUIRE(req->max_tokens.has_value());
  CHECK(*req->max_tokens == 50);
}

TEST_CASE("ParseChat prefers max_completion_tokens and defaults stream off", "[mock_llm]") {
  OpenAiRequestParser parser;
  absl::StatusOr<ChatRequest> req = parser.ParseChat(
      R"({"max_completion_tokens":7,"model":"m","max_tokens":99,
          "messages":[{"role":"user","content":"x"}]})");
  REQUIRE(req.ok());
  CHECK_FALSE(req->stream);
  CHECK_FALSE(req->include_usage);
  CHECK(*req->max_tokens == 7);

  // The parser reuses its buffers: a second, shorter body must not see the first one's fields.
  req = parser.ParseChat(R"({"model":"n","messages":[{"role":"user","content":"abcdefgh"}]})");
  REQUIRE(req.ok());
  CHECK(req->model == "n");
  CHECK_FALSE(req->max_tokens.has_value());
  CHECK(req->prompt_tokens == 2);
}

TEST_CASE("ParseChat rejects malformed and invalid bodies with a client message", "[mock_llm]") {
  OpenAiRequestParser parser;
  struct Case {
    const char* body;
    const char* message_part;
  };
  const Case cases[] = {
      {R"({"model":)", "not valid JSON"},
      {"", "not valid JSON"},
      {R"([1,2])", "must be a JSON object"},
      {R"({"messages":[{"role":"user","content":"x"}]})", "'model' is required"},
      {R"({"model":"m"})", "'messages' is required"},
      {R"({"model":"m","messages":[]})", "'messages' must be a non-empty array"},
      {R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "'model'"},
      {R"({"model":"m","messages":[{"content":"x"}]})", "'messages[0]'"},
      {R"({"model":"m","messages":[{"role":"user","content":7}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})",
       "text parts need"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})",
       "'stream' must be a boolean"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})",
       "'max_tokens'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-3})",
       "'max_tokens'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],
           "stream_options":{"include_usage":1}})",
       "include_usage"},
      {R"({"model":"m","messages":[{"role":"tool","content":"22C"}]})",
       "messages[0].tool_call_id"},
      // Arguments must be a JSON string; an object is what a careless Anthropic translation sends.
      {R"({"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[
           {"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]}]})",
       "messages[0].tool_calls"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})", "'stop'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})",
       "at most 4"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],
           "tools":[{"type":"function","function":{}}]})",
       "'tools'"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"})",
       "'tool_choice'"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    absl::StatusOr<ChatRequest> req = parser.ParseChat(c.body);
    REQUIRE_FALSE(req.ok());
    CHECK(req.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(req.status().message()), Catch::Contains(c.message_part));
  }
}

TEST_CASE("ParseChat reads stop, tools and tool_choice", "[mock_llm]") {
  OpenAiRequestParser parser;
  absl::StatusOr<ChatRequest> req = parser.ParseChat(R"({"model":"m",
    "messages":[{"role":"user","content":"x"},
                {"role":"assistant","content":null,"tool_calls":[
                  {"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                {"role":"tool","tool_call_id":"c1","content":"abcde"}],
    "stop":["tok3",""],
    "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object",
               "properties":{"city":{"type":"string"},"n":{"type":["integer","null"]}}}}},
             {"type":"function","function":{"name":"g"}},
             {"type":"web_search"}],
    "tool_choice":{"type":"function","function":{"name":"g"}}})");
  REQUIRE(req.ok());
  CHECK(req->stop == std::vector<std::string>{"tok3"});
  REQUIRE(req->tools.size() == 2);
  CHECK(req->tools[0].name == "f");
  CHECK(req->tools[0].arguments_json == R"({"city":"mock","n":1})");
  CHECK(req->tools[1].arguments_json == "{}");
  CHECK(req->tool_choice.mode == ToolChoice::Mode::kNamed);
  CHECK(req->tool_choice.name == "g");
  // user 1 + assistant (no content) 1 + tool "abcde" 2.
  CHECK(req->prompt_tokens == 4);

  req = parser.ParseChat(R"({"model":"m","messages":[{"role":"user","content":"x"}],
                             "stop":"END","tool_choice":"required"})");
  REQUIRE(req.ok());
  CHECK(req->stop == std::vector<std::string>{"END"});
  CHECK(req->tool_choice.mode == ToolChoice::Mode::kAny);
}

TEST_CASE("Azure requests may leave the model out: the deployment names it", "[mock_llm]") {
  OpenAiRequestParser parser;
  const std::string chat = R"({"messages":[{"role":"user","content":"x"}]})";
  CHECK_FALSE(parser.ParseChat(chat).ok());
  CHECK(parser.ParseChat(chat, /*model_required=*/false).ok());
  const std::string embeddings = R"({"input":"x"})";
  CHECK_FALSE(parser.ParseEmbeddings(embeddings).ok());
  CHECK(parser.ParseEmbeddings(embeddings, /*model_required=*/false).ok());
}

TEST_CASE("ParseEmbeddings accepts strings, string arrays and token ids", "[mock_llm]") {
  OpenAiRequestParser parser;
  absl::StatusOr<EmbeddingsRequest> one =
      parser.ParseEmbeddings(R"({"model":"e","input":"abcdefghi"})");
  REQUIRE(one.ok());
  CHECK(one->input_hashes.size() == 1);
  CHECK(one->prompt_tokens == 3);
  CHECK(one->dimensions == 8);
  CHECK_FALSE(one->base64);

  absl::StatusOr<EmbeddingsRequest> many = parser.ParseEmbeddings(
      R"({"model":"e","input":["abcdefghi","x"],"dimensions":3,"encoding_format":"base64"})");
  REQUIRE(many.ok());
  REQUIRE(many->input_hashes.size() == 2);
  CHECK(many->input_hashes[0] == one->input_hashes[0]);  // same text, same vector
  CHECK(many->input_hashes[1] != one->input_hashes[0]);
  CHECK(many->prompt_tokens == 3 + 1);
  CHECK(many->dimensions == 3);
  CHECK(many->base64);

  absl::StatusOr<EmbeddingsRequest> ids =
      parser.ParseEmbeddings(R"({"model":"e","input":[[1,2,3],[4]]})");
  REQUIRE(ids.ok());
  CHECK(ids->input_hashes.size() == 2);
  CHECK(ids->prompt_tokens == 3 + 1);

  for (const char* bad : {R"({"model":"e"})", R"({"input":"x"})", R"({"model":"e","input":5})",
                          R"({"model":"e","input":[]})", R"({"model":"e","input":[true]})",
                          R"({"model":"e","input":"x","dimensions":0})",
                          R"({"model":"e","input":"x","encoding_format":"hex"})", "{"}) {
    INFO(bad);
    CHECK_FALSE(parser.ParseEmbeddings(bad).ok());
  }
}

}  // namespace
}  // namespace sluice::mock_llm
