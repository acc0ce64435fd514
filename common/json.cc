#include "common/json.h"

#include "absl/strings/str_format.h"

namespace sluice {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append(absl::StrFormat("\\u%04x", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string JsonError(std::string_view code, std::string_view message) {
  std::string out = "{\"code\":";
  AppendJsonString(&out, code);
  out.append(",\"message\":");
  AppendJsonString(&out, message);
  out.push_back('}');
  return out;
}

}  // namespace sluice
