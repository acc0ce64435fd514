#pragma once
// Errors in the client's format: a provider's error body (OpenAI, Azure, Anthropic, or the looser
// shapes of OpenAI-compatible servers) re-rendered for the client's SDK, and errors the gateway
// raises itself rendered in either format.
#include <string>
#include <string_view>

#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

struct ProviderError {
  std::string message;
  std::string type;  // the provider's error type ("rate_limit_error"), may be empty
  std::string code;  // the provider's error code ("context_length_exceeded"), may be empty
  // The prompt did not fit the model's context window: a reason to fall back to another model.
  bool context_window_exceeded = false;
};

// Never fails: a body it cannot read yields a message naming the HTTP status.
ProviderError ParseProviderError(int status, std::string_view body);

struct ClientError {
  int status = 0;
  std::string body;  // JSON
};

// A body already in the client's format passes unchanged. The status is kept, except that
// Anthropic's 529 (overloaded) reaches OpenAI clients as 503.
ClientError TranslateProviderError(WireFormat client, int status, std::string_view body);

// OpenAI: {"error":{"message","type","param":null,"code":code}};
// Anthropic: {"type":"error","error":{"type","message","code":code}}. `code` is the gateway's
// stable error code ("model_not_allowed"); the type follows from the status.
std::string RenderGatewayError(WireFormat client, int status, std::string_view code,
                               std::string_view message);

// The error types each format uses for an HTTP status.
std::string_view OpenAIErrorType(int status);
std::string_view AnthropicErrorType(int status);

}  // namespace sluice::ai
