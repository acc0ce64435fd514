// HTTP/2 from clients (cleartext with prior knowledge here; over TLS in tls_test.cc): requests
// proxied to HTTP/1.1 upstreams, multiplexing, streaming, flow control, and malformed requests
// that must never reach an upstream.
#include <nghttp2/nghttp2.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

#include "test/integration/h2_client.h"
#include "test/integration/harness.h"

// Requests are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sluice::testing {
namespace {

int64_t MockRequests(const MockLlm& mock) {
  return Json::Parse(Get(mock.addr, "/_mock/stats").body).Int("/requests", -1);
}

TEST_CASE("h2c: requests are proxied to an HTTP/1.1 upstream", "[dp][h2]") {
  Cluster c = StartCluster();
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));

  SECTION("a GET, with the forwarding headers an HTTP/1.1 request gets") {
    H2Response r = client.Send({.path = "/echo/a?x=1", .headers = {{"x-custom", "kept"}}});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    Json echo = Json::Parse(r.body);
    CHECK(echo.Str("/uri") == "/echo/a?x=1");
    CHECK(echo.Str("/version") == "HTTP/1.1");
    CHECK(echo.Str("/headers/x-custom") == "kept");
    CHECK(echo.Str("/headers/x-forwarded-proto") == "http");
    CHECK(echo.Str("/headers/x-forwarded-host") == c.dp.proxy);
    CHECK(echo.Str("/headers/via").find("sluice") != std::string::npos);
    CHECK(r.Header("x-request-id") == echo.Str("/headers/x-request-id"));
    // Response fields are lower case on HTTP/2, and no connection-specific field comes back.
    CHECK(r.Header("content-type") == "application/json");
    CHECK_FALSE(r.headers.count("connection"));
    CHECK_FALSE(r.headers.count("keep-alive"));
    CHECK_FALSE(r.headers.count("transfer-encoding"));
  }

  SECTION("a POST body without content-length reaches the upstream whole (chunked)") {
    std::string body(100000, 'b');
    for (size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
    H2Response r = client.Send({.method = "POST", .path = "/echo/post", .body = body, .chunk = 1000});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    Json echo = Json::Parse(r.body);
    CHECK(echo.Str("/body") == body);
    CHECK(echo.Str("/headers/transfer-encoding") == "chunked");
  }

  SECTION("a POST with content-length keeps it") {
    std::string body = R"({"model":"m","messages":[]})";
    H2Response r = client.Send({.method = "POST",
                                .path = "/echo/len",
                                .headers = {{"content-length", std::to_string(body.size())}},
                                .body = body});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    Json echo = Json::Parse(r.body);
    CHECK(echo.Str("/body") == body);
    CHECK(echo.Str("/headers/content-length") == std::to_string(body.size()));
  }

  SECTION("split cookies are joined for the HTTP/1.1 upstream") {
    H2Response r = client.Send({.path = "/echo/c", .headers = {{"cookie", "a=1"}, {"cookie", "b=2"}}});
    REQUIRE(r.status == 200);
    CHECK(Json::Parse(r.body).Str("/headers/cookie") == "a=1; b=2");
  }

  SECTION("errors are JSON on HTTP/2 too") {
    Admin(c.cp, "DELETE", "/routes/all", "", 204);
    REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
    H2Response r = client.Send({.path = "/nowhere"});
    REQUIRE(r.status == 404);
    CHECK(Json::Parse(r.body).Str("/code") == "no_route");
  }
}

TEST_CASE("h2c: many streams share one connection, each gets its own answer", "[dp][h2]") {
  Cluster c = StartCluster();
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  std::vector<H2Request> reqs;
  for (int i = 0; i < 150; ++i) {
    // Slow answers keep streams open at the same time; more than max_concurrent_streams (100)
    // are queued by the client, as SETTINGS tell it to.
    reqs.push_back({.path = "/echo/" + std::to_string(i), .headers = {{"x-mock-delay-ms", "200"}}});
  }
  auto start = Clock::now();
  std::vector<H2Response> out = client.Exchange(reqs, Millis(10000));
  auto took = std::chrono::duration_cast<Millis>(Clock::now() - start).count();
  REQUIRE(out.size() == reqs.size());
  for (size_t i = 0; i < out.size(); ++i) {
    INFO(out[i].Describe());
    REQUIRE(out[i].status == 200);
    CHECK(Json::Parse(out[i].body).Str("/uri") == "/echo/" + std::to_string(i));
  }
  // 150 requests of 200 ms each, at most 100 at a time: two rounds, not 150 sequential ones.
  CHECK(took < 3000);
  CHECK(client.RemoteSetting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 100);
  CHECK(client.RemoteSetting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) == 65536);
}

