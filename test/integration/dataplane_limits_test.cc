// Data-plane limits and shutdown through real processes: request body size per route, the
// header/body/keep-alive timers, the connection cap, graceful drain on SIGTERM and a rolling
// restart onto the same port.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<Millis>(Clock::now() - t).count();
}

// The common cluster plus a route with a small body limit.
Cluster StartLimitsCluster(const std::vector<std::string>& dp_args = {}) {
  Cluster c = StartCluster(dp_args);
  Admin(c.cp, "POST", "/routes",
        R"({"name":"small","paths":["/small"],"max_request_body_bytes":1000,"service":{"name":"llm"}})",
        201);
  REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
  return c;
}

TEST_CASE("request bodies over the route's limit get 413 before the upstream sees them",
          "[dp][limits]") {
  Cluster c = StartLimitsCluster();
  CHECK(Request("POST", c.dp.proxy, "/small/x", {}, std::string(1000, 'a')).status == 200);
  HttpResponse over = Request("POST", c.dp.proxy, "/small/x", {}, std::string(1001, 'a'));
  CHECK(over.status == 413);
  CHECK(Json::Parse(over.body).Str("/code") == "request_body_too_large");

  SECTION("a chunked body is counted as it arrives") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    std::string chunk(600, 'b');
    REQUIRE(conn.Send("POST /small/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
    std::string raw = conn.ReadUntilClose(Millis(3000));
    CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("the default limit is 8 MiB, checked on Content-Length alone") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    REQUIRE(conn.Send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 8388609\r\n\r\n"));
    std::string raw = conn.ReadUntilClose(Millis(3000));
    CHECK(raw.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(raw.find("Connection: close") != std::string::npos);
  }
  // Nothing over the limit reached the mock: only the one accepted POST did (plus health probes).
  Json stats = Json::Parse(Get(c.mock.addr, "/_mock/stats").body);
  CHECK(stats.Int("/requests") < 10);
}

TEST_CASE("slow clients get 408 and idle connections are closed", "[dp][limits]") {
  Cluster c = StartLimitsCluster({"--headers-timeout-ms", "300", "--body-idle-timeout-ms", "300",
                            "--keepalive-timeout-ms", "300"});
  SECTION("headers that never finish (slowloris)") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    auto start = Clock::now();
    REQUIRE(conn.Send("GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: "));
    std::string raw = conn.ReadUntilClose(Millis(3000));
    CHECK(raw.rfind("HTTP/1.1 408", 0) == 0);
    CHECK(raw.find("\"code\":\"request_timeout\"") != std::string::npos);
    CHECK(MsSince(start) >= 250);
    CHECK(MsSince(start) < 2000);
  }
  SECTION("a body that stalls (slow POST)") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    REQUIRE(conn.Send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-a-bit"));
    std::string raw = conn.ReadUntilClose(Millis(3000));
    CHECK(raw.rfind("HTTP/1.1 408", 0) == 0);
  }
  SECTION("a connection that never sends anything is closed without an answer") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    std::string raw = conn.ReadUntilClose(Millis(3000));
    CHECK(raw.empty());
    CHECK(conn.closed());
  }
  SECTION("an idle keep-alive connection is closed after its timeout") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    REQUIRE(conn.Send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n"));
    std::string first = conn.ReadSome(Millis(2000));
    CHECK(first.rfind("HTTP/1.1 200", 0) == 0);
    auto start = Clock::now();
    conn.ReadUntilClose(Millis(3000));
    CHECK(conn.closed());
    CHECK(MsSince(start) < 2000);
  }
}

TEST_CASE("connections beyond --max-connections get 503 too_many_connections", "[dp][limits]") {
  Cluster c = StartLimitsCluster({"--max-connections", "3"});
  std::vector<std::unique_ptr<RawConnection>> held;
  // The harness's readiness probe connections may take a moment to be reaped.
  REQUIRE(WaitUntil([&] { return Get(c.dp.proxy, "/x").status == 200; }, Millis(3000)));
  auto open_connections = [&] {
    return Json::Parse(Get(c.dp.status, "/status").body).Int("/connections");
  };
  // The probe's own connection closes on the data plane's side a moment after its response.
  REQUIRE(WaitUntil([&] { return open_connections() == 0; }, Millis(5000)));
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>());
    REQUIRE(held.back()->Connect(c.dp.proxy));
  }
  // Wait until the data plane has accepted them.
  REQUIRE(WaitUntil([&] { return open_connections() == 3; }, Millis(5000)));
  HttpResponse r = Get(c.dp.proxy, "/x");
  CHECK(r.status == 503);
  CHECK(Json::Parse(r.body).Str("/code") == "too_many_connections");
  held.clear();
  CHECK(WaitUntil([&] { return Get(c.dp.proxy, "/x").status == 200; }, Millis(3000)));
}

