// HTTP/1.1 upstream connection reuse: a pooled keep-alive connection that the upstream closed is
// detected when the next request fails on it before any response byte, and the request (body
// included) is sent again on a new connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// Answers the first request of each connection (keep-alive, body "conn=<n> body=<request body>")
// and closes the connection, without an answer, when a second request arrives on it: what an
// upstream whose keep-alive timer fired looks like to a request already on its way.
class OneShotUpstream {
 public:
  OneShotUpstream() {
    listen_fd_ = ListenOnLoopback(16, &port_);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~OneShotUpstream() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : workers_) t.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  int dropped() const { return dropped_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      int n = ++connections_;
      workers_.emplace_back([this, fd, n] { Serve(fd, n); });
    }
  }

  // Reads one request (head + Content-Length body); false when the peer closed or time ran out.
  bool ReadRequest(int fd, std::string* buffer, std::string* body) {
    auto deadline = Clock::now() + Millis(5000);
    for (;;) {
      size_t head_end = buffer->find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        size_t cl = buffer->find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::strtoul(buffer->c_str() + cl + 16, nullptr, 10);
        if (buffer->size() >= head_end + 4 + length) {
          *body = buffer->substr(head_end + 4, length);
          buffer->erase(0, head_end + 4 + length);
          return true;
        }
      }
      if (stop_ || Clock::now() > deadline) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char chunk[4096];
      ssize_t r = read(fd, chunk, sizeof chunk);
      if (r <= 0) return false;
      buffer->append(chunk, static_cast<size_t>(r));
    }
  }

  void Serve(int fd, int conn) {
    std::string buffer, body;
    if (ReadRequest(fd, &buffer, &body)) {
      std::string payload = "conn=" + std::to_string(conn) + " body=" + body;
      std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                             std::to_string(payload.size()) + "\r\n\r\n" + payload;
      (void)!write(fd, response.data(), response.size());
      if (ReadRequest(fd, &buffer, &body)) ++dropped_;
    }
    close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> dropped_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // only the acceptor thread adds to it
};

TEST_CASE("a pooled connection the upstream closed is replayed on a new one, body included",
          "[dp][upstream]") {
  OneShotUpstream upstream;
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"), 0, 0, {"--workers", "1"});
  AddServiceAndRoute(cp, "oneshot", "http://127.0.0.1:" + std::to_string(upstream.port()), "all",
                     R"(["/"])");
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));

  HttpResponse first = Request("POST", dp.proxy, "/a", {}, "first-body");
  INFO(first.Describe());
  REQUIRE(first.status == 200);
  CHECK(first.body == "conn=1 body=first-body");

  // The data plane's pooled connection is still open on both ends; the upstream drops it when
  // this request arrives, and the data plane sends the request again on connection 2.
  HttpResponse second = Request("POST", dp.proxy, "/b", {}, "second-body");
  INFO(second.Describe());
  CHECK(second.status == 200);
  CHECK(second.body == "conn=2 body=second-body");
  CHECK(upstream.dropped() == 1);
  CHECK(upstream.connections() == 2);
}

}  // namespace
}  // namespace sluice::testing
