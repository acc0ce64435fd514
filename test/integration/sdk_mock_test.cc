// The official SDK client scripts (test/sdk/) against sluice-mock-llm directly, checked against
// what the mock says it received and reported (/_mock/requests, /_mock/stats). This proves the
// scripts and the mock's provider dialects before a gateway sits between them.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "test/integration/harness.h"
#include "test/integration/sdk_client.h"

namespace sluice::testing {
namespace {

constexpr char kOpenAiKey[] = "sk-mock-openai-1";
constexpr char kAnthropicKey[] = "sk-ant-mock-2";
constexpr char kAzureKey[] = "azure-mock-3";

// The mock's prompt estimate for one message (tools/mock-llm/openai_request.h).
int64_t Estimate(std::string_view text) {
  return text.empty() ? 1 : static_cast<int64_t>((text.size() + 3) / 4);
}

MockLlm StartKeyedMock() {
  return StartMockLlm({"--openai-key", kOpenAiKey, "--anthropic-key", kAnthropicKey,
                       "--azure-key", kAzureKey});
}

Json MockJson(const MockLlm& mock, const std::string& path) {
  HttpResponse r = Get(mock.addr, path);
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  return Json::Parse(r.body);
}

// The usage the mock reported for one API equals what the SDK saw, and it served `requests`.
void CheckMockUsage(const MockLlm& mock, const std::string& api, int64_t requests,
                    int64_t prompt, int64_t completion) {
  Json stats = MockJson(mock, "/_mock/stats");
  INFO(stats.text());
  CHECK(stats.Int("/apis/" + api + "/requests") == requests);
  CHECK(stats.Int("/apis/" + api + "/prompt_tokens") == prompt);
  CHECK(stats.Int("/apis/" + api + "/completion_tokens") == completion);
  CHECK(stats.Int("/prompt_tokens") == prompt);
  CHECK(stats.Int("/completion_tokens") == completion);
}

double Number(const Json& json, const std::string& pointer) {
  const std::string raw = json.Raw(pointer);
  return raw.empty() ? NAN : std::stod(raw);
}

#define REQUIRE_SDK_OK(result)          \
  INFO((result).log);                   \
  REQUIRE((result).exit_code == 0);     \
  REQUIRE((result).json.Bool("/ok"))

TEST_CASE("openai SDK against the mock: chat, streams, tools, embeddings, models",
          "[sdk][mock]") {
  std::optional<SdkClients> sdk = SdkClients::Find();
  if (!sdk) return;
  MockLlm mock = StartKeyedMock();
  const std::vector<std::string> base{"--base-url", mock.Url() + "/v1", "--api-key", kOpenAiKey};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::string system = "You answer in numbered tokens.";
  const std::string prompt = "Count to five, please.";

  SECTION("chat: content, finish reason and usage as the mock sent them") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--model", "mock-gpt-4o", "--system", system,
                                    "--prompt", prompt, "--header", "x-mock-tokens: 5"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3 tok4 tok5");
    CHECK(r.json.Str("/finish_reason") == "stop");
    CHECK(r.json.Str("/model") == "mock-gpt-4o");
    CHECK(r.json.Int("/usage/prompt_tokens") == Estimate(system) + Estimate(prompt));
    CHECK(r.json.Int("/usage/completion_tokens") == 5);
    CheckMockUsage(mock, "openai", 1, r.json.Int("/usage/prompt_tokens"),
                   r.json.Int("/usage/completion_tokens"));

    Json log = MockJson(mock, "/_mock/requests");
    INFO(log.text());
    CHECK(log.Str("/requests/0/uri") == "/v1/chat/completions");
    CHECK(log.Str("/requests/0/api") == "openai");
    CHECK(log.Str("/requests/0/headers/authorization") == std::string("Bearer ") + kOpenAiKey);
    Json body = Json::Parse(log.Str("/requests/0/body"));
    CHECK(body.Str("/model") == "mock-gpt-4o");
    CHECK(body.Str("/messages/0/role") == "system");
    CHECK(body.Str("/messages/1/content") == prompt);
  }

