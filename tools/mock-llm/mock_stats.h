#pragma once
// Totals since start (or the last reset), served at GET /_mock/stats. Tests compare the usage
// the gateway accounted with the usage this server actually reported to it.
#include <atomic>
#include <cstdint>

namespace sluice::mock_llm {

struct MockStats {
  std::atomic<int64_t> requests{0};
  // Only usage that went out on the wire: a streamed usage chunk counts once it is written, a
  // stream cut by drop-after before it does not.
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> completion_tokens{0};

  void AddUsage(int64_t prompt, int64_t completion) {
    prompt_tokens.fetch_add(prompt, std::memory_order_relaxed);
    completion_tokens.fetch_add(completion, std::memory_order_relaxed);
  }
  void Reset() {
    requests.store(0, std::memory_order_relaxed);
    prompt_tokens.store(0, std::memory_order_relaxed);
    completion_tokens.store(0, std::memory_order_relaxed);
  }
};

}  // namespace sluice::mock_llm
