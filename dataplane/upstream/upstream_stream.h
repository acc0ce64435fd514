#pragma once
// The seam between the proxy and the upstream protocols. The proxy describes the request once,
// protocol-neutrally (UpstreamRequest), and drives an UpstreamStream; HTTP/1.1 and HTTP/2 client
// connections implement the stream and report back through UpstreamHandler. Neither side knows
// the other's wire format.
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/http/headers.h"

namespace sluice {

enum class UpstreamError {
  kConnectFailed,   // DNS failure, refused, unreachable
  kConnectTimeout,
  kReadTimeout,     // no bytes from the upstream within read_timeout
  kWriteTimeout,
  kReset,           // closed or reset before the response was complete
  kProtocol,        // not valid HTTP/1.1 or HTTP/2
  kTls,             // handshake or certificate verification failed
};
const char* UpstreamErrorName(UpstreamError e);

// The request that owns an upstream stream receives its events through this interface. Events
// stop after Release() or Abort(), and after OnUpstreamComplete or OnUpstreamError.
class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  // The stream can take SendHeaders (connected, TLS done, an HTTP/2 stream slot granted).
  virtual void OnUpstreamConnected() = 0;
  // The final response head (interim 1xx responses are not reported). `end_stream`: the head is
  // the whole response (an HTTP/2 HEADERS frame with END_STREAM, as gRPC's "trailers-only"
  // error responses are); OnUpstreamComplete follows without data or trailers.
  virtual void OnUpstreamHeaders(int status, http::HeaderMap headers, bool end_stream) = 0;
  virtual void OnUpstreamData(const char* data, size_t len) = 0;
  // Trailer fields, just before OnUpstreamComplete (HTTP/2 trailers, HTTP/1.1 chunked trailers).
  virtual void OnUpstreamTrailers(http::HeaderMap trailers) = 0;
  virtual void OnUpstreamComplete() = 0;
  // The stream is unusable and may no longer be used, except for the const accessors of
  // UpstreamStream during this call.
  virtual void OnUpstreamError(UpstreamError error) = 0;
  // The request bytes queued to the upstream dropped below the low watermark.
  virtual void OnUpstreamDrained() = 0;
};

struct UpstreamTimeouts {
  uint32_t connect_ms = 60000;
  uint32_t read_ms = 60000;
  uint32_t write_ms = 60000;
};

// What goes upstream, built once per request by the proxy (and sent again as it is when a stale
// pooled connection forces a replay).
struct UpstreamRequest {
  enum class Body {
    kNone,     // no body and no Content-Length (GET without a body)
    kLength,   // exactly content_length bytes follow (may be 0: "Content-Length: 0")
    kUnknown,  // length unknown: HTTP/1.1 chunked; HTTP/2 DATA frames until END_STREAM
  };

  std::string method;
  // Path and query, as sent.
  std::string path;
  // Host (HTTP/1.1) or :authority (HTTP/2).
  std::string authority;
  // End-to-end fields to forward, including the ones the proxy adds (X-Request-Id,
  // X-Forwarded-*, X-Real-IP, Via). Never Host, framing (Content-Length, Transfer-Encoding) or
  // hop-by-hop fields: those are the connection's business.
  http::HeaderMap headers;
  Body body = Body::kNone;
  uint64_t content_length = 0;
  // The client accepts trailers ("TE: trailers"); HTTP/2 upstreams get "te: trailers" (gRPC
  // servers require it).
  bool te_trailers = false;
};

// One request/response exchange with an upstream. Owned by its connection: the proxy gets it
// from the ConnectionPool and gives it back with Release() or Abort(), never deletes it.
class UpstreamStream {
 public:
  // True when SendHeaders may be called now; otherwise the handler gets OnUpstreamConnected.
  virtual bool ready() const = 0;
  // Sends the request head; `end_stream` when there is no body to follow.
  virtual void SendHeaders(const UpstreamRequest& request, bool end_stream) = 0;
  // Body bytes (framed as the request's Body says); `end_stream` ends the request (len may be 0).
  virtual void SendData(const char* data, size_t len, bool end_stream) = 0;
  // Request bytes accepted but not yet written to the upstream's socket.
  virtual size_t BufferedBytes() const = 0;
  // Stops or resumes delivery of the response (backpressure from a slow client).
  virtual void SetReadEnabled(bool enabled) = 0;
  // The proxy is done: the connection is reused when the exchange ended cleanly, closed (HTTP/1.1)
  // or the stream cancelled (HTTP/2) otherwise. No more handler events.
  virtual void Release() = 0;
  // Cancels at once (request aborted). No more handler events.
  virtual void Abort() = 0;

  // After OnUpstreamError(kReset) before any response byte: the upstream did not process the
  // request (a pooled connection it had closed, an HTTP/2 stream refused or beyond GOAWAY's last
  // stream id), so the request may be sent again on another connection.
  virtual bool safe_to_retry() const = 0;
  // Why the stream failed, for the error message (TLS verification, protocol error); may be "".
  virtual std::string_view error_detail() const = 0;

 protected:
  ~UpstreamStream() = default;
};

}  // namespace sluice
