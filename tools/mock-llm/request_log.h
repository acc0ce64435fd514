#pragma once
// The last N requests the mock received on provider paths (everything but /_mock/*), kept so a
// test can assert exactly what a gateway sent upstream: method, URI, headers, body. Shared by
// every event loop of the process, hence the lock; one short critical section per request.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace sluice::mock_llm {

inline constexpr size_t kDefaultRequestLogCapacity = 32;
// Bodies beyond this are kept truncated (with "body_truncated":true), so a benchmark posting
// large bodies cannot make the log hold capacity × 64 MiB.
inline constexpr size_t kMaxRecordedBodyBytes = 256u << 10;

struct RecordedRequest {
  std::string api;     // "openai", "anthropic", "azure", or "" (echo and other paths)
  int status = 0;      // what the mock answered (injected statuses included)
  std::string method;
  std::string uri;     // as on the request line, query included
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;  // arrival order, names as sent
  std::string body;    // at most kMaxRecordedBodyBytes
  size_t body_bytes = 0;  // the size that arrived
};

class RequestLog {
 public:
  explicit RequestLog(size_t capacity) : capacity_(capacity) {}

  bool enabled() const { return capacity_ > 0; }
  // Drops the oldest entry when full. Assigns the entry's sequence number (1, 2, ... since
  // start; never reused, so tests can tell which requests came after a point).
  void Record(RecordedRequest request);
  void Clear();

  // {"capacity":N,"requests":[newest first: {"seq","api","status","method","uri","version",
  // "headers":{lower-case name: value, repeats joined with ", "},"body","body_bytes",
  // "body_truncated"}]}; a body that is not UTF-8 is "body":null plus "body_base64".
  std::string FormatJson() const;

 private:
  struct Entry {
    int64_t seq;
    RecordedRequest request;
  };
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace sluice::mock_llm
