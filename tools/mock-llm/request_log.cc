#include "tools/mock-llm/request_log.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "tools/mock-llm/echo.h"

namespace sluice::mock_llm {

void RequestLog::Record(RecordedRequest request) {
  if (capacity_ == 0) return;
  request.body_bytes = request.body.size();
  if (request.body.size() > kMaxRecordedBodyBytes) request.body.resize(kMaxRecordedBodyBytes);
  absl::MutexLock lock(&mu_);
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(Entry{next_seq_++, std::move(request)});
}

void RequestLog::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

std::string RequestLog::FormatJson() const {
  std::deque<Entry> copy;
  {
    absl::MutexLock lock(&mu_);
    copy = entries_;
  }
  std::string out = absl::StrCat("{\"capacity\":", capacity_, ",\"requests\":[");
  for (auto it = copy.rbegin(); it != copy.rend(); ++it) {
    const RecordedRequest& r = it->request;
    if (it != copy.rbegin()) out.push_back(',');
    absl::StrAppend(&out, "{\"seq\":", it->seq, ",\"api\":");
    if (r.api.empty()) {
      out.append("null");
    } else {
      AppendJsonString(&out, r.api);
    }
    absl::StrAppend(&out, ",\"status\":", r.status, ",\"body_truncated\":",
                    r.body_bytes > r.body.size() ? "true" : "false", ",");
    EchoedRequest echoed;
    echoed.method = r.method;
    echoed.uri = r.uri;
    echoed.version = r.version;
    for (const auto& [name, value] : r.headers) echoed.headers.emplace_back(name, value);
    echoed.body = r.body;
    echoed.body_bytes = r.body_bytes;
    // The echo's own fields follow ours inside the same object.
    const std::string echo = FormatEcho(echoed);
    out.append(echo, 1, std::string::npos);
  }
  out.append("]}");
  return out;
}

}  // namespace sluice::mock_llm
