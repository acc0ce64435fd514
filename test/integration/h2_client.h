#pragma once
// A blocking HTTP/2 client for integration tests (nghttp2), over cleartext (prior knowledge) or
// TLS (ALPN h2). Unlike curl or nghttp it sends whatever fields it is given — upper-case names,
// CR/LF in values, connection-specific headers, a content-length that does not match the body —
// so tests can check that the data plane refuses them. Every call has a deadline.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/integration/harness.h"

namespace sluice::testing {

struct H2Request {
  std::string method = "GET";
  std::string path = "/";
  std::string authority;  // empty: the address connected to
  std::string scheme = "http";
  // Sent as given (no lower-casing, no validation).
  Headers headers;
  std::string body;
  // Body bytes are sent in DATA frames of at most this size.
  size_t chunk = 16384;
};

struct H2Response {
  int32_t stream_id = 0;
  int status = 0;  // 0: no response headers (see reset_code)
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> trailers;
  std::string body;
  // The stream was reset (RST_STREAM) with this code; -1 if it was not.
  int reset_code = -1;
  bool complete = false;  // END_STREAM received
  // Steady-clock time at which each DATA chunk arrived (microseconds since the epoch of Clock).
  std::vector<int64_t> chunk_times_us;
  std::string Header(const std::string& name) const;
  std::string Describe() const;
};

struct H2Options {
  bool tls = false;
  std::string sni;             // TLS: server name to send (empty: none)
  std::string ca_pem;          // TLS: trust this CA (empty: no verification)
  std::vector<std::string> alpn = {"h2"};
  // TLS: the highest version offered (0: the library's highest), e.g. TLS1_1_VERSION.
  int max_tls_version = 0;
  // SETTINGS the client sends.
  uint32_t initial_window_size = 65535;
};

class H2Client {
 public:
  H2Client();
  ~H2Client();
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // Connects, runs the TLS handshake if asked, sends the preface and SETTINGS.
  bool Connect(const std::string& host_port, const H2Options& options = {},
               Millis timeout = Millis(3000));
  // Sends every request at once (one stream each), then waits until all of them ended (complete
  // or reset), the connection closed, or the deadline passed. Responses are in request order.
  std::vector<H2Response> Exchange(const std::vector<H2Request>& requests,
                                   Millis timeout = Millis(5000));
  H2Response Send(const H2Request& request, Millis timeout = Millis(5000));

  // Opens `count` streams and resets each at once (the rapid-reset attack), then reads until the
  // server closes the connection or the deadline passes. True if the server closed it.
  bool RapidReset(int count, Millis timeout = Millis(5000));
  // A SETTINGS value the server sent (0 when it did not send one).
  uint32_t RemoteSetting(int id) const;

  const std::string& error() const { return error_; }
  std::string alpn() const;  // the protocol TLS negotiated
  std::string peer_subject() const;  // TLS: subject CN of the server certificate
  std::string peer_fingerprint() const;  // TLS: SHA-256 of the server certificate (hex)
  bool goaway_received() const;
  bool closed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace sluice::testing
