#include "tools/mock-llm/credentials.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace sluice::mock_llm {
namespace {

std::optional<CredentialFailure> CheckKey(const std::string& expected,
                                          std::optional<std::string_view> sent,
                                          std::string_view header) {
  if (expected.empty()) return std::nullopt;
  if (!sent.has_value() || sent->empty()) {
    return CredentialFailure{401, "missing_api_key",
                             "sluice-mock-llm: no API key provided (expected the " +
                                 std::string(header) + " header)"};
  }
  if (*sent != expected) {
    return CredentialFailure{401, "invalid_api_key",
                             "sluice-mock-llm: incorrect API key provided in the " +
                                 std::string(header) + " header"};
  }
  return std::nullopt;
}

// The token of "Bearer TOKEN" (scheme in any case); nullopt when there is no header; an error
// for another scheme.
absl::StatusOr<std::optional<std::string_view>> BearerToken(
    std::optional<std::string_view> authorization) {
  if (!authorization.has_value()) return std::optional<std::string_view>();
  const absl::string_view value = absl::StripAsciiWhitespace(Sv(*authorization));
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::InvalidArgumentError("sluice-mock-llm: Authorization must be 'Bearer <key>'");
  }
  const absl::string_view rest = absl::StripLeadingAsciiWhitespace(value.substr(7));
  return std::optional<std::string_view>(std::string_view(rest.data(), rest.size()));
}

}  // namespace

std::optional<CredentialFailure> CheckCredentials(ProviderApi api, const ProviderKeys& keys,
                                                  const CredentialHeaders& headers) {
  switch (api) {
    case ProviderApi::kOpenAi: {
      if (keys.openai.empty()) return std::nullopt;
      absl::StatusOr<std::optional<std::string_view>> token = BearerToken(headers.authorization);
      if (!token.ok()) {
        return CredentialFailure{401, "invalid_api_key", std::string(token.status().message())};
      }
      return CheckKey(keys.openai, *token, "Authorization: Bearer");
    }
    case ProviderApi::kAnthropic: {
      if (!headers.anthropic_version.has_value() || headers.anthropic_version->empty()) {
        return CredentialFailure{400, "missing_anthropic_version",
                                 "anthropic-version: header is required"};
      }
      if (keys.anthropic.empty()) return std::nullopt;
      if (headers.x_api_key.has_value()) {
        return CheckKey(keys.anthropic, headers.x_api_key, "x-api-key");
      }
      absl::StatusOr<std::optional<std::string_view>> token = BearerToken(headers.authorization);
      if (!token.ok()) {
        return CredentialFailure{401, "invalid_api_key", std::string(token.status().message())};
      }
      return CheckKey(keys.anthropic, *token, "x-api-key or Authorization: Bearer");
    }
    case ProviderApi::kAzure:
      return CheckKey(keys.azure, headers.api_key, "api-key");
  }
  return std::nullopt;
}

}  // namespace sluice::mock_llm
