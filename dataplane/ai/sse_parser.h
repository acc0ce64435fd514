#pragma once
// Incremental text/event-stream parser (WHATWG HTML, "Interpreting an event stream"): fed the
// stream in slices split anywhere, it reports each event once its terminating blank line arrives.
// Handles LF, CRLF and CR line ends (a CRLF split across two slices included), one leading BOM,
// comments, multi-line data, and the event, data, id and retry fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace sluice::ai {

struct SseEvent {
  std::string_view type;  // the event field, or "message" when the event had none
  std::string_view data;  // data lines joined with '\n'
  std::string_view id;    // the last event ID seen on the stream (it carries over, per the spec)
};

class SseParser {
 public:
  static constexpr size_t kDefaultMaxEventBytes = 8 << 20;

  // An event (or line) larger than `max_event_bytes` fails the stream instead of growing memory
  // without bound.
  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  using EventCallback = absl::FunctionRef<void(const SseEvent&)>;
  // A comment line's text after the ':' (providers send them as keep-alives).
  using CommentCallback = absl::FunctionRef<void(std::string_view)>;
  // Parses the next slice of the stream, calling `on_event` for every event it completes (and
  // `on_comment` for every comment line). Views are valid only during the callback. After a
  // failure every call fails.
  absl::Status Feed(std::string_view bytes, EventCallback on_event);
  absl::Status Feed(std::string_view bytes, EventCallback on_event, CommentCallback on_comment);

  // A line or an event is buffered: the stream would end in the middle of an event (which the
  // spec discards).
  bool has_partial_event() const { return !line_.empty() || !data_.empty(); }
  // The last retry field's value in milliseconds, or -1.
  int64_t retry_ms() const { return retry_ms_; }

 private:
  absl::Status FeedImpl(std::string_view bytes, EventCallback on_event,
                        const CommentCallback* on_comment);
  void ProcessLine(std::string_view line, EventCallback on_event,
                   const CommentCallback* on_comment);
  void Dispatch(EventCallback on_event);
  absl::Status Overflow();

  const size_t max_event_bytes_;
  std::string line_;  // a line that began in an earlier slice
  std::string data_;
  std::string type_;
  std::string last_id_;
  int64_t retry_ms_ = -1;
  uint8_t bom_matched_ = 0;  // bytes of a leading BOM seen so far
  bool bom_done_ = false;
  bool skip_lf_ = false;  // the previous slice ended with CR: an LF next completes that CRLF
  bool failed_ = false;
};

}  // namespace sluice::ai
