#include "controlplane/admin/pagination.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace sluice::controlplane {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string EncodeCursor(std::string_view last_id) {
  std::string out;
  absl::WebSafeBase64Escape(Sv(last_id), &out);
  return out;
}

std::optional<std::string> DecodeCursor(std::string_view cursor) {
  std::string out;
  if (cursor.empty() || !absl::WebSafeBase64Unescape(Sv(cursor), &out) || out.empty())
    return std::nullopt;
  return out;
}

absl::StatusOr<PageRequest> ParsePageRequest(std::string_view query) {
  PageRequest page;
  for (absl::string_view part : absl::StrSplit(Sv(query), '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    std::optional<std::string> value = PercentDecode(StdSv(kv.second));
    if (kv.first == "size") {
      uint64_t size = 0;
      if (!value || !absl::SimpleAtoi(*value, &size) || size < 1 || size > kMaxPageSize) {
        return absl::InvalidArgumentError(
            absl::StrCat("size must be an integer between 1 and ", kMaxPageSize));
      }
      page.size = static_cast<size_t>(size);
    } else if (kv.first == "offset") {
      std::optional<std::string> after = value ? DecodeCursor(*value) : std::nullopt;
      if (!after) {
        return absl::InvalidArgumentError(
            "offset must be a value returned in a previous page's \"offset\"");
      }
      page.after = std::move(after);
    }
  }
  return page;
}

}  // namespace sluice::controlplane
