#include "dataplane/ai/json_splice.h"

#include <algorithm>
#include <cstring>

namespace sluice::ai {

namespace {
constexpr size_t kFail = std::string_view::npos;

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// `i` is at the opening quote; returns the index after the closing one.
size_t SkipString(std::string_view s, size_t i) {
  ++i;
  while (i < s.size()) {
    const void* q = std::memchr(s.data() + i, '"', s.size() - i);
    if (q == nullptr) return kFail;
    size_t quote = static_cast<const char*>(q) - s.data();
    // A quote preceded by an odd run of backslashes is escaped.
    size_t backslashes = 0;
    while (quote - backslashes > i && s[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;
    i = quote + 1;
  }
  return kFail;
}

size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return kFail;
  char c = s[i];
  if (c == '"') return SkipString(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      c = s[i];
      if (c == '"') {
        i = SkipString(s, i);
        if (i == kFail) return kFail;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return kFail;
  }
  size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r') {
    ++i;
  }
  return i == start ? kFail : i;
}

// `i` is at an object's '{'; finds the value of `key` among its members.
std::optional<JsonSpan> FindMember(std::string_view s, size_t i, std::string_view key) {
  ++i;
  while (true) {
    i = SkipSpace(s, i);
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    size_t key_end = SkipString(s, i);
    if (key_end == kFail) return std::nullopt;
    std::string_view name = s.substr(i + 1, key_end - i - 2);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    i = SkipSpace(s, i + 1);
    size_t value_end = SkipValue(s, i);
    if (value_end == kFail) return std::nullopt;
    if (name == key) return JsonSpan{i, value_end};
    i = SkipSpace(s, value_end);
    if (i >= s.size() || s[i] != ',') return std::nullopt;
    ++i;
  }
}
}  // namespace

std::optional<JsonSpan> FindJsonValue(std::string_view json,
                                      std::initializer_list<std::string_view> path) {
  size_t i = SkipSpace(json, 0);
  std::optional<JsonSpan> span;
  for (std::string_view key : path) {
    if (i >= json.size() || json[i] != '{') return std::nullopt;
    span = FindMember(json, i, key);
    if (!span) return std::nullopt;
    i = span->begin;
  }
  return span;
}

void AppendWithEdits(std::string_view json, std::span<const JsonEdit> edits, std::string* out) {
  const JsonEdit* order[8];
  size_t n = std::min(edits.size(), std::size(order));
  for (size_t k = 0; k < n; ++k) order[k] = &edits[k];
  std::sort(order, order + n,
            [](const JsonEdit* a, const JsonEdit* b) { return a->span.begin < b->span.begin; });
  size_t pos = 0;
  for (size_t k = 0; k < n; ++k) {
    out->append(json.substr(pos, order[k]->span.begin - pos));
    out->append(order[k]->replacement);
    pos = order[k]->span.end;
  }
  out->append(json.substr(pos));
}

}  // namespace sluice::ai
