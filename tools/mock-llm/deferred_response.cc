#include "tools/mock-llm/deferred_response.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <ctime>

#include "common/log.h"
#include "tools/mock-llm/api_errors.h"

namespace sluice::mock_llm {
namespace {

// How long a drop waits for already-queued bytes (headers, earlier chunks) to reach the socket
// before cutting anyway; only a client that stopped reading hits it.
constexpr int64_t kDropFlushDeadlineUs = 2'000'000;

void AddHeaders(evhttp_request* req, const ResponsePlan& plan) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  if (plan.content_type != nullptr) evhttp_add_header(headers, "Content-Type", plan.content_type);
  for (const auto& [name, value] : plan.headers) {
    evhttp_add_header(headers, name.c_str(), value.c_str());
  }
}

void SendWhole(evhttp_request* req, const ResponsePlan& plan) {
  AddHeaders(req, plan);
  evbuffer_add(evhttp_request_get_output_buffer(req), plan.body.data(), plan.body.size());
  evhttp_send_reply(req, plan.status, ReasonPhrase(plan.status), nullptr);
}

timeval MillisToTimeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

// Lifetime: created by SendResponse, deletes itself exactly once, from one of
//   - Complete: the whole body, or the stream's terminating chunk, was handed to evhttp;
//   - Drop: we freed the connection ourselves (drop-after);
//   - OnConnectionClosed: the connection went away under us (client closed, evhttp_free at
//     shutdown).
// While it exists it is registered as the connection's close callback, so `conn_` stays valid.
// Every step that may free the connection runs from our own timer, never from inside an evhttp
// callback, because evhttp keeps using the connection after its callbacks return.
class DeferredResponse {
 public:
  DeferredResponse(event_base* base, evhttp_request* req, ResponsePlan plan)
      : req_(req),
        conn_(evhttp_request_get_connection(req)),
        plan_(std::move(plan)),
        timer_(evtimer_new(base, &DeferredResponse::OnTimer, this)),
        chunk_buf_(evbuffer_new()) {
    evhttp_connection_set_closecb(conn_, &DeferredResponse::OnConnectionClosed, this);
    if (plan_.stream != nullptr) {
      // Chunks are small and paced; Nagle would hold one back until the previous is ACKed.
      const int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(conn_));
      const int one = 1;
      if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ArmTimer(plan_.delay_ms);
  }

  ~DeferredResponse() {
    event_free(timer_);
    evbuffer_free(chunk_buf_);
  }

 private:
  enum class Phase { kBeforeHeaders, kStreaming, kDropping };

  static void OnTimer(evutil_socket_t, short, void* self) {
    static_cast<DeferredResponse*>(self)->Step();
  }

  static void OnChunkWritten(evhttp_connection*, void* self) {
    auto* me = static_cast<DeferredResponse*>(self);
    me->ArmTimer(me->plan_.stream->Exhausted() ? 0 : me->plan_.chunk_delay_ms);
  }

  static void OnConnectionClosed(evhttp_connection*, void* self) {
    auto* me = static_cast<DeferredResponse*>(self);
    LOG_DEBUG("connection closed before the response was complete (",
              me->chunks_written_, " chunks written)");
    // A client that went away mid-response leaves the request detached from its connection, and
    // then it is ours to free; otherwise the connection frees it right after this callback.
    if (evhttp_request_get_connection(me->req_) == nullptr) evhttp_request_free(me->req_);
    delete me;
  }

  void ArmTimer(int64_t ms) {
    const timeval tv = MillisToTimeval(ms);
    evtimer_add(timer_, &tv);
  }

  void Step() {
    switch (phase_) {
      case Phase::kBeforeHeaders: return BeginResponse();
      case Phase::kStreaming: return WriteNextChunk();
      case Phase::kDropping: return Drop();
    }
  }

  void BeginResponse() {
    if (plan_.stream == nullptr) {
      if (plan_.drop_after.has_value()) return StartDrop();
      return Complete();
    }
    AddHeaders(req_, plan_);
    evhttp_send_reply_start(req_, plan_.status, ReasonPhrase(plan_.status));
    phase_ = Phase::kStreaming;
    WriteNextChunk();
  }

  void WriteNextChunk() {
    if (plan_.drop_after.has_value() && chunks_written_ >= *plan_.drop_after) return StartDrop();
    scratch_.clear();
    if (!plan_.stream->NextChunk(WallClockMicros(), &scratch_)) return Complete();
    if (scratch_.empty()) return ArmTimer(0);  // evhttp would never report an empty write done
    evbuffer_add(chunk_buf_, scratch_.data(), scratch_.size());
    ++chunks_written_;
    evhttp_send_reply_chunk_with_cb(req_, chunk_buf_, &DeferredResponse::OnChunkWritten, this);
  }

  void StartDrop() {
    phase_ = Phase::kDropping;
    drop_deadline_us_ = WallClockMicros() + kDropFlushDeadlineUs;
    Drop();
  }

  void Drop() {
    evbuffer* pending = bufferevent_get_output(evhttp_connection_get_bufferevent(conn_));
    if (evbuffer_get_length(pending) > 0 && WallClockMicros() < drop_deadline_us_) {
      return ArmTimer(1);
    }
    evhttp_connection_set_closecb(conn_, nullptr, nullptr);
    evhttp_connection_free(conn_);  // frees req_ too
    delete this;
  }

  void Complete() {
    // Unregister first: once the reply is written evhttp may free the connection (Connection:
    // close, HTTP/1.0), and we will be gone by then.
    evhttp_connection_set_closecb(conn_, nullptr, nullptr);
    if (plan_.stream != nullptr) {
      evhttp_send_reply_end(req_);
    } else {
      SendWhole(req_, plan_);
    }
    delete this;
  }

  evhttp_request* const req_;
  evhttp_connection* const conn_;
  ResponsePlan plan_;
  event* const timer_;
  evbuffer* const chunk_buf_;
  Phase phase_ = Phase::kBeforeHeaders;
  int64_t chunks_written_ = 0;
  int64_t drop_deadline_us_ = 0;
  std::string scratch_;
};

}  // namespace

int64_t WallClockMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void SendResponse(event_base* base, evhttp_request* req, ResponsePlan plan) {
  if (plan.stream != nullptr && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
    // evhttp sends no body to HEAD and would never report a chunk written; send it whole.
    std::string piece;
    while (plan.stream->NextChunk(WallClockMicros(), &piece)) {
      plan.body.append(piece);
      piece.clear();
    }
    plan.stream.reset();
  }
  if (plan.stream == nullptr && plan.delay_ms == 0 && !plan.drop_after.has_value()) {
    SendWhole(req, plan);
    return;
  }
  new DeferredResponse(base, req, std::move(plan));
}

}  // namespace sluice::mock_llm
