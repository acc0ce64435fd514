#include "dataplane/ai/tool_ids.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sluice::ai {

namespace {
bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
}  // namespace

void WriteAnthropicToolId(JsonWriter& w, std::string_view id) {
  if (id.empty()) {
    w.String("toolu_empty");
    return;
  }
  bool clean = true;
  for (char c : id) clean = clean && IsIdChar(c);
  if (clean) {
    w.String(id);
    return;
  }
  std::string mapped(id);
  for (char& c : mapped) {
    if (!IsIdChar(c)) c = '_';
  }
  w.String(mapped);
}

std::string LegacyFunctionCallId(size_t message_index) {
  return absl::StrCat("call_fn_", message_index);
}

}  // namespace sluice::ai
