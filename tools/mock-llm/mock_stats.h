#pragma once
// Totals since start (or the last reset), served at GET /_mock/stats, and the log of recent
// requests served at GET /_mock/requests. Tests compare the usage the gateway accounted with the
// usage this server actually reported to it, and assert on exactly what reached the "provider".
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/mock-llm/request_log.h"

namespace sluice::mock_llm {

// The provider API an endpoint belongs to: it decides the credentials header, the error shape
// and the bucket of /_mock/stats that counts its requests and usage.
enum class ProviderApi : uint8_t { kOpenAi, kAnthropic, kAzure };
inline constexpr size_t kProviderApiCount = 3;
inline std::string_view ProviderApiName(ProviderApi api) {
  switch (api) {
    case ProviderApi::kAnthropic: return "anthropic";
    case ProviderApi::kAzure: return "azure";
    case ProviderApi::kOpenAi: break;
  }
  return "openai";
}

struct ApiCounters {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> completion_tokens{0};
};

struct MockStats {
  explicit MockStats(size_t request_log_capacity = kDefaultRequestLogCapacity)
      : request_log(request_log_capacity) {}

  std::atomic<int64_t> requests{0};  // every request, /_mock/* included
  // Only usage that went out on the wire: a streamed usage chunk counts once it is written, a
  // stream cut by drop-after before it does not. The sum over every API.
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> completion_tokens{0};
  std::array<ApiCounters, kProviderApiCount> apis;
  RequestLog request_log;

  ApiCounters& api(ProviderApi which) { return apis[static_cast<size_t>(which)]; }

  void CountRequest(ProviderApi which) {
    api(which).requests.fetch_add(1, std::memory_order_relaxed);
  }
  void AddUsage(ProviderApi which, int64_t prompt, int64_t completion) {
    prompt_tokens.fetch_add(prompt, std::memory_order_relaxed);
    completion_tokens.fetch_add(completion, std::memory_order_relaxed);
    api(which).prompt_tokens.fetch_add(prompt, std::memory_order_relaxed);
    api(which).completion_tokens.fetch_add(completion, std::memory_order_relaxed);
  }
  // Counters only; the request log is cleared on its own (DELETE /_mock/requests).
  void Reset() {
    requests.store(0, std::memory_order_relaxed);
    prompt_tokens.store(0, std::memory_order_relaxed);
    completion_tokens.store(0, std::memory_order_relaxed);
    for (ApiCounters& c : apis) {
      c.requests.store(0, std::memory_order_relaxed);
      c.prompt_tokens.store(0, std::memory_order_relaxed);
      c.completion_tokens.store(0, std::memory_order_relaxed);
    }
  }
};

}  // namespace sluice::mock_llm
