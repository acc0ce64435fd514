#pragma once
// A response body produced one piece at a time, so the writer can pace each piece (token delay),
// flush it on its own, and cut the connection after any of them (drop-after).
#include <cstdint>
#include <string>

namespace sluice::mock_llm {

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;

  // Appends the next piece to `out` (which the caller has cleared) and returns true, or returns
  // false once the body is complete. `now_us` is CLOCK_REALTIME in microseconds at the moment the
  // piece is written; SSE sources stamp it into the event so benchmarks can measure the delay a
  // proxy adds to each chunk.
  virtual bool NextChunk(int64_t now_us, std::string* out) = 0;

  // True once NextChunk has produced the last piece, so the writer can end the body without
  // waiting another inter-chunk delay.
  virtual bool Exhausted() const = 0;
};

}  // namespace sluice::mock_llm