  SECTION("chat with max_tokens: cut short, finish_reason length") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--max-tokens", "3"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3");
    CHECK(r.json.Str("/finish_reason") == "length");
  }

  SECTION("chat-stream with include_usage: every token chunk, then usage") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat-stream", "--include-usage", "--prompt", prompt,
                                    "--header", "x-mock-tokens: 7"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3 tok4 tok5 tok6 tok7");
    CHECK(r.json.Str("/finish_reason") == "stop");
    // role chunk + 7 token chunks + finish chunk + usage chunk ([DONE] is not a chunk).
    CHECK(r.json.Int("/chunks") == 1 + 7 + 1 + 1);
    CHECK(r.json.Int("/usage/completion_tokens") == 7);
    CHECK(r.json.Int("/usage/prompt_tokens") == Estimate(prompt));
    CheckMockUsage(mock, "openai", 1, Estimate(prompt), 7);
    Json body = Json::Parse(MockJson(mock, "/_mock/requests").Str("/requests/0/body"));
    CHECK(body.Bool("/stream"));
    CHECK(body.Bool("/stream_options/include_usage"));
  }

  SECTION("chat-stream without include_usage: no usage, and the mock counted none") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat-stream", "--header", "x-mock-tokens: 2"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2");
    CHECK(r.json.Raw("/usage") == "null");
    CheckMockUsage(mock, "openai", 1, 0, 0);
  }

  SECTION("stop sequence") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--stop", "tok4"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3 ");
    CHECK(r.json.Str("/finish_reason") == "stop");
    CHECK(r.json.Int("/usage/completion_tokens") == 4);
  }

  SECTION("tool call, whole and streamed") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--tool", "lookup", "--tool", "get_weather",
                                    "--header", "x-mock-tool-call: get_weather"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/finish_reason") == "tool_calls");
    CHECK(r.json.Raw("/content") == "null");
    CHECK(r.json.Str("/tool_calls/0/name") == "get_weather");
    CHECK(r.json.Str("/tool_calls/0/input/city") == "mock");
    CHECK(r.json.Int("/tool_calls/0/input/days") == 1);
    CHECK(r.json.Int("/usage/completion_tokens") ==
          Estimate(r.json.Str("/tool_calls/0/arguments")));

    // Header values are ASCII: the arguments carry non-ASCII as a \u escape.
    const std::string args = R"(x-mock-tool-args: {"city":"Z\u00fcrich \"Altstadt\""})";
    SdkResult s = sdk->OpenAi(with({"--op", "chat-stream", "--include-usage", "--tool", "lookup",
                                    "--tool-choice", "required", "--header", args}));
    REQUIRE_SDK_OK(s);
    CHECK(s.json.Str("/finish_reason") == "tool_calls");
    CHECK(s.json.Str("/tool_calls/0/name") == "lookup");
    CHECK(s.json.Str("/tool_calls/0/input/city") == "Zürich \"Altstadt\"");
    CheckMockUsage(mock, "openai", 2,
                   r.json.Int("/usage/prompt_tokens") + s.json.Int("/usage/prompt_tokens"),
                   r.json.Int("/usage/completion_tokens") +
                       s.json.Int("/usage/completion_tokens"));
  }

  SECTION("embeddings: the SDK's base64 vectors decode to unit vectors") {
    SdkResult r = sdk->OpenAi(with({"--op", "embeddings", "--input", "first input",
                                    "--input", "second", "--dimensions", "12"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Int("/count") == 2);
    CHECK(r.json.Int("/dimensions/0") == 12);
    CHECK(std::abs(Number(r.json, "/norms/0") - 1.0) < 1e-5);
    CHECK(std::abs(Number(r.json, "/norms/1") - 1.0) < 1e-5);
    CHECK(r.json.Int("/usage/prompt_tokens") == Estimate("first input") + Estimate("second"));
    CheckMockUsage(mock, "openai", 1, r.json.Int("/usage/prompt_tokens"), 0);
    Json body = Json::Parse(MockJson(mock, "/_mock/requests").Str("/requests/0/body"));
    CHECK(body.Str("/encoding_format") == "base64");
  }

  SECTION("models") {
    SdkResult r = sdk->OpenAi(with({"--op", "models"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Size("/models") >= 2);
    CHECK(r.json.Raw("/models").find("\"mock-gpt-4o-mini\"") != std::string::npos);
  }

  SECTION("a wrong key is a 401 in OpenAI's shape, and the key reached the mock as sent") {
    SdkResult r = sdk->OpenAi({"--base-url", mock.Url() + "/v1", "--api-key", "sk-wrong",
                               "--op", "chat"});
    INFO(r.log);
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.json.Bool("/ok", true));
    CHECK(r.json.Int("/status") == 401);
    CHECK(r.json.Str("/error/code") == "invalid_api_key");
    Json log = MockJson(mock, "/_mock/requests");
    CHECK(log.Int("/requests/0/status") == 401);
    CHECK(log.Str("/requests/0/headers/authorization") == "Bearer sk-wrong");
    CheckMockUsage(mock, "openai", 1, 0, 0);
  }

  SECTION("an injected 429 reaches the SDK once (no retries) with Retry-After") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--header", "x-mock-status: 429",
                                    "--header", "x-mock-retry-after: 2"}));
    INFO(r.log);
    CHECK(r.exit_code == 1);
    CHECK(r.json.Int("/status") == 429);
    CHECK(r.json.Str("/error/type") == "rate_limit_error");
    CheckMockUsage(mock, "openai", 1, 0, 0);
  }
}

