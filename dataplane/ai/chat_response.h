#pragma once
// Non-streaming chat answers: a provider's complete response body turned into the client's
// format, with the usage it reports (or an estimate, marked so, when it reports none).
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dataplane/ai/response_options.h"
#include "dataplane/ai/usage.h"
#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

struct TranslatedResponse {
  std::string body;
  Usage usage;
};

// `body` is a successful (2xx) chat response in `provider` format; error bodies go through
// TranslateProviderError. With the same format on both sides only "model" is rewritten, byte for
// byte otherwise. Fails (InvalidArgument) if the body is not a chat response, which the caller
// reports as a bad gateway.
absl::StatusOr<TranslatedResponse> TranslateChatResponse(WireFormat provider, WireFormat client,
                                                         std::string_view body,
                                                         const ResponseOptions& options);

// Any other successful AI response (embeddings): "model" rewritten if options.model is set, and
// the usage it reports (prompt tokens only, for embeddings).
absl::StatusOr<TranslatedResponse> PassThroughResponse(WireFormat format, std::string_view body,
                                                       const ResponseOptions& options);

}  // namespace sluice::ai
