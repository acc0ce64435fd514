#include "dataplane/ai/error_translator.h"

#include <catch2/catch.hpp>

#include "test/unit/dataplane/ai/golden.h"

namespace sluice::ai {
namespace {

using testing::JsonDifference;

TEST_CASE("Gateway errors render in either client format with their stable code", "[ai][errors]") {
  CHECK(JsonDifference(R"({"error":{"message":"model 'gpt-5' is not allowed for consumer alice",
                           "type":"permission_error","param":null,"code":"model_not_allowed"}})",
                       RenderGatewayError(WireFormat::kOpenAI, 403, "model_not_allowed",
                                          "model 'gpt-5' is not allowed for consumer alice")) ==
        "");
  CHECK(JsonDifference(R"({"type":"error","error":{"type":"rate_limit_error",
                           "message":"token quota exceeded","code":"quota_exceeded"}})",
                       RenderGatewayError(WireFormat::kAnthropic, 429, "quota_exceeded",
                                          "token quota exceeded")) == "");
  // Whatever the message holds, the body stays JSON.
  CHECK(JsonDifference(R"({"error":{"message":"bad \"x\" \ufffd","type":"invalid_request_error",
                           "param":null,"code":"prompt_blocked"}})",
                       RenderGatewayError(WireFormat::kOpenAI, 400, "prompt_blocked",
                                          "bad \"x\" \xff")) == "");
}

TEST_CASE("Error types follow the status", "[ai][errors]") {
  CHECK(AnthropicErrorType(400) == "invalid_request_error");
  CHECK(AnthropicErrorType(404) == "not_found_error");
  CHECK(AnthropicErrorType(413) == "request_too_large");
  CHECK(AnthropicErrorType(529) == "overloaded_error");
  CHECK(AnthropicErrorType(502) == "api_error");
  CHECK(OpenAIErrorType(401) == "authentication_error");
  CHECK(OpenAIErrorType(422) == "invalid_request_error");
  CHECK(OpenAIErrorType(503) == "server_error");
}

TEST_CASE("Context window overflows are recognised in every provider's wording", "[ai][errors]") {
  CHECK(ParseProviderError(400, R"({"error":{"message":"x","code":"context_length_exceeded"}})")
            .context_window_exceeded);
  CHECK(ParseProviderError(400,
                           R"({"type":"error","error":{"type":"invalid_request_error",)"
                           R"("message":"prompt is too long: 208310 tokens > 200000 maximum"}})")
            .context_window_exceeded);
  CHECK(ParseProviderError(
            400,
            R"({"object":"error","message":"This model's maximum context length is 4096 tokens.",)"
            R"("code":400})")
            .context_window_exceeded);
  // Not a context problem, or not a client error.
  CHECK_FALSE(ParseProviderError(400, R"({"error":{"message":"Invalid 'messages[0].role'"}})")
                  .context_window_exceeded);
  CHECK_FALSE(ParseProviderError(500, R"({"error":{"message":"maximum context length"}})")
                  .context_window_exceeded);
  ProviderError html = ParseProviderError(502, "<html>bad gateway</html>");
  CHECK(html.message == "the provider answered HTTP 502");
  ProviderError azure =
      ParseProviderError(429, R"({"error":{"code":"429","message":"Slow down"}})");
  CHECK(azure.code == "429");
  CHECK(azure.message == "Slow down");
}

}  // namespace
}  // namespace sluice::ai