TEST_CASE("h2c: large responses flow under flow control, and SSE is streamed as it arrives",
          "[dp][h2]") {
  Cluster c = StartCluster();
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy, {.initial_window_size = 16384}));

  SECTION("4 MiB response with a small client window") {
    H2Response r = client.Send({.path = "/_mock/json?size=4194304"}, Millis(20000));
    INFO(r.Describe().substr(0, 200));
    REQUIRE(r.status == 200);
    CHECK(r.body.size() == 4194304);
    CHECK(r.complete);
  }

  SECTION("SSE chunks arrive one by one, not at the end") {
    std::string body =
        R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    H2Response r = client.Send({.method = "POST",
                                .path = "/v1/chat/completions",
                                .headers = {{"content-type", "application/json"},
                                            {"x-mock-tokens", "10"},
                                            {"x-mock-token-delay-ms", "50"}},
                                .body = body},
                               Millis(10000));
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.Header("content-type").find("text/event-stream") == 0);
    CHECK(r.body.find("data: [DONE]") != std::string::npos);
    REQUIRE(r.chunk_times_us.size() >= 5);
    // 10 tokens 50 ms apart: the first chunk comes long before the last.
    CHECK(r.chunk_times_us.back() - r.chunk_times_us.front() > 300000);
  }
}

TEST_CASE("h2c: malformed requests are refused and never reach the upstream", "[dp][h2]") {
  Cluster c = StartCluster();
  int64_t before = MockRequests(c.mock);
  REQUIRE(before >= 0);

  struct Case {
    const char* what;
    H2Request req;
  };
  std::vector<Case> cases = {
      {"upper-case field name", {.path = "/echo/x", .headers = {{"X-Upper", "v"}}}},
      {"transfer-encoding", {.method = "POST", .path = "/echo/x", .headers = {{"transfer-encoding", "chunked"}}, .body = "5\r\nhello\r\n0\r\n\r\n"}},
      {"connection", {.path = "/echo/x", .headers = {{"connection", "keep-alive"}}}},
      {"keep-alive", {.path = "/echo/x", .headers = {{"keep-alive", "timeout=5"}}}},
      {"upgrade", {.path = "/echo/x", .headers = {{"upgrade", "websocket"}}}},
      {"te other than trailers", {.path = "/echo/x", .headers = {{"te", "gzip"}}}},
      {"CR LF in a value", {.path = "/echo/x", .headers = {{"x-a", "a\r\nx-injected: 1"}}}},
      {"LF in a value", {.path = "/echo/x", .headers = {{"x-a", "a\nb"}}}},
      {"NUL in a value", {.path = "/echo/x", .headers = {{"x-a", std::string("a\0b", 3)}}}},
      {"space in a name", {.path = "/echo/x", .headers = {{"x a", "v"}}}},
      {"colon in a name", {.path = "/echo/x", .headers = {{"x:a", "v"}}}},
      {"CR in a name", {.path = "/echo/x", .headers = {{"x\ra", "v"}}}},
      {"content-length larger than the body",
       {.method = "POST", .path = "/echo/x", .headers = {{"content-length", "100"}}, .body = "short"}},
      {"content-length smaller than the body",
       {.method = "POST", .path = "/echo/x", .headers = {{"content-length", "3"}}, .body = "much longer body"}},
      {"content-length not a number",
       {.method = "POST", .path = "/echo/x", .headers = {{"content-length", "+5"}}, .body = "hello"}},
      {"missing :path", {.path = "", .headers = {}}},
      // HTTP/1.1 clients cannot send a method http-parser does not know; HTTP/2 ones neither.
      {"unknown method", {.method = "PET", .path = "/echo/x"}},
      {"lower-case method", {.method = "get", .path = "/echo/x"}},
  };
  for (const Case& k : cases) {
    INFO(k.what);
    H2Client client;
    REQUIRE(client.Connect(c.dp.proxy));
    H2Response r = client.Send(k.req, Millis(3000));
    INFO(r.Describe());
    // Refused as malformed: the stream (or the connection) is reset, or a 400 comes back.
    bool refused = r.reset_code == NGHTTP2_PROTOCOL_ERROR || r.status == 400 ||
                   (r.status == 0 && client.closed());
    CHECK(refused);
    CHECK(r.status != 200);
    // Nothing reached the mock but the stats request itself (each case alone would have made
    // one request there).
    int64_t now = MockRequests(c.mock);
    CHECK(now == before + 1);
    before = now;
  }

  // And the data plane is fine afterwards.
  H2Client ok;
  REQUIRE(ok.Connect(c.dp.proxy));
  CHECK(ok.Send({.path = "/echo/ok"}).status == 200);
}

