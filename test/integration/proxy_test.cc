// What the data plane does to a request on its way upstream, streaming, and upstream failures.
#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<Millis>(Clock::now() - t).count();
}

TEST_CASE("proxy headers: request id, forwarding headers, hop-by-hop, strip_path",
          "[dp][proxy]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  Admin(cp, "POST", "/services", R"({"name":"echo","url":")" + mock.Url() + R"("})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":"keep","paths":["/keep"],"strip_path":false,"service":{"name":"echo"}})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":"strip","paths":["/strip"],"strip_path":true,"service":{"name":"echo"}})", 201);
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));

  SECTION("X-Request-Id is generated, or kept when the client sends one") {
    HttpResponse generated = Get(dp.proxy, "/keep/a");
    INFO(generated.Describe());
    REQUIRE(generated.status == 200);
    const std::string id1 = Json::Parse(generated.body).Str("/headers/x-request-id");
    CHECK(id1.size() >= 16);
    CHECK(id1.front() != '<');
    HttpResponse again = Get(dp.proxy, "/keep/a");
    CHECK(Json::Parse(again.body).Str("/headers/x-request-id") != id1);

    HttpResponse kept = Get(dp.proxy, "/keep/a", {{"X-Request-Id", "client-chosen-id-42"}});
    INFO(kept.Describe());
    CHECK(Json::Parse(kept.body).Str("/headers/x-request-id") == "client-chosen-id-42");
  }

  SECTION("X-Forwarded-*, Via") {
    HttpResponse resp = Get(dp.proxy, "/keep/a", {{"Host", "gateway.example.test"}});
    INFO(resp.Describe());
    REQUIRE(resp.status == 200);
    Json echo = Json::Parse(resp.body);
    CHECK(echo.Str("/headers/x-forwarded-for") == "127.0.0.1");
    CHECK(echo.Str("/headers/x-forwarded-proto") == "http");
    CHECK(echo.Str("/headers/x-forwarded-host") == "gateway.example.test");
    const std::string via = echo.Str("/headers/via");
    CHECK(via.rfind("1.1 ", 0) == 0);
    // The upstream gets the service's host, not the client's (preserve_host is off).
    CHECK(echo.Str("/headers/host") == mock.addr);

    // An existing X-Forwarded-For is extended, not replaced.
    HttpResponse chained = Get(dp.proxy, "/keep/a", {{"X-Forwarded-For", "203.0.113.7"}});
    CHECK(Json::Parse(chained.body).Str("/headers/x-forwarded-for") == "203.0.113.7, 127.0.0.1");
  }

  SECTION("hop-by-hop headers are not forwarded; end-to-end ones are") {
    HttpResponse resp = Get(dp.proxy, "/keep/a",
                            {{"Connection", "close, X-Hop-Custom"},
                             {"Keep-Alive", "timeout=5"},
                             {"TE", "trailers"},
                             {"Upgrade", "example/1"},
                             {"Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA=="},
                             {"X-Hop-Custom", "must-not-pass"},
                             {"X-End-To-End", "must-pass"}});
    INFO(resp.Describe());
    REQUIRE(resp.status == 200);
    Json echo = Json::Parse(resp.body);
    CHECK_FALSE(echo.Has("/headers/keep-alive"));
    CHECK_FALSE(echo.Has("/headers/te"));
    CHECK_FALSE(echo.Has("/headers/upgrade"));
    CHECK_FALSE(echo.Has("/headers/proxy-authorization"));
    CHECK_FALSE(echo.Has("/headers/x-hop-custom"));
    // The upstream connection is the proxy's own (kept alive), not the client's "close".
    CHECK(echo.Str("/headers/connection").find("close") == std::string::npos);
    CHECK(echo.Str("/headers/x-end-to-end") == "must-pass");
  }

  SECTION("strip_path true removes the matched prefix; false keeps it; the query survives") {
    HttpResponse kept = Get(dp.proxy, "/keep/a/b?x=1&y=2");
    INFO(kept.Describe());
    CHECK(Json::Parse(kept.body).Str("/uri") == "/keep/a/b?x=1&y=2");
    HttpResponse stripped = Get(dp.proxy, "/strip/a/b?x=1");
    INFO(stripped.Describe());
    CHECK(Json::Parse(stripped.body).Str("/uri") == "/a/b?x=1");
    HttpResponse bare = Get(dp.proxy, "/strip");
    INFO(bare.Describe());
    CHECK(Json::Parse(bare.body).Str("/uri") == "/");
  }

  SECTION("request bodies reach the upstream intact, chunked ones too") {
    std::string big(200 * 1024, 'x');
    for (size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + (i / 1000) % 26);
    HttpResponse resp = Request("POST", dp.proxy, "/keep/upload", {}, big, Millis(10'000));
    INFO(resp.status << " " << resp.error);
    REQUIRE(resp.status == 200);
    Json echo = Json::Parse(resp.body);
    CHECK(echo.Int("/body_bytes") == static_cast<int64_t>(big.size()));
    CHECK(echo.Str("/body") == big);

    HttpResponse chunked = Request("POST", dp.proxy, "/keep/upload",
                                   {{"Transfer-Encoding", "chunked"}},
                                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    INFO(chunked.Describe());
    CHECK(chunked.status == 200);
    CHECK(Json::Parse(chunked.body).Str("/body") == "hello world");
  }
}

TEST_CASE("an SSE chat completion streams through the data plane as it is produced",
          "[dp][proxy][streaming]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  REQUIRE(WaitForVersion(dp, AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])")));

  constexpr int kTokens = 12;
  constexpr int kTokenDelayMs = 100;
  const std::string body =
      R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
      "x-mock-tokens: " + std::to_string(kTokens) +
      "\r\nx-mock-token-delay-ms: " + std::to_string(kTokenDelayMs) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  RawConnection conn;
  REQUIRE(conn.Connect(dp.proxy));
  const Clock::time_point sent = Clock::now();
  REQUIRE(conn.Send(request));

  std::string received;
  int64_t first_event_ms = -1;
  int64_t done_ms = -1;
  int reads_with_events = 0;
  const Clock::time_point deadline = sent + Millis(10'000);
  while (Clock::now() < deadline && done_ms < 0) {
    std::string bytes = conn.ReadSome(Millis(2000));
    if (bytes.empty()) break;
    received += bytes;
    if (bytes.find("data:") != std::string::npos) ++reads_with_events;
    if (first_event_ms < 0 && received.find("data:") != std::string::npos) {
      first_event_ms = MsSince(sent);
    }
    if (received.find("data: [DONE]") != std::string::npos) done_ms = MsSince(sent);
  }
  INFO("first event after " << first_event_ms << " ms, [DONE] after " << done_ms << " ms, "
                            << reads_with_events << " reads carried events; received:\n"
                            << received.substr(0, 1500));
  REQUIRE(received.rfind("HTTP/1.1 200", 0) == 0);
  const std::string head = received.substr(0, received.find("\r\n\r\n"));
  CHECK(head.find("text/event-stream") != std::string::npos);
  REQUIRE(first_event_ms >= 0);
  REQUIRE(done_ms >= 0);
  // The whole answer takes about kTokens * kTokenDelayMs; the first event must not wait for it.
  CHECK(done_ms >= (kTokens - 2) * kTokenDelayMs);
  CHECK(first_event_ms <= done_ms - (kTokens / 2) * kTokenDelayMs);
  CHECK(reads_with_events >= kTokens / 2);
}

