#pragma once
// The two API dialects the gateway speaks and translates between.
#include <string_view>

namespace sluice::ai {

enum class WireFormat {
  kOpenAI,     // OpenAI chat.completions (also Azure OpenAI and OpenAI-compatible servers)
  kAnthropic,  // Anthropic Messages
};

inline std::string_view WireFormatName(WireFormat f) {
  return f == WireFormat::kOpenAI ? "openai" : "anthropic";
}

}  // namespace sluice::ai
