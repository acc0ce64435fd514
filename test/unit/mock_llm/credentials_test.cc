#include "tools/mock-llm/credentials.h"

#include <catch2/catch.hpp>

namespace sluice::mock_llm {
namespace {

TEST_CASE("no key configured: any or no credentials pass", "[mock_llm]") {
  CredentialHeaders none;
  CHECK_FALSE(CheckCredentials(ProviderApi::kOpenAi, {}, none).has_value());
  CHECK_FALSE(CheckCredentials(ProviderApi::kAzure, {}, none).has_value());
  CredentialHeaders some;
  some.authorization = "Basic abc";
  some.api_key = "whatever";
  CHECK_FALSE(CheckCredentials(ProviderApi::kOpenAi, {}, some).has_value());
  CHECK_FALSE(CheckCredentials(ProviderApi::kAzure, {}, some).has_value());
}

TEST_CASE("OpenAI wants Authorization: Bearer KEY", "[mock_llm]") {
  const ProviderKeys keys{"sk-right", "", ""};
  CredentialHeaders h;
  h.authorization = "Bearer sk-right";
  CHECK_FALSE(CheckCredentials(ProviderApi::kOpenAi, keys, h).has_value());
  h.authorization = "bearer   sk-right ";
  CHECK_FALSE(CheckCredentials(ProviderApi::kOpenAi, keys, h).has_value());
  h.authorization = "Bearer sk-wrong";
  auto failure = CheckCredentials(ProviderApi::kOpenAi, keys, h);
  REQUIRE(failure.has_value());
  CHECK(failure->status == 401);
  CHECK(failure->code == "invalid_api_key");
  CHECK(failure->message.find("sk-wrong") == std::string::npos);
  h.authorization = "sk-right";
  CHECK(CheckCredentials(ProviderApi::kOpenAi, keys, h).has_value());
  h.authorization.reset();
  h.api_key = "sk-right";  // the right key in another provider's header is no key at all
  failure = CheckCredentials(ProviderApi::kOpenAi, keys, h);
  REQUIRE(failure.has_value());
  CHECK(failure->code == "missing_api_key");
}

TEST_CASE("Anthropic wants x-api-key (or a bearer key) and always anthropic-version",
          "[mock_llm]") {
  const ProviderKeys keys{"", "ak", ""};
  CredentialHeaders h;
  h.x_api_key = "ak";
  auto failure = CheckCredentials(ProviderApi::kAnthropic, keys, h);
  REQUIRE(failure.has_value());
  CHECK(failure->status == 400);
  CHECK(CheckCredentials(ProviderApi::kAnthropic, {}, h).has_value());
  h.anthropic_version = "2023-06-01";
  CHECK_FALSE(CheckCredentials(ProviderApi::kAnthropic, keys, h).has_value());
  h.x_api_key = "nope";
  failure = CheckCredentials(ProviderApi::kAnthropic, keys, h);
  REQUIRE(failure.has_value());
  CHECK(failure->status == 401);
  h.authorization = "Bearer ak";  // x-api-key, when present, is the one that counts
  CHECK(CheckCredentials(ProviderApi::kAnthropic, keys, h).has_value());
  // @anthropic-ai/sdk 1.x sends its API key as a bearer token.
  h.x_api_key.reset();
  CHECK_FALSE(CheckCredentials(ProviderApi::kAnthropic, keys, h).has_value());
  h.authorization = "Bearer nope";
  CHECK(CheckCredentials(ProviderApi::kAnthropic, keys, h).has_value());
  h.authorization.reset();
  failure = CheckCredentials(ProviderApi::kAnthropic, keys, h);
  REQUIRE(failure.has_value());
  CHECK(failure->code == "missing_api_key");
}

TEST_CASE("Azure wants api-key", "[mock_llm]") {
  const ProviderKeys keys{"", "", "az"};
  CredentialHeaders h;
  h.authorization = "Bearer az";
  CHECK(CheckCredentials(ProviderApi::kAzure, keys, h).has_value());
  h.api_key = "az";
  CHECK_FALSE(CheckCredentials(ProviderApi::kAzure, keys, h).has_value());
  // Keys are per API: the Azure key does not open the OpenAI endpoints.
  CHECK(CheckCredentials(ProviderApi::kOpenAi, ProviderKeys{"other", "", "az"}, h).has_value());
}

}  // namespace
}  // namespace sluice::mock_llm