TEST_CASE("SIGTERM drains: requests in flight finish, then the data plane exits 0",
          "[dp][drain]") {
  Cluster c = StartLimitsCluster({"--drain-seconds", "10"});
  const std::string body =
      R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  RawConnection stream;
  REQUIRE(stream.Connect(c.dp.proxy));
  REQUIRE(stream.Send("POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nx-mock-tokens: 10\r\n"
                      "x-mock-token-delay-ms: 100\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body));
  std::string received = stream.ReadSome(Millis(2000));
  REQUIRE(received.rfind("HTTP/1.1 200", 0) == 0);

  c.dp.process->Kill(SIGTERM);
  // The status listener says "not ready" while draining, so load balancers move away.
  CHECK(WaitUntil([&] { return Get(c.dp.status, "/ready", {}, Millis(500)).status == 503; },
                  Millis(2000)));
  // New connections are no longer accepted.
  CHECK(WaitUntil([&] { return Get(c.dp.proxy, "/x", {}, Millis(500)).status == 0; },
                  Millis(2000)));
  received += stream.ReadUntilClose(Millis(5000));
  CHECK(received.find("data: [DONE]") != std::string::npos);
  // The response head went out before the signal; the connection is closed after the response.
  CHECK(stream.closed());
  REQUIRE(c.dp.process->Wait(Millis(5000)));
  CHECK(WIFEXITED(c.dp.process->wait_status()));
  CHECK(WEXITSTATUS(c.dp.process->wait_status()) == 0);
}

TEST_CASE("a rolling restart onto the same port refuses no connection", "[dp][drain]") {
  // Connections queued on the old process's listener move to the new one only when the kernel
  // migrates them (Linux 5.14+); operators set this for rolling restarts (docs/dataplane.md).
  {
    std::ofstream migrate("/proc/sys/net/ipv4/tcp_migrate_req");
    if (migrate) migrate << "1";
  }
  Cluster c = StartLimitsCluster({"--drain-seconds", "5"});
  int port = PortOf(c.dp.proxy);
  DataPlane next =
      StartDataPlane(c.cp, "dp2", NewDir("dp2") + "/cache", port, 0, {"--drain-seconds", "5"});
  REQUIRE(WaitForVersion(next, ControlPlaneVersion(c.cp)));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread client([&] {
    auto end = Clock::now() + Millis(8000);
    while (!stop && Clock::now() < end) {
      HttpResponse r = Get(c.dp.proxy, "/x", {}, Millis(2000));
      (r.status == 200 ? ok : failed)++;
    }
  });
  std::this_thread::sleep_for(Millis(300));
  c.dp.process->Kill(SIGTERM);
  REQUIRE(c.dp.process->Wait(Millis(6000)));
  std::this_thread::sleep_for(Millis(300));
  stop = true;
  client.join();
  INFO("ok=" << ok << " failed=" << failed);
  CHECK(ok > 50);
  CHECK(failed == 0);
}

}  // namespace
}  // namespace sluice::testing
