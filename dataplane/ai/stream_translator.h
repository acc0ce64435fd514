#pragma once
// Streaming chat answers: a stateful object per response, fed the provider's text/event-stream
// body as it arrives (split anywhere) and producing the client's event stream. Every kind counts
// usage on the way:
//   OpenAI -> OpenAI, Anthropic -> Anthropic: pass-through observers. Events go out as they came
//     (re-framed as plain "event:" / "data:" lines) and are rewritten only
//     where needed: "model" spliced in, and OpenAI's usage-only chunk removed when the client did
//     not ask for stream_options.include_usage (the gateway always asks the provider for it).
//   OpenAI -> Anthropic, Anthropic -> OpenAI: full translators (see docs/ai-translation.md).
// An event is forwarded as soon as its terminating blank line has arrived, and comments (keep-
// alives) as soon as their line has; nothing else is buffered, so the stream's pacing is kept.
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "dataplane/ai/response_options.h"
#include "dataplane/ai/usage.h"
#include "dataplane/ai/wire_format.h"

namespace sluice::ai {

class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;

  // Feeds the next bytes of the provider's body and appends what the client should receive to
  // `out` (possibly nothing). Fails only if an event exceeds the size limit; the caller then ends
  // the stream.
  virtual absl::Status Feed(std::string_view upstream, std::string* out) = 0;
  // The provider's body ended. Translators append what closes the client's stream properly if
  // the provider's end marker was missing but the answer was complete, or an error event if the
  // answer was cut short. Observers append nothing.
  virtual void Finish(std::string* out) = 0;

  // Usage the provider reported, with any missing part estimated (Usage::estimated).
  virtual Usage usage() const = 0;
  // Generated content has been seen (for time to first token).
  virtual bool first_token_seen() const = 0;
  // The provider's stream reached its proper end ([DONE], message_stop).
  virtual bool complete() const = 0;
};

// `provider` is the provider's wire format, `client` the client's.
std::unique_ptr<StreamTranslator> MakeStreamTranslator(WireFormat provider, WireFormat client,
                                                       ResponseOptions options);

}  // namespace sluice::ai
