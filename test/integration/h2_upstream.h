#pragma once
// An HTTP/2 upstream for integration tests (nghttp2 server in a thread of the test process), in
// cleartext (prior knowledge) or TLS (ALPN h2), optionally requiring a client certificate. What it
// answers is steered by request fields, so one server covers many tests:
//
//   x-delay-ms: N          answer N ms after the request ended
//   x-response-bytes: N    a body of N bytes ('x'), sent as the client's flow control allows
//   x-trailers: a=1,b=2    send these trailer fields after the body
//   x-status: N            the response status (default 200)
//
// The default body describes the request: "method=... path=... authority=... te=... body=<len>
// conn=<connection number>". Counters let tests see how the proxy used connections.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

struct H2UpstreamOptions {
  bool tls = false;
  std::string cert_pem;  // TLS: the server certificate chain and key
  std::string key_pem;
  std::string client_ca_pem;  // TLS: require a client certificate signed by this CA
  uint32_t max_concurrent_streams = 100;
  // When > 0: connection number 1, once it has seen this many requests, sends GOAWAY whose last
  // stream id is its first request's, answers only that one and then closes; the proxy must send
  // the others again on another connection.
  int goaway_first_connection_after = 0;
  // Initial stream window the server announces (request bodies).
  uint32_t initial_window_size = 65535;
};

class H2Upstream {
 public:
  explicit H2Upstream(H2UpstreamOptions options = {});
  ~H2Upstream();
  H2Upstream(const H2Upstream&) = delete;
  H2Upstream& operator=(const H2Upstream&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_; }
  // Requests answered (stream ended by the client and a response started).
  int requests() const { return requests_; }
  // The most streams one connection had open at once.
  int max_concurrent_seen() const { return max_concurrent_seen_; }
  // Subject CN of the client certificate of the latest TLS connection ("" if none).
  std::string last_client_cn() const;
  // Bytes of request bodies received so far (all streams).
  int64_t body_bytes() const { return body_bytes_; }

  struct Connection;

 private:
  void AcceptLoop();
  void Serve(int fd, int number);

  H2UpstreamOptions options_;
  int listen_fd_ = -1;
  int port_ = 0;
  void* ssl_ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> max_concurrent_seen_{0};
  std::atomic<int64_t> body_bytes_{0};
  mutable std::mutex mu_;
  std::string last_client_cn_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace sluice::testing
