#include "dataplane/ai/json_writer.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "common/json.h"

namespace sluice::ai {

namespace {
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Whether any byte of `v` is below 0x20, '"' or '\\' (bytes >= 0x80 never count: they are
// UTF-8, checked separately). The usual SWAR tests, exact for "any byte".
bool NeedsEscape(uint64_t v) {
  uint64_t below_space = (v - 0x20 * kOnes) & ~v & kHighBits;
  uint64_t q = v ^ ('"' * kOnes);
  uint64_t quote = (q - kOnes) & ~q & kHighBits;
  uint64_t b = v ^ ('\\' * kOnes);
  uint64_t backslash = (b - kOnes) & ~b & kHighBits;
  return (below_space | quote | backslash) != 0;
}

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

bool IsAscii(std::string_view s) {
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    high |= v;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & kHighBits) == 0;
}

// Index of the first byte at or after `i` that needs escaping, or s.size().
size_t NextEscape(std::string_view s, size_t i) {
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    if (NeedsEscape(v)) break;
  }
  for (; i < s.size(); ++i) {
    if (NeedsEscape(static_cast<unsigned char>(s[i]))) return i;
  }
  return i;
}
}  // namespace

void AppendJsonQuoted(std::string* out, std::string_view s) {
  // Text from simdjson is valid UTF-8 already; checking again (only non-ASCII text) costs little
  // next to the copy, and anything else takes the slow path that replaces ill-formed bytes.
  if (!IsAscii(s) && !simdjson::validate_utf8(s.data(), s.size())) {
    AppendJsonString(out, s);
    return;
  }
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t i = 0;
  while (true) {
    size_t next = NextEscape(s, i);
    out->append(s.data() + i, next - i);
    if (next == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[next]);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(escape, sizeof escape);
      }
    }
    i = next + 1;
  }
  out->push_back('"');
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_->push_back('}');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_->push_back(']');
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (need_comma_) out_->push_back(',');
  AppendJsonQuoted(out_, key);
  out_->push_back(':');
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonQuoted(out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out_->append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out_->append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_->append("null");
    return *this;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out_->append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
  return *this;
}

}  // namespace sluice::ai
