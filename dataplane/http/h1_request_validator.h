#pragma once
// Strict HTTP/1.1 request framing (RFC 9112), checked on the raw bytes before http-parser sees
// them. Debian's libhttp_parser is built with HTTP_PARSER_STRICT=0: it accepts obs-fold, bare LF,
// whitespace before the colon, spaces and underscores in names, any two bytes after chunk data,
// and codings before a final `chunked` — each a known request-smuggling vector when two hops read
// the same bytes differently. H1RequestValidator refuses all of them, so http-parser only ever
// parses requests whose framing has one reading.
//
// The validator runs in lockstep with http-parser: Scan() says how many bytes belong to the current
// request (it knows the framing: it reads Content-Length / Transfer-Encoding itself), the caller
// passes exactly those bytes to http_parser_execute, and the next Scan() starts the next request.
// One pass over each byte (a header line cut by the end of a read is read again with the rest), no
// allocation unless a request is refused.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace sluice::http {

struct H1Strictness {
  // '_' is a legal token character, but CGI-style backends map "X_User" and "X-User" to the same
  // variable, so a header a proxy strips as "X-User" could come back as "X_User".
  bool allow_underscores_in_header_names = false;
  // One chunk-size line, extensions included.
  size_t max_chunk_line_bytes = 4096;
};

class H1RequestValidator {
 public:
  explicit H1RequestValidator(const H1Strictness& options = {});

  // Scans the next bytes of the connection's input. On success, `*consumed` (at least 1 when
  // `len` > 0) is how many of them belong to the current request: all `len`, or fewer when the
  // request ends inside `data` (then the next call starts the next request). On error, the
  // request must be refused with H1RejectHttpStatus() and the connection closed; `*consumed` is
  // the offset of the offending byte, and every later call returns the same error.
  absl::Status Scan(const char* data, size_t len, size_t* consumed);

  // The last Scan() ended at the last byte of a request (the next one starts the next request).
  bool RequestComplete() const;

 private:
  enum class State : uint8_t;

  absl::Status Fail(int violation, const uint8_t* at, const char* data, size_t* consumed);
  void StartRequest();
  void CrInsideLine(int violation_if_crlf);
  // Fast path from the start of a field line: skips whole ordinary "name: value CRLF" lines and
  // returns where the state machine must take over (a framing header, anything unusual, the end
  // of the head, or a line cut by the end of the input, which is then read again).
  const uint8_t* FieldLines(const uint8_t* p, const uint8_t* end) const;
  // Returns a violation (see .cc), or 0.
  int EndOfFieldLine();
  int EndOfHead();

  H1Strictness options_;
  State state_;
  int violation_ = 0;
  // Reported when the CR that ended a line too early is followed by LF (else: bare CR).
  int violation_if_crlf_ = 0;
  bool in_trailers_ = false;
  // Field name being matched against content-length / transfer-encoding.
  uint32_t name_len_ = 0;
  uint8_t name_candidates_ = 0;
  uint8_t field_kind_ = 0;
  uint8_t sub_state_ = 0;  // inside a Content-Length or Transfer-Encoding value
  uint8_t version_pos_ = 0;
  uint8_t method_len_ = 0;
  bool is_connect_ = false;
  char version_minor_ = '1';
  bool cl_seen_ = false;
  bool te_seen_ = false;
  bool te_token_is_chunked_ = false;
  bool te_last_is_chunked_ = false;
  uint32_t te_token_len_ = 0;
  uint32_t te_codings_ = 0;
  uint64_t content_length_ = 0;
  // Body bytes left: of a Content-Length body, or of the current chunk.
  uint64_t remaining_ = 0;
  size_t chunk_line_bytes_ = 0;
};

// The stable reason of a Scan() error ("obs_fold", "bare_cr", ...): the text of its message up to
// the first ':'. Views into `status`.
std::string_view H1RejectReason(const absl::Status& status);
// 505 for an HTTP version other than 1.x, 400 for everything else.
int H1RejectHttpStatus(const absl::Status& status);

}  // namespace sluice::http