TEST_CASE("h2c: header limits answer 431", "[dp][h2]") {
  Cluster c = StartCluster();
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  SECTION("more than 100 fields") {
    H2Request req{.path = "/echo/x"};
    for (int i = 0; i < 101; ++i) req.headers.push_back({"x-h" + std::to_string(i), "v"});
    H2Response r = client.Send(req);
    INFO(r.Describe());
    REQUIRE(r.status == 431);
    CHECK(Json::Parse(r.body).Str("/code") == "too_many_headers");
  }
  SECTION("100 fields are fine") {
    H2Request req{.path = "/echo/x"};
    for (int i = 0; i < 100; ++i) req.headers.push_back({"x-h" + std::to_string(i), "v"});
    CHECK(client.Send(req).status == 200);
  }
  SECTION("more than 60 KiB of fields") {
    H2Request req{.path = "/echo/x"};
    for (int i = 0; i < 8; ++i) req.headers.push_back({"x-big" + std::to_string(i), std::string(8000, 'a' + i)});
    H2Response r = client.Send(req);
    INFO(r.Describe());
    // 431 from the data plane, or the connection refused by the HPACK decoder's own limit.
    CHECK((r.status == 431 || r.reset_code >= 0 || client.closed()));
    CHECK(r.status != 200);
  }
}

TEST_CASE("h2c: rapid reset closes the connection, others are unaffected", "[dp][h2]") {
  Cluster c = StartCluster();
  H2Client attacker;
  REQUIRE(attacker.Connect(c.dp.proxy));
  CHECK(attacker.RapidReset(5000, Millis(10000)));
  // The connection says why it ends (RFC 9113 §5.4.1).
  CHECK(attacker.goaway_received());
  H2Client other;
  REQUIRE(other.Connect(c.dp.proxy));
  CHECK(other.Send({.path = "/echo/after"}).status == 200);
}

TEST_CASE("h2c: SIGTERM sends GOAWAY and lets the stream in flight finish", "[dp][h2]") {
  Cluster c = StartCluster({"--drain-seconds", "10"});
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  REQUIRE(client.Send({.path = "/echo/warm"}).status == 200);
  std::string body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  H2Request slow{.method = "POST",
                 .path = "/v1/chat/completions",
                 .headers = {{"x-mock-tokens", "10"}, {"x-mock-token-delay-ms", "100"}},
                 .body = body};
  std::thread killer([&] {
    std::this_thread::sleep_for(Millis(300));
    c.dp.process->Kill(SIGTERM);
  });
  H2Response r = client.Send(slow, Millis(10000));
  killer.join();
  INFO(r.Describe());
  CHECK(r.status == 200);
  CHECK(r.complete);
  CHECK(r.body.find("data: [DONE]") != std::string::npos);
  CHECK(client.goaway_received());
  CHECK(c.dp.process->Wait(Millis(5000)));
}

}  // namespace
}  // namespace sluice::testing