TEST_CASE("openai SDK as AzureOpenAI against the mock's deployment URLs", "[sdk][mock]") {
  std::optional<SdkClients> sdk = SdkClients::Find();
  if (!sdk) return;
  MockLlm mock = StartKeyedMock();
  const std::vector<std::string> azure{"--base-url", mock.Url(), "--api-key", kAzureKey,
                                       "--azure-api-version", "2024-10-21"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = azure;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };

  SECTION("chat: the deployment names the model; api-key carries the key") {
    SdkResult r = sdk->OpenAi(with({"--op", "chat", "--model", "prod-gpt", "--header",
                                    "x-mock-tokens: 3"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/model") == "prod-gpt");
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3");
    Json log = MockJson(mock, "/_mock/requests");
    INFO(log.text());
    CHECK(log.Str("/requests/0/uri") ==
          "/openai/deployments/prod-gpt/chat/completions?api-version=2024-10-21");
    CHECK(log.Str("/requests/0/api") == "azure");
    CHECK(log.Str("/requests/0/headers/api-key") == kAzureKey);
    CHECK_FALSE(log.Has("/requests/0/headers/authorization"));
    CheckMockUsage(mock, "azure", 1, r.json.Int("/usage/prompt_tokens"), 3);
  }

  SECTION("streamed chat and embeddings") {
    SdkResult s = sdk->OpenAi(with({"--op", "chat-stream", "--include-usage",
                                    "--azure-deployment", "dep-stream", "--header",
                                    "x-mock-tokens: 4"}));
    REQUIRE_SDK_OK(s);
    CHECK(s.json.Str("/model") == "dep-stream");
    CHECK(s.json.Str("/content") == "tok1 tok2 tok3 tok4");
    SdkResult e = sdk->OpenAi(with({"--op", "embeddings", "--model", "dep-embed"}));
    REQUIRE_SDK_OK(e);
    CHECK(e.json.Str("/model") == "dep-embed");
    CheckMockUsage(mock, "azure", 2,
                   s.json.Int("/usage/prompt_tokens") + e.json.Int("/usage/prompt_tokens"), 4);
  }

  SECTION("a wrong key is a 401") {
    SdkResult r = sdk->OpenAi({"--base-url", mock.Url(), "--api-key", "nope",
                               "--azure-api-version", "2024-10-21", "--op", "chat"});
    INFO(r.log);
    CHECK(r.json.Int("/status") == 401);
  }
}

TEST_CASE("anthropic SDK against the mock: messages, streams, stop sequences, tools, errors",
          "[sdk][mock]") {
  std::optional<SdkClients> sdk = SdkClients::Find();
  if (!sdk) return;
  MockLlm mock = StartKeyedMock();
  const std::vector<std::string> base{"--base-url", mock.Url(), "--api-key", kAnthropicKey};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::string system = "Be concise.";
  const std::string prompt = "Name sixteen tokens.";

  SECTION("messages: text, end_turn, usage; the key and anthropic-version arrived") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--model", "mock-claude-x",
                                       "--system", system, "--prompt", prompt}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/model") == "mock-claude-x");
    CHECK(r.json.Str("/content") ==
          "tok1 tok2 tok3 tok4 tok5 tok6 tok7 tok8 tok9 tok10 tok11 tok12 tok13 tok14 tok15 "
          "tok16");
    CHECK(r.json.Str("/stop_reason") == "end_turn");
    CHECK(r.json.Int("/usage/input_tokens") == Estimate(system) + Estimate(prompt));
    CHECK(r.json.Int("/usage/output_tokens") == 16);
    CheckMockUsage(mock, "anthropic", 1, r.json.Int("/usage/input_tokens"), 16);
    Json log = MockJson(mock, "/_mock/requests");
    INFO(log.text());
    CHECK(log.Str("/requests/0/uri") == "/v1/messages");
    CHECK(log.Str("/requests/0/api") == "anthropic");
    // @anthropic-ai/sdk 1.x sends its API key as a bearer token.
    CHECK(log.Str("/requests/0/headers/authorization") == std::string("Bearer ") + kAnthropicKey);
    CHECK(log.Str("/requests/0/headers/anthropic-version").size() >= 10);
    Json body = Json::Parse(log.Str("/requests/0/body"));
    CHECK(body.Str("/system") == system);
    CHECK(body.Int("/max_tokens") == 1024);
  }

  SECTION("the key in x-api-key works too") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--key-header", "x-api-key"}));
    REQUIRE_SDK_OK(r);
    Json log = MockJson(mock, "/_mock/requests");
    CHECK(log.Str("/requests/0/headers/x-api-key") == kAnthropicKey);
    CHECK_FALSE(log.Has("/requests/0/headers/authorization"));
  }

  SECTION("max_tokens shortens: stop_reason max_tokens") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--max-tokens", "3"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3");
    CHECK(r.json.Str("/stop_reason") == "max_tokens");
    CHECK(r.json.Int("/usage/output_tokens") == 3);
  }

  SECTION("messages-stream: the SDK rebuilds the message from the events") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages-stream", "--system", system,
                                       "--header", "x-mock-tokens: 6"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 tok3 tok4 tok5 tok6");
    CHECK(r.json.Str("/streamed_text") == r.json.Str("/content"));
    CHECK(r.json.Str("/stop_reason") == "end_turn");
    CHECK(r.json.Int("/events/message_start") == 1);
    CHECK(r.json.Int("/events/content_block_start") == 1);
    CHECK(r.json.Int("/events/content_block_delta") == 6);
    CHECK(r.json.Int("/events/content_block_stop") == 1);
    CHECK(r.json.Int("/events/message_delta") == 1);
    CHECK(r.json.Int("/events/message_stop") == 1);
    CHECK(r.json.Int("/usage/output_tokens") == 6);
    CheckMockUsage(mock, "anthropic", 1, r.json.Int("/usage/input_tokens"), 6);
  }

  SECTION("stop sequences, whole and streamed") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--stop", "tok3"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/content") == "tok1 tok2 ");
    CHECK(r.json.Str("/stop_reason") == "stop_sequence");
    CHECK(r.json.Str("/stop_sequence") == "tok3");
    SdkResult s = sdk->Anthropic(with({"--op", "messages-stream", "--stop", "tok3"}));
    REQUIRE_SDK_OK(s);
    CHECK(s.json.Str("/content") == r.json.Str("/content"));
    CHECK(s.json.Str("/stop_sequence") == "tok3");
    CHECK(s.json.Int("/usage/output_tokens") == r.json.Int("/usage/output_tokens"));
  }

  SECTION("tool use, whole and streamed") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--tool", "get_weather", "--header",
                                       "x-mock-tool-call: get_weather"}));
    REQUIRE_SDK_OK(r);
    CHECK(r.json.Str("/stop_reason") == "tool_use");
    CHECK(r.json.Str("/tool_use/0/name") == "get_weather");
    CHECK(r.json.Str("/tool_use/0/input/city") == "mock");
    CHECK(r.json.Int("/tool_use/0/input/days") == 1);
    SdkResult s = sdk->Anthropic(with({"--op", "messages-stream", "--tool", "lookup", "--tool",
                                       "get_weather", "--tool-choice", "get_weather"}));
    REQUIRE_SDK_OK(s);
    CHECK(s.json.Str("/stop_reason") == "tool_use");
    CHECK(s.json.Str("/tool_use/0/name") == "get_weather");
    CHECK(s.json.Str("/tool_use/0/input/city") == "mock");
    CHECK(s.json.Int("/usage/output_tokens") == r.json.Int("/usage/output_tokens"));
    CheckMockUsage(mock, "anthropic", 2,
                   r.json.Int("/usage/input_tokens") + s.json.Int("/usage/input_tokens"),
                   r.json.Int("/usage/output_tokens") + s.json.Int("/usage/output_tokens"));
  }

  SECTION("errors in Anthropic's shape: injected 429, wrong key") {
    SdkResult r = sdk->Anthropic(with({"--op", "messages", "--header", "x-mock-status: 429"}));
    INFO(r.log);
    CHECK(r.exit_code == 1);
    CHECK(r.json.Int("/status") == 429);
    CHECK(r.json.Str("/error/type") == "error");
    CHECK(r.json.Str("/error/error/type") == "rate_limit_error");
    SdkResult k = sdk->Anthropic({"--base-url", mock.Url(), "--api-key", "wrong", "--op",
                                  "messages-stream"});
    INFO(k.log);
    CHECK(k.json.Int("/status") == 401);
    CHECK(k.json.Str("/error/error/type") == "authentication_error");
    CheckMockUsage(mock, "anthropic", 2, 0, 0);
  }

  SECTION("a stream dropped after message_start: an error, and only input usage was sent") {
    // message_start, content_block_start, ping, then the connection is cut.
    SdkResult r = sdk->Anthropic(with({"--op", "messages-stream", "--prompt", prompt,
                                       "--header", "x-mock-drop-after: 3"}));
    INFO(r.log);
    CHECK(r.exit_code == 1);
    CHECK_FALSE(r.json.Bool("/ok", true));
    CheckMockUsage(mock, "anthropic", 1, Estimate(prompt), 0);
  }
}

}  // namespace
}  // namespace sluice::testing
