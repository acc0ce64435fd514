#pragma once
// Byte-level edits of a JSON document that leave every other byte as it was. The pass-through
// paths (same wire format on both sides) change only "model" or "usage" in a body or chunk;
// splicing those values costs a scan and a copy instead of a parse and a full re-serialization.
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::ai {

struct JsonSpan {
  size_t begin = 0;
  size_t end = 0;  // one past the value's last byte
};

// The raw value at `path` (keys of nested objects, from the root object down), or nullopt if the
// text is not an object holding that path. Keys are compared as written (no escapes decoded).
// Only the objects on the path are scanned in depth; the text is assumed to be valid JSON (the
// callers parse it as well), but malformed text only makes the lookup fail.
std::optional<JsonSpan> FindJsonValue(std::string_view json,
                                      std::initializer_list<std::string_view> path);

// Appends `json` to `out` with byte ranges replaced (at most 8, not overlapping, any order).
struct JsonEdit {
  JsonSpan span;
  std::string_view replacement;
};
void AppendWithEdits(std::string_view json, std::span<const JsonEdit> edits, std::string* out);

}  // namespace sluice::ai
