#pragma once
// Error bodies in the wire format of the API a request was made to, so a gateway under test sees
// the same shapes a real provider sends.
#include <string>
#include <string_view>

namespace sluice::mock_llm {

enum class ApiDialect {
  kOpenAi,     // {"error":{"message","type","param","code"}}
  kAnthropic,  // {"type":"error","error":{"type","message"}}
};

// The error "type" a provider uses for an HTTP status (invalid_request_error, rate_limit_error...).
std::string_view ErrorTypeForStatus(ApiDialect dialect, int status);

// `code` is only part of the OpenAI shape; Anthropic errors carry the type alone.
std::string ErrorBody(ApiDialect dialect, int status, std::string_view code,
                      std::string_view message);

// Standard reason phrase, or "Status" for codes without one (evhttp needs some text).
const char* ReasonPhrase(int status);

}  // namespace sluice::mock_llm
