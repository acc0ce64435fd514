#include "tools/mock-llm/fault_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::mock_llm {
namespace {

constexpr std::string_view kPrefix = "x-mock-";

absl::Status ParseBounded(std::string_view name, std::string_view value, int64_t min,
                          int64_t max, int64_t* out) {
  int64_t v = 0;
  // SimpleAtoi accepts surrounding whitespace and a sign; we want a plain decimal number.
  bool digits_only = !value.empty() && value.size() <= 18;
  for (char c : value) digits_only = digits_only && c >= '0' && c <= '9';
  if (!digits_only || !absl::SimpleAtoi(Sv(value), &v) || v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat("header ", Sv(name), " must be an integer in [",
                                                   min, ", ", max, "], got '", Sv(value), "'"));
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace

bool IsMockHeader(std::string_view name) {
  return name.size() > kPrefix.size() &&
         absl::EqualsIgnoreCase(Sv(name.substr(0, kPrefix.size())), Sv(kPrefix));
}

absl::Status ApplyFaultHeader(std::string_view name, std::string_view value, FaultSpec* spec) {
  if (!IsMockHeader(name)) return absl::OkStatus();
  const absl::string_view key = Sv(name.substr(kPrefix.size()));
  int64_t v = 0;
  if (absl::EqualsIgnoreCase(key, "status")) {
    if (auto s = ParseBounded(name, value, 200, 599, &v); !s.ok()) return s;
    spec->status = static_cast<int>(v);
  } else if (absl::EqualsIgnoreCase(key, "retry-after")) {
    bool printable = !value.empty() && value.size() <= 64;
    for (char c : value) printable = printable && c >= 0x20 && c < 0x7f;
    if (!printable) {
      return absl::InvalidArgumentError(
          "header x-mock-retry-after must be 1-64 printable ASCII characters");
    }
    spec->retry_after = std::string(value);
  } else if (absl::EqualsIgnoreCase(key, "delay-ms")) {
    if (auto s = ParseBounded(name, value, 0, kMaxDelayMs, &v); !s.ok()) return s;
    spec->delay_ms = v;
  } else if (absl::EqualsIgnoreCase(key, "token-delay-ms")) {
    if (auto s = ParseBounded(name, value, 0, kMaxDelayMs, &v); !s.ok()) return s;
    spec->chunk_delay_ms = v;
  } else if (absl::EqualsIgnoreCase(key, "drop-after")) {
    if (auto s = ParseBounded(name, value, 0, 1'000'000'000, &v); !s.ok()) return s;
    spec->drop_after = v;
  } else if (absl::EqualsIgnoreCase(key, "tokens")) {
    if (auto s = ParseBounded(name, value, 0, kMaxCompletionTokens, &v); !s.ok()) return s;
    spec->tokens = v;
  } else if (absl::EqualsIgnoreCase(key, "tool-call")) {
    bool valid = !value.empty() && value.size() <= 64;
    for (char c : value) valid = valid && (absl::ascii_isalnum(c) || c == '_' || c == '-');
    if (!valid) {
      return absl::InvalidArgumentError(
          "header x-mock-tool-call must be a tool name: 1-64 of A-Z a-z 0-9 _ -");
    }
    spec->tool_call = std::string(value);
  } else if (absl::EqualsIgnoreCase(key, "tool-args")) {
    if (value.empty() || value.size() > kMaxToolArgsBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "header x-mock-tool-args must be a JSON object of 1-", kMaxToolArgsBytes, " bytes"));
    }
    spec->tool_args = std::string(value);
  } else if (absl::EqualsIgnoreCase(key, "echo-chunked")) {
    if (auto s = ParseBounded(name, value, 0, 1, &v); !s.ok()) return s;
    spec->echo_chunked = v == 1;
  }
  return absl::OkStatus();
}

}  // namespace sluice::mock_llm