TEST_CASE("upstream down gives 502 upstream_unavailable, too slow gives 504 upstream_timeout",
          "[dp][proxy]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  const int dead_port = FreePort();  // Nothing listens there.
  Admin(cp, "POST", "/services",
        R"({"name":"down","url":"http://127.0.0.1:)" + std::to_string(dead_port) + R"("})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":"down","paths":["/down"],"service":{"name":"down"}})", 201);
  Admin(cp, "POST", "/services",
        R"({"name":"slow","url":")" + mock.Url() + R"(","read_timeout":300})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":"slow","paths":["/slow"],"strip_path":false,"service":{"name":"slow"}})", 201);
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));

  HttpResponse down = Get(dp.proxy, "/down/x");
  INFO(down.Describe());
  CHECK(down.status == 502);
  CHECK(Json::Parse(down.body).Str("/code") == "upstream_unavailable");

  // Within the read timeout: fine.
  HttpResponse quick = Get(dp.proxy, "/slow/x", {{"x-mock-delay-ms", "50"}});
  INFO(quick.Describe());
  CHECK(quick.status == 200);

  const Clock::time_point start = Clock::now();
  HttpResponse slow = Get(dp.proxy, "/slow/x", {{"x-mock-delay-ms", "3000"}}, Millis(6000));
  const int64_t took = MsSince(start);
  INFO(slow.Describe() << " after " << took << " ms");
  CHECK(slow.status == 504);
  CHECK(Json::Parse(slow.body).Str("/code") == "upstream_timeout");
  CHECK(took >= 250);
  CHECK(took < 2000);

  // The data plane is still fine afterwards.
  CHECK(Get(dp.proxy, "/slow/y").status == 200);
}

}  // namespace
}  // namespace sluice::testing
