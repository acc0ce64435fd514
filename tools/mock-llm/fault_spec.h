#pragma once
// Per-request behaviour chosen by x-mock-* request headers. Unknown x-mock-* headers are ignored
// (they still show up in the echo); a known header with a bad value is a 400, so a typo in a
// test's number fails loudly instead of silently testing the happy path.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace sluice::mock_llm {

inline constexpr int64_t kMaxDelayMs = 600'000;
inline constexpr int64_t kMaxCompletionTokens = 1'000'000;
inline constexpr size_t kMaxToolArgsBytes = 8192;

struct FaultSpec {
  std::optional<int> status;           // x-mock-status: 200..599, answer with an error body
  std::string retry_after;             // x-mock-retry-after: copied into Retry-After
  int64_t delay_ms = 0;                // x-mock-delay-ms: wait before the response headers
  int64_t chunk_delay_ms = 0;          // x-mock-token-delay-ms: wait between streamed chunks
  // x-mock-drop-after: N. Streams: close the connection after N body chunks (for chat, SSE
  // events counted from the role chunk; [DONE] and usage count too), without the terminating
  // chunk. Whole bodies: close without sending any response.
  std::optional<int64_t> drop_after;
  std::optional<int64_t> tokens;       // x-mock-tokens: completion length
  bool echo_chunked = false;           // x-mock-echo-chunked: 1 → echo in several chunks
  // x-mock-tool-call: answer with a call to this tool (see tool_call.h); 1-64 of [A-Za-z0-9_-].
  std::string tool_call;
  // x-mock-tool-args: the call's arguments, a JSON object (checked where it is used).
  std::string tool_args;
};

// True for header names this module may care about ("x-mock-" prefix, any case), so callers can
// skip the rest cheaply.
bool IsMockHeader(std::string_view name);

// Applies one request header to `spec`. Names are matched case-insensitively; the last of
// repeated headers wins.
absl::Status ApplyFaultHeader(std::string_view name, std::string_view value, FaultSpec* spec);

}  // namespace sluice::mock_llm
