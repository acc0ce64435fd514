#pragma once
// Where and how to call one LLM provider: the plain form of the config's Provider entity that the
// AI path works with (the snapshot builder maps the proto onto it once).
#include <string>
#include <utility>
#include <vector>

#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

enum class ProviderKind { kOpenAI, kAzureOpenAI, kAnthropic, kOpenAICompatible };

inline WireFormat ProviderWireFormat(ProviderKind kind) {
  return kind == ProviderKind::kAnthropic ? WireFormat::kAnthropic : WireFormat::kOpenAI;
}

struct ProviderEndpoint {
  ProviderKind kind = ProviderKind::kOpenAI;
  // scheme://host[:port][/path]. OpenAI and OpenAI-compatible: the path is the API root the
  // operations are joined to ("https://api.openai.com/v1", "http://host:11434/v1"; an empty path
  // means "/v1"). Azure: the resource ("https://myres.openai.azure.com"). Anthropic: the host
  // ("https://api.anthropic.com"; a trailing "/v1" is accepted too).
  std::string base_url;
  std::string secret;             // the provider API key, injected as the provider expects
  std::string azure_api_version;  // empty: kDefaultAzureApiVersion
  std::string anthropic_version;  // empty: kDefaultAnthropicVersion
  // Headers set on every upstream request, after (and over) the ones the gateway sets.
  std::vector<std::pair<std::string, std::string>> header_overrides;
};

inline constexpr char kDefaultAzureApiVersion[] = "2024-10-21";
inline constexpr char kDefaultAnthropicVersion[] = "2023-06-01";

}  // namespace sluice::ai
