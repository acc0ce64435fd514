#pragma once
// The seam between a protocol codec (HTTP/1.1 now, HTTP/2 later) and the proxy logic: the codec
// decodes a request into RequestHead + body calls on a StreamHandler, and the proxy answers
// through the codec's ResponseEncoder. Neither side knows the other's wire format.
#include <cstdint>
#include <string>

#include "dataplane/http/headers.h"

namespace sluice::http {

struct RequestHead {
  std::string method;
  // The request target as received: path and query ("/v1/chat?x=1").
  std::string target;
  int version_major = 1;
  int version_minor = 1;
  HeaderMap headers;
  // The request has a body (Content-Length > 0 or chunked).
  bool has_body = false;
  bool chunked = false;
  uint64_t content_length = 0;
  bool expect_continue = false;
  std::string client_ip;
  int local_port = 0;
  bool tls = false;
};

// What a codec knows about the client connection, copied into every RequestHead.
struct ConnectionInfo {
  std::string client_ip;
  int local_port = 0;
  bool tls = false;
};

class ResponseEncoder {
 public:
  virtual ~ResponseEncoder() = default;
  // Framing headers (Content-Length / Transfer-Encoding / Connection) are the codec's business:
  // `headers` may carry Content-Length, which the codec then uses; it never carries hop-by-hop
  // headers.
  virtual void EncodeHeaders(int status, const HeaderMap& headers, bool end_stream) = 0;
  virtual void EncodeData(const char* data, size_t len, bool end_stream) = 0;
  // Ends the response with trailers (gRPC's grpc-status). HTTP/1.1 drops them (a chunked
  // response could carry them, but no HTTP/1.1 client we serve reads them).
  virtual void EncodeTrailers(const HeaderMap& trailers) = 0;
  // Response bytes written but not yet sent to the client.
  virtual size_t BufferedBytes() const = 0;
  // Pauses or resumes delivery of request body bytes (backpressure towards the client).
  virtual void SetRequestReadEnabled(bool enabled) = 0;
  // Sends "100 Continue" to a client that asked for it.
  virtual void SendContinue() = 0;
  // Aborts the response mid-way (HTTP/1.1: closes the connection); the stream is over.
  virtual void Reset() = 0;
};

// Implemented by the proxy: one per request.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void DecodeHeaders(RequestHead head) = 0;
  virtual void DecodeData(const char* data, size_t len) = 0;
  virtual void DecodeComplete() = 0;
  // The response bytes buffered towards the client dropped below the low watermark.
  virtual void OnDownstreamDrained() = 0;
  // The client went away or the connection failed; no encoder call is allowed after this.
  virtual void OnDownstreamReset() = 0;
};

}  // namespace sluice::http
