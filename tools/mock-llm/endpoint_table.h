#pragma once
// Path patterns for the mock's endpoint table. A pattern is a literal path in which a segment
// written "*" matches any one non-empty path segment, e.g. "/v1/models/*" or, for Azure,
// "/openai/deployments/*/chat/completions".
#include <array>
#include <cstddef>
#include <string_view>

namespace sluice::mock_llm {

inline constexpr size_t kMaxPathCaptures = 4;

struct PathCaptures {
  std::array<std::string_view, kMaxPathCaptures> values;  // the "*" segments, in order
  size_t count = 0;
};

// True when `path` (no query) matches `pattern` exactly, segment by segment.
bool MatchPathPattern(std::string_view pattern, std::string_view path, PathCaptures* captures);

}  // namespace sluice::mock_llm
