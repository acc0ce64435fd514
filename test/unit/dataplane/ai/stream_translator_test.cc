#include "dataplane/ai/stream_translator.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dataplane/ai/chat_response.h"

namespace sluice::ai {
namespace {

std::string Run(StreamTranslator& t, std::initializer_list<std::string_view> pieces,
                bool finish = true) {
  std::string out;
  for (std::string_view p : pieces) REQUIRE(t.Feed(p, &out).ok());
  if (finish) t.Finish(&out);
  return out;
}

TEST_CASE("OpenAI observer forwards untouched chunks byte for byte", "[ai][stream]") {
  ResponseOptions options;  // no model rewrite, client asked for usage
  options.include_usage = true;
  auto t = MakeStreamTranslator(WireFormat::kOpenAI, WireFormat::kOpenAI, options);
  std::string chunk =
      R"({"id":"c","object":"chat.completion.chunk","model":"gpt","choices":[{"index":0,)"
      R"("delta":{"content":"Hi \u00e9"},"finish_reason":null}],"usage":null})";
  std::string usage = R"({"id":"c","object":"chat.completion.chunk","model":"gpt","choices":[],)"
                      R"("usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})";
  std::string in = "data: " + chunk + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\n";
  CHECK(Run(*t, {in}) == in);
  CHECK(t->complete());
  CHECK(t->first_token_seen());
  Usage u = t->usage();
  CHECK(u.prompt_tokens == 3);
  CHECK(u.completion_tokens == 1);
  CHECK(u.total_tokens == 4);
  CHECK_FALSE(u.estimated);
}

TEST_CASE("OpenAI observer hides usage the client did not ask for", "[ai][stream]") {
  ResponseOptions options;
  auto t = MakeStreamTranslator(WireFormat::kOpenAI, WireFormat::kOpenAI, options);
  // Usage riding on a chunk that also has choices: the chunk stays, its usage becomes null.
  std::string out =
      Run(*t, {R"(data: {"choices":[{"index":0,"delta":{"content":"x"}}],)"
               R"("usage":{"prompt_tokens":2,"completion_tokens":1}})"
               "\n\n"
               R"(data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}})"
               "\n\ndata: [DONE]\n\n"});
  CHECK(out ==
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":null}\n\n"
        "data: [DONE]\n\n");
  CHECK(t->usage().total_tokens == 3);
}

TEST_CASE("Observers: no usage reported means an estimate, marked so", "[ai][stream]") {
  ResponseOptions options;
  options.estimated_prompt_tokens = 11;
  auto t = MakeStreamTranslator(WireFormat::kOpenAI, WireFormat::kOpenAI, options);
  Run(*t, {"data: {\"choices\":[{\"delta\":{\"content\":\"123456789\"}}]}\n\n"});
  Usage u = t->usage();
  CHECK(u.estimated);
  CHECK(u.prompt_tokens == 11);
  CHECK(u.completion_tokens == 3);  // 9 bytes
  CHECK_FALSE(t->complete());

  auto a = MakeStreamTranslator(WireFormat::kAnthropic, WireFormat::kAnthropic, options);
  Run(*a, {"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
           "{\"input_tokens\":7,\"output_tokens\":1}}}\n\n"
           "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"text_delta\",\"text\":\"12345\"}}\n\n"});
  u = a->usage();
  CHECK(u.estimated);           // output count never came
  CHECK(u.prompt_tokens == 7);  // reported
  CHECK(u.completion_tokens == 2);
}

TEST_CASE("Translators report the first token only once content arrives", "[ai][stream]") {
  ResponseOptions options;
  auto t = MakeStreamTranslator(WireFormat::kAnthropic, WireFormat::kOpenAI, options);
  std::string out;
  REQUIRE(t->Feed("event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                  "{\"id\":\"msg_1\",\"model\":\"claude\",\"usage\":{\"input_tokens\":3}}}\n\n",
                  &out)
              .ok());
  CHECK_FALSE(t->first_token_seen());
  CHECK(out.find("\"role\":\"assistant\"") != std::string::npos);
  REQUIRE(t->Feed("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                  "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
                  &out)
              .ok());
  CHECK(t->first_token_seen());
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("Tool calls without an index are told apart by id", "[ai][stream]") {
  ResponseOptions options;
  auto t = MakeStreamTranslator(WireFormat::kOpenAI, WireFormat::kAnthropic, options);
  auto chunk = [](std::string_view id, std::string_view args) {
    return absl::StrCat(R"(data: {"choices":[{"delta":{"tool_calls":[{"id":")", Sv(id),
                        R"(","function":{"name":"f","arguments":")", Sv(args), R"("}}]}}]})",
                        "\n\n");
  };
  std::string out = Run(
      *t, {chunk("call_a", "{\\\"x\\\":"), chunk("call_a", "1}"), chunk("call_b", "{}"),
           chunk("", ""), "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"});
  CHECK(Count(out, "\"type\":\"tool_use\"") == 2);
  CHECK(Count(out, "\"partial_json\":\"{\\\"x\\\":\"") == 1);
  CHECK(Count(out, "\"index\":0,\"delta\":{\"type\":\"input_json_delta\"") == 2);
  CHECK(out.find("\"stop_reason\":\"tool_use\"") != std::string::npos);
}

TEST_CASE("Bytes after the end of a translated stream are ignored", "[ai][stream]") {
  ResponseOptions options;
  auto t = MakeStreamTranslator(WireFormat::kOpenAI, WireFormat::kAnthropic, options);
  std::string out =
      Run(*t, {"data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
               "{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
               "data: {\"choices\":[{\"delta\":{\"content\":\"late\"}}]}\n\n"});
  CHECK(out.find("late") == std::string::npos);
  CHECK(out.find("message_stop") != std::string::npos);
  CHECK(t->complete());
}

TEST_CASE("Non-streaming: unusable provider bodies are refused", "[ai][response]") {
  ResponseOptions options;
  for (const char* body : {"", "[]", "{\"choices\":[]}", "{\"object\":\"chat.completion\"}"}) {
    INFO(body);
    CHECK_FALSE(
        TranslateChatResponse(WireFormat::kOpenAI, WireFormat::kAnthropic, body, options).ok());
    CHECK_FALSE(
        TranslateChatResponse(WireFormat::kOpenAI, WireFormat::kOpenAI, body, options).ok());
  }
  CHECK_FALSE(
      TranslateChatResponse(WireFormat::kAnthropic, WireFormat::kOpenAI, "{\"id\":1}", options)
          .ok());
}

TEST_CASE("Pass-through responses: model rewritten, embeddings usage read", "[ai][response]") {
  ResponseOptions options;
  options.model = "embed-default";
  auto out = PassThroughResponse(
      WireFormat::kOpenAI,
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],)"
      R"("model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}})",
      options);
  REQUIRE(out.ok());
  CHECK(out->body ==
        R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],)"
        R"("model":"embed-default","usage":{"prompt_tokens":8,"total_tokens":8}})");
  CHECK(out->usage.prompt_tokens == 8);
  CHECK(out->usage.completion_tokens == 0);
  CHECK(out->usage.total_tokens == 8);
  CHECK_FALSE(out->usage.estimated);
}

}  // namespace
}  // namespace sluice::ai
