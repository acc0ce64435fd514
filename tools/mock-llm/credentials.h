#pragma once
// Provider credentials the mock demands (--openai-key, --anthropic-key, --azure-key), checked the
// way each provider checks them, so a test sees whether a gateway injected the right key in the
// right header:
//   OpenAI     Authorization: Bearer KEY
//   Anthropic  x-api-key: KEY, or (when there is no x-api-key) Authorization: Bearer KEY, which
//              is how @anthropic-ai/sdk 1.x sends an API key; and anthropic-version, always
//              required, as by the real API
//   Azure      api-key: KEY
// An empty key accepts any credentials, or none.
#include <optional>
#include <string>
#include <string_view>

#include "tools/mock-llm/mock_stats.h"  // ProviderApi

namespace sluice::mock_llm {

struct ProviderKeys {
  std::string openai;
  std::string anthropic;
  std::string azure;
};

// The request headers that carry credentials; nullopt when absent.
struct CredentialHeaders {
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> x_api_key;
  std::optional<std::string_view> anthropic_version;
  std::optional<std::string_view> api_key;
};

struct CredentialFailure {
  int status;            // 401, or 400 for a missing anthropic-version
  std::string code;      // OpenAI-shape "code" (invalid_api_key, missing_api_key, ...)
  std::string message;   // never quotes the key that was sent
};

std::optional<CredentialFailure> CheckCredentials(ProviderApi api, const ProviderKeys& keys,
                                                  const CredentialHeaders& headers);

}  // namespace sluice::mock_llm
