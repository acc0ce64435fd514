#include "dataplane/ai/sse_parser.h"

#include <cstring>

namespace sluice::ai {

namespace {
constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};

// Index of the first CR or LF at or after `from`, or npos.
size_t FindLineEnd(std::string_view s, size_t from) {
  size_t n = s.size() - from;
  const char* begin = s.data() + from;
  const void* lf = std::memchr(begin, '\n', n);
  size_t lf_at = lf ? static_cast<const char*>(lf) - begin : n;
  const void* cr = std::memchr(begin, '\r', lf_at);
  size_t at = cr ? static_cast<const char*>(cr) - begin : lf_at;
  return at == n ? std::string_view::npos : from + at;
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

absl::Status SseParser::Overflow() {
  failed_ = true;
  line_.clear();
  data_.clear();
  return absl::ResourceExhaustedError("event stream: an event is larger than the limit");
}

absl::Status SseParser::Feed(std::string_view bytes, EventCallback on_event) {
  return FeedImpl(bytes, on_event, nullptr);
}

absl::Status SseParser::Feed(std::string_view bytes, EventCallback on_event,
                             CommentCallback on_comment) {
  return FeedImpl(bytes, on_event, &on_comment);
}

absl::Status SseParser::FeedImpl(std::string_view bytes, EventCallback on_event,
                                 const CommentCallback* on_comment) {
  if (failed_) return absl::ResourceExhaustedError("event stream: failed earlier");
  size_t i = 0;
  const size_t n = bytes.size();
  while (!bom_done_ && i < n) {
    if (static_cast<unsigned char>(bytes[i]) == kBom[bom_matched_]) {
      ++i;
      if (++bom_matched_ == sizeof kBom) bom_done_ = true;
    } else {
      // What looked like the start of a BOM was the start of the first line.
      line_.append(reinterpret_cast<const char*>(kBom), bom_matched_);
      bom_done_ = true;
    }
  }
  if (skip_lf_ && i < n) {
    if (bytes[i] == '\n') ++i;
    skip_lf_ = false;
  }
  while (i < n) {
    size_t end = FindLineEnd(bytes, i);
    if (end == std::string_view::npos) {
      if (line_.size() + data_.size() + (n - i) > max_event_bytes_) return Overflow();
      line_.append(bytes.substr(i));
      break;
    }
    std::string_view line = bytes.substr(i, end - i);
    if (!line_.empty()) {
      if (line_.size() + data_.size() + line.size() > max_event_bytes_) return Overflow();
      line_.append(line);
      line = line_;
    }
    if (data_.size() + line.size() > max_event_bytes_) return Overflow();
    ProcessLine(line, on_event, on_comment);
    line_.clear();
    if (bytes[end] == '\r') {
      if (end + 1 < n) {
        if (bytes[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    i = end + 1;
  }
  return absl::OkStatus();
}

void SseParser::ProcessLine(std::string_view line, EventCallback on_event,
                            const CommentCallback* on_comment) {
  if (line.empty()) {
    Dispatch(on_event);
    return;
  }
  if (line[0] == ':') {
    if (on_comment != nullptr) (*on_comment)(line.substr(1));
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (field == "retry") {
    if (AllDigits(value)) {
      int64_t ms = 0;
      for (char c : value) ms = ms * 10 + (c - '0');
      retry_ms_ = ms;
    }
  }
}

void SseParser::Dispatch(EventCallback on_event) {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the LF after the last data line
  SseEvent event;
  event.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
  event.data = data_;
  event.id = last_id_;
  on_event(event);
  data_.clear();
  type_.clear();
}

}  // namespace sluice::ai
