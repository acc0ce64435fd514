// The harness's own HTTP client, JSON reader and process control, against canned servers; the
// integration tests are only as trustworthy as these.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// Accepts connections on 127.0.0.1 and answers each with `pieces`, written one by one with a
// pause between them; then closes the connection unless `hold_open`.
class CannedServer {
 public:
  CannedServer(std::vector<std::string> pieces, bool hold_open = false)
      : pieces_(std::move(pieces)), hold_open_(hold_open) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(listen(listen_fd_, 16) == 0);
    addr_ = LoopbackAddr(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  const std::string& addr() const { return addr_; }
  std::string last_request() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos && !stop_) {
        pollfd rp{fd, POLLIN, 0};
        if (poll(&rp, 1, 20) <= 0) continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_request_ = request;
      }
      for (const std::string& piece : pieces_) {
        if (stop_) break;
        (void)!send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
        std::this_thread::sleep_for(Millis(30));
      }
      while (hold_open_ && !stop_) std::this_thread::sleep_for(Millis(20));
      close(fd);
    }
  }

  std::vector<std::string> pieces_;
  bool hold_open_;
  int listen_fd_ = -1;
  std::string addr_;
  mutable std::mutex mu_;
  std::string last_request_;  // Guarded by mu_.
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("harness: HTTP client framing, deadlines and JSON pointers", "[harness]") {
  SECTION("Content-Length body, split across writes; headers lower-cased and joined") {
    CannedServer server({"HTTP/1.1 201 Created\r\nContent-Length: 11\r\nX-A: 1\r\nx-a: 2\r\n",
                         "Content-Type: text/plain\r\n\r\nhello", " world", "TRAILING GARBAGE"},
                        /*hold_open=*/true);
    HttpResponse resp = Request("POST", server.addr(), "/p?q=1", {{"X-Test", "yes"}}, "abc",
                                Millis(2000));
    INFO(resp.Describe());
    CHECK(resp.status == 201);
    CHECK(resp.body == "hello world");
    CHECK(resp.Header("x-a") == "1, 2");
    CHECK(resp.Header("content-type") == "text/plain");
    const std::string req = server.last_request();
    CHECK(req.rfind("POST /p?q=1 HTTP/1.1\r\n", 0) == 0);
    CHECK(req.find("Content-Length: 3\r\n") != std::string::npos);
    CHECK(req.find("X-Test: yes\r\n") != std::string::npos);
    CHECK(req.find("Host: " + server.addr() + "\r\n") != std::string::npos);
  }

  SECTION("chunked body with extensions and trailers, split mid-chunk") {
    CannedServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWi",
                         "ki\r\n5\r\npedia\r\n0\r\nX-Trailer: t\r\n", "\r\n"},
                        /*hold_open=*/true);
    HttpResponse resp = Get(server.addr(), "/", {}, Millis(2000));
    INFO(resp.Describe());
    CHECK(resp.status == 200);
    CHECK(resp.body == "Wikipedia");
  }

  SECTION("body delimited by close") {
    CannedServer server({"HTTP/1.0 200 OK\r\n\r\npart one,", " part two"});
    HttpResponse resp = Get(server.addr(), "/", {}, Millis(2000));
    CHECK(resp.status == 200);
    CHECK(resp.body == "part one, part two");
  }

  SECTION("204 has no body even when the connection stays open") {
    CannedServer server({"HTTP/1.1 204 No Content\r\n\r\n"}, /*hold_open=*/true);
    HttpResponse resp = Request("DELETE", server.addr(), "/x", {}, {}, Millis(2000));
    CHECK(resp.status == 204);
    CHECK(resp.body.empty());
  }

  SECTION("a server that never answers costs the timeout, not more") {
    CannedServer server({}, /*hold_open=*/true);
    const auto start = Clock::now();
    HttpResponse resp = Get(server.addr(), "/", {}, Millis(300));
    const auto took = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
    CHECK(resp.status == 0);
    CHECK(resp.error.find("timed out") != std::string::npos);
    CHECK(took >= 250);
    CHECK(took < 1500);
  }

  SECTION("a truncated Content-Length body is an error, not a response") {
    CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"});
    HttpResponse resp = Get(server.addr(), "/", {}, Millis(2000));
    CHECK(resp.status == 0);
    CHECK(resp.error.find("before the end of the body") != std::string::npos);
  }

  SECTION("connection refused") {
    HttpResponse resp = Get(LoopbackAddr(FreePort()), "/", {}, Millis(1000));
    CHECK(resp.status == 0);
    CHECK(resp.error.find("connect") != std::string::npos);
  }

  SECTION("raw connection reads progressively") {
    CannedServer server({"first", "second", "third"});
    RawConnection conn;
    REQUIRE(conn.Connect(server.addr()));
    REQUIRE(conn.Send("GET / HTTP/1.1\r\n\r\n"));
    std::string first = conn.ReadSome(Millis(1000));
    CHECK(first == "first");
    std::string rest = conn.ReadUntilClose(Millis(2000));
    CHECK(rest == "secondthird");
    CHECK(conn.closed());
  }

  SECTION("JSON pointers") {
    Json j = Json::Parse(
        R"({"code":"invalid_config","fields":{"paths[1]":"must start with /"},)"
        R"("data":[{"n":1},{"n":2}],"next":null,"ok":true})");
    REQUIRE(j.ok());
    CHECK(j.Str("/code") == "invalid_config");
    CHECK(j.Str("/fields/paths[1]") == "must start with /");
    CHECK(j.Keys("/fields") == std::vector<std::string>{"paths[1]"});
    CHECK(j.Size("/data") == 2);
    CHECK(j.Int("/data/1/n") == 2);
    CHECK(j.Int("/data/5/n", -7) == -7);
    CHECK(j.Raw("/next") == "null");
    CHECK(j.Bool("/ok"));
    CHECK(j.Str("/missing") == "<missing /missing>");
    CHECK_FALSE(Json::Parse("{oops").ok());
  }
}

TEST_CASE("harness: processes are logged, signalled and reaped", "[harness]") {
  Process sleeper("sleeper", "/bin/sh", {"-c", "echo started; exec sleep 30"});
  REQUIRE(sleeper.started());
  CHECK(WaitUntil([&] { return sleeper.ReadLog().find("\nstarted") != std::string::npos; },
                  Millis(2000)));
  CHECK(sleeper.Running());
  CHECK_FALSE(sleeper.Wait(Millis(50)));
  sleeper.Kill(SIGTERM);
  CHECK(sleeper.Wait(Millis(2000)));
  CHECK(WIFSIGNALED(sleeper.wait_status()));
  CHECK(WTERMSIG(sleeper.wait_status()) == SIGTERM);

  // A process that ignores SIGTERM is killed after the grace period.
  Process stubborn("stubborn", "/bin/sh",
                   {"-c", "trap '' TERM; echo ready; while :; do sleep 1; done"});
  REQUIRE(WaitUntil([&] { return stubborn.ReadLog().find("\nready") != std::string::npos; },
                    Millis(2000)));
  const auto start = Clock::now();
  stubborn.Stop(Millis(200));
  CHECK_FALSE(stubborn.Running());
  CHECK(std::chrono::duration_cast<Millis>(Clock::now() - start).count() < 3000);

  Process missing("missing", BinDir() + "/no-such-binary", {});
  CHECK_FALSE(missing.started());
  CHECK(missing.ReadLog().find("cannot execute") != std::string::npos);
}

}  // namespace
}  // namespace sluice::testing
