#include "tools/mock-llm/endpoint_table.h"

namespace sluice::mock_llm {

bool MatchPathPattern(std::string_view pattern, std::string_view path, PathCaptures* captures) {
  captures->count = 0;
  size_t p = 0, q = 0;
  while (p < pattern.size() && q < path.size()) {
    if (pattern[p] == '*') {
      size_t end = path.find('/', q);
      if (end == std::string_view::npos) end = path.size();
      if (end == q || captures->count == kMaxPathCaptures) return false;
      captures->values[captures->count++] = path.substr(q, end - q);
      q = end;
      ++p;
      continue;
    }
    if (pattern[p] != path[q]) return false;
    ++p;
    ++q;
  }
  return p == pattern.size() && q == path.size();
}

}  // namespace sluice::mock_llm
