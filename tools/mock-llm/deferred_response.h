#pragma once
// Sends the response to one evhttp request, applying the per-request timing faults.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/mock-llm/chunk_source.h"

struct evhttp_request;
struct event_base;

namespace sluice::mock_llm {

struct ResponsePlan {
  int status = 200;
  const char* content_type = nullptr;  // nullptr: the server default, application/json
  std::vector<std::pair<std::string, std::string>> headers;
  // Exactly one of the two bodies is used: `stream` when set, else `body`.
  std::string body;
  std::unique_ptr<ChunkSource> stream;

  int64_t delay_ms = 0;        // before the status line and headers
  int64_t chunk_delay_ms = 0;  // between streamed chunks
  // Streams: close the connection after this many chunks, without the terminating chunk.
  // Whole bodies: close the connection without any response.
  std::optional<int64_t> drop_after;
};

// Sends `plan` on `req`. A plain whole body goes out at once; anything with a delay, a stream or
// a drop is handed to an object that owns itself until the response is done or the client goes
// away. Each streamed chunk is handed to the socket only after the previous one was flushed, so a
// stream is never buffered whole and a slow client slows the stream instead of growing memory.
void SendResponse(event_base* base, evhttp_request* req, ResponsePlan plan);

// CLOCK_REALTIME in microseconds.
int64_t WallClockMicros();

}  // namespace sluice::mock_llm
