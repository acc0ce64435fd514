// Odd responses from an HTTP/1.1 upstream and what clients get from them, over HTTP/1.1 and
// HTTP/2: interim responses, 101, 204 with a Content-Length, trailing whitespace in values, and
// responses to HEAD. Each was a fuzz_h2_server finding (test/fuzz/README.md); these keep the
// behaviour fixed with real processes.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "test/integration/h2_client.h"
#include "test/integration/harness.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sluice::testing {
namespace {

// Answers every request with the bytes scripted for its path (the request target up to the
// first space), then waits for the next request on the same connection.
using Scripts = std::vector<std::pair<std::string, std::string>>;  // path, response bytes

class ScriptedUpstream {
 public:
  explicit ScriptedUpstream(Scripts scripts)
      : scripts_(std::move(scripts)) {
    listen_fd_ = ListenOnLoopback(16, &port_);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ScriptedUpstream() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : workers_) t.join();
    close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string buffer;
    auto deadline = Clock::now() + Millis(10000);
    while (!stop_ && Clock::now() < deadline) {
      size_t head_end = buffer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        // Requests here have no body.
        size_t sp = buffer.find(' ');
        size_t sp2 = buffer.find(' ', sp + 1);
        std::string path = buffer.substr(sp + 1, sp2 - sp - 1);
        buffer.erase(0, head_end + 4);
        ++requests_;
        std::string reply = "HTTP/1.1 500 Unscripted\r\nContent-Length: 0\r\n\r\n";
        for (const auto& [p, bytes] : scripts_) {
          if (p == path) reply = bytes;
        }
        (void)!write(fd, reply.data(), reply.size());
        continue;
      }
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char chunk[4096];
      ssize_t r = read(fd, chunk, sizeof chunk);
      if (r <= 0) break;
      buffer.append(chunk, static_cast<size_t>(r));
    }
    close(fd);
  }

  Scripts scripts_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // only the acceptor thread adds to it
};

struct Fixture {
  explicit Fixture(ScriptedUpstream& upstream)
      : cp(StartControlPlane(NewDir("cp-data"))),
        dp(StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"), 0, 0, {"--workers", "1"})) {
    AddServiceAndRoute(cp, "scripted", upstream.url(), "all", R"(["/"])");
    REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  }
  ControlPlane cp;
  DataPlane dp;
};

TEST_CASE("interim upstream responses are skipped and never carry a body", "[dp][upstream-responses]") {
  ScriptedUpstream upstream(Scripts{
      {"/early-hints",
       "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
       "HTTP/1.1 100 Continue\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"},
      // A Content-Length on a 1xx does not make it have a body (RFC 9110 §15.2): the bytes after
      // its head are the next response, and "HELLO" is not one.
      {"/interim-with-body",
       "HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\n\r\nHELLO"
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
  });
  Fixture f(upstream);

  HttpResponse h1 = Get(f.dp.proxy, "/early-hints");
  INFO(h1.Describe());
  CHECK(h1.status == 200);
  CHECK(h1.body == "final");

  H2Client client;
  REQUIRE(client.Connect(f.dp.proxy));
  H2Response h2 = client.Send({.path = "/early-hints"});
  INFO(h2.Describe());
  CHECK(h2.status == 200);
  CHECK(h2.body == "final");

  H2Response bad = client.Send({.path = "/interim-with-body"});
  INFO(bad.Describe());
  CHECK(bad.status == 502);
  CHECK(bad.body.find("HELLO") == std::string::npos);
  CHECK(Json::Parse(bad.body).Str("/code") == "bad_upstream_response");
}

TEST_CASE("a 101 from an upstream that was not asked to upgrade is a bad response",
          "[dp][upstream-responses]") {
  ScriptedUpstream upstream(Scripts{{"/switch", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
                                         "Connection: Upgrade\r\n\r\n"}});
  Fixture f(upstream);
  HttpResponse h1 = Get(f.dp.proxy, "/switch");
  INFO(h1.Describe());
  CHECK(h1.status == 502);
  H2Client client;
  REQUIRE(client.Connect(f.dp.proxy));
  H2Response h2 = client.Send({.path = "/switch"});
  INFO(h2.Describe());
  CHECK(h2.status == 502);
  CHECK(Json::Parse(h2.body).Str("/code") == "bad_upstream_response");
}

TEST_CASE("a 204 loses its Content-Length and trailing whitespace leaves field values",
          "[dp][upstream-responses]") {
  ScriptedUpstream upstream(Scripts{
      {"/no-content", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kept: yes\r\n\r\n"},
      {"/spaces", "HTTP/1.1 200 OK\r\nX-Trailing: value \t \r\nContent-Length: 2\r\n\r\nok"},
  });
  Fixture f(upstream);
  H2Client client;
  REQUIRE(client.Connect(f.dp.proxy));
  // Twice on one connection: the first answer must not leave the connection waiting for a body.
  for (int i = 0; i < 2; ++i) {
    H2Response r = client.Send({.path = "/no-content"});
    INFO(r.Describe());
    CHECK(r.status == 204);
    CHECK(r.reset_code == -1);
    CHECK(r.headers.count("content-length") == 0);
    CHECK(r.Header("x-kept") == "yes");
    CHECK(r.body.empty());
  }
  H2Response r = client.Send({.path = "/spaces"});
  INFO(r.Describe());
  CHECK(r.status == 200);
  CHECK(r.reset_code == -1);
  CHECK(r.Header("x-trailing") == "value");

  HttpResponse h1 = Get(f.dp.proxy, "/spaces");
  CHECK(h1.status == 200);
  CHECK(h1.body == "ok");
}

TEST_CASE("HTTP/2 answers to HEAD end with their headers, local errors included",
          "[dp][upstream-responses]") {
  ScriptedUpstream upstream(
      Scripts{{"/page", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n"}});
  Fixture f(upstream);
  H2Client client;
  REQUIRE(client.Connect(f.dp.proxy));
  H2Response proxied = client.Send({.method = "HEAD", .path = "/page"});
  INFO(proxied.Describe());
  CHECK(proxied.status == 200);
  CHECK(proxied.reset_code == -1);
  CHECK(proxied.complete);
  CHECK(proxied.body.empty());
  CHECK(proxied.Header("content-length") == "4");

  Admin(f.cp, "DELETE", "/routes/all", "", 204);
  REQUIRE(WaitForVersion(f.dp, ControlPlaneVersion(f.cp)));
  H2Response local = client.Send({.method = "HEAD", .path = "/nowhere"});
  INFO(local.Describe());
  CHECK(local.status == 404);
  CHECK(local.reset_code == -1);
  CHECK(local.complete);
  CHECK(local.body.empty());
  // The connection is still good for the next stream.
  CHECK(client.Send({.path = "/nowhere"}).status == 404);
}

}  // namespace
}  // namespace sluice::testing
