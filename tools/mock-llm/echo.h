#pragma once
// The "recording upstream" side of the mock: echo of what arrived, and fixed-size payloads.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/mock-llm/chunk_source.h"

namespace sluice::mock_llm {

struct EchoedRequest {
  std::string_view method;
  std::string_view uri;      // as on the request line, query included
  std::string_view version;  // "HTTP/1.1"
  // In arrival order, names as sent.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
  // The size that arrived when `body` is only a prefix of it; else body.size() is reported.
  std::optional<size_t> body_bytes;
};

// {"method","uri","version","headers":{lower-case name: value},"body","body_bytes"}.
// Repeated header names are joined with ", " in arrival order. A body that is not valid UTF-8
// comes back as "body":null plus "body_base64", so the echo is always valid JSON.
std::string FormatEcho(const EchoedRequest& request);

// Serves `body` in `pieces` roughly equal chunks (fewer if the body is shorter).
class SplitBodySource final : public ChunkSource {
 public:
  SplitBodySource(std::string body, size_t pieces);
  bool NextChunk(int64_t now_us, std::string* out) override;
  bool Exhausted() const override { return offset_ >= body_.size(); }

 private:
  std::string body_;
  size_t piece_size_;
  size_t offset_ = 0;
};

inline constexpr size_t kMinJsonPayload = 2;
inline constexpr size_t kMaxJsonPayload = 64u << 20;

// A valid JSON document of exactly `size` bytes (clamped to kMinJsonPayload..kMaxJsonPayload):
// an object with one string of filler, or `{` spaces `}` when too small for that.
std::string FormatJsonPayload(size_t size);

}  // namespace sluice::mock_llm
