#include "tools/mock-llm/echo.h"

#include <simdjson.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"

namespace sluice::mock_llm {

std::string FormatEcho(const EchoedRequest& request) {
  // Group repeated names (case-insensitively) keeping first-arrival order; header counts are
  // small, so a linear scan beats a map.
  std::vector<std::pair<std::string, std::string>> merged;
  merged.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& m) {
      return absl::EqualsIgnoreCase(m.first, Sv(name));
    });
    if (it == merged.end()) {
      merged.emplace_back(absl::AsciiStrToLower(Sv(name)), std::string(value));
    } else {
      absl::StrAppend(&it->second, ", ", Sv(value));
    }
  }
  std::string out;
  out.reserve(256 + request.uri.size() + request.body.size() * 11 / 10);
  out.append("{\"method\":");
  AppendJsonString(&out, request.method);
  out.append(",\"uri\":");
  AppendJsonString(&out, request.uri);
  out.append(",\"version\":");
  AppendJsonString(&out, request.version);
  out.append(",\"headers\":{");
  for (size_t i = 0; i < merged.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(&out, merged[i].first);
    out.push_back(':');
    AppendJsonString(&out, merged[i].second);
  }
  out.append("},\"body\":");
  if (simdjson::validate_utf8(request.body.data(), request.body.size())) {
    AppendJsonString(&out, request.body);
  } else {
    absl::StrAppend(&out, "null,\"body_base64\":\"", absl::Base64Escape(Sv(request.body)), "\"");
  }
  absl::StrAppend(&out, ",\"body_bytes\":", request.body_bytes.value_or(request.body.size()), "}");
  return out;
}

SplitBodySource::SplitBodySource(std::string body, size_t pieces)
    : body_(std::move(body)),
      piece_size_(std::max<size_t>(1, (body_.size() + std::max<size_t>(pieces, 1) - 1) /
                                          std::max<size_t>(pieces, 1))) {}

bool SplitBodySource::NextChunk(int64_t /*now_us*/, std::string* out) {
  if (offset_ >= body_.size()) return false;
  const size_t n = std::min(piece_size_, body_.size() - offset_);
  out->append(body_, offset_, n);
  offset_ += n;
  return true;
}

std::string FormatJsonPayload(size_t size) {
  static constexpr std::string_view kHead = "{\"data\":\"";
  static constexpr std::string_view kTail = "\"}";
  static constexpr std::string_view kFiller = "abcdefghijklmnopqrstuvwxyz0123456789";
  size = std::clamp(size, kMinJsonPayload, kMaxJsonPayload);
  std::string out;
  out.reserve(size);
  if (size < kHead.size() + kTail.size()) {
    out.push_back('{');
    out.append(size - 2, ' ');
    out.push_back('}');
    return out;
  }
  out.append(kHead);
  const size_t fill = size - kHead.size() - kTail.size();
  while (out.size() < kHead.size() + fill) {
    out.append(kFiller.substr(0, std::min(kFiller.size(), kHead.size() + fill - out.size())));
  }
  out.append(kTail);
  return out;
}

}  // namespace sluice::mock_llm
