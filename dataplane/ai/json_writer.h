#pragma once
// A JSON writer that appends straight into a caller's std::string: no DOM, no intermediate
// buffers, commas placed automatically. The AI path writes every translated body and streamed
// chunk with it, so it stays small and allocation-free beyond the output string's own growth.
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::ai {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next value belongs to `key`.
  JsonWriter& Key(std::string_view key);

  // Ill-formed UTF-8 becomes U+FFFD, so the output is valid JSON whatever the input.
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Shortest text that reads back as the same double (NaN and infinities become null).
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A value that is already JSON text (trusted: not checked).
  JsonWriter& Raw(std::string_view json);

  std::string* out() { return out_; }

 private:
  void BeforeValue() {
    if (need_comma_) out_->push_back(',');
    need_comma_ = true;
  }

  std::string* out_;
  bool need_comma_ = false;
};

// Appends `s` as a JSON string literal (with quotes).
void AppendJsonQuoted(std::string* out, std::string_view s);

}  // namespace sluice::ai
