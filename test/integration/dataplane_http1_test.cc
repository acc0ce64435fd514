// The data plane's HTTP/1.1 handling through real processes: keep-alive and pipelining, request
// bodies both ways (Content-Length and chunked), local errors on a kept-alive connection, header
// limits, malformed requests, and balancing over an upstream's targets.
#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// Counts the complete HTTP responses in `raw` (status lines at the start of a response).
int CountResponses(const std::string& raw) {
  int n = 0;
  for (size_t pos = raw.find("HTTP/1.1 "); pos != std::string::npos;
       pos = raw.find("HTTP/1.1 ", pos + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("pipelined requests are answered in order on one connection", "[dp][http1]") {
  Cluster c = StartCluster();
  RawConnection conn;
  REQUIRE(conn.Connect(c.dp.proxy));
  REQUIRE(conn.Send("GET /echo/first HTTP/1.1\r\nHost: a\r\n\r\n"
                    "POST /echo/second HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                    "GET /echo/third HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  std::string raw = conn.ReadUntilClose(Millis(5000));
  CHECK(CountResponses(raw) == 3);
  size_t first = raw.find("/echo/first");
  size_t second = raw.find("/echo/second");
  size_t third = raw.find("/echo/third");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
  CHECK(raw.find("\"body\":\"hello\"") != std::string::npos);
}

TEST_CASE("request bodies reach the upstream whole, chunked or not", "[dp][http1]") {
  Cluster c = StartCluster();
  SECTION("chunked upload") {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    REQUIRE(conn.Send("POST /echo/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    std::string raw = conn.ReadUntilClose(Millis(5000));
    CHECK(raw.find("\"body\":\"hello world\"") != std::string::npos);
  }
  SECTION("a 3 MiB body, larger than every proxy buffer") {
    std::string body(3 * 1024 * 1024, 'x');
    for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
    HttpResponse r = Request("POST", c.dp.proxy, "/echo/big", {}, body, Millis(15000));
    REQUIRE(r.status == 200);
    Json j = Json::Parse(r.body);
    CHECK(j.Int("/body_bytes") == static_cast<int64_t>(body.size()));
    CHECK(j.Str("/body") == body);
  }
}

TEST_CASE("a local error keeps the connection for the next request", "[dp][http1]") {
  Cluster c = StartCluster();
  // A route that needs a key: the POST is refused before its body is read.
  Admin(c.cp, "POST", "/consumers", R"({"username":"u"})", 201);
  Json key = Admin(c.cp, "POST", "/consumers/u/key-auth", "{}", 201);
  Admin(c.cp, "POST", "/plugins", R"({"name":"key-auth","config":{}})", 201);
  REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
  RawConnection conn;
  REQUIRE(conn.Connect(c.dp.proxy));
  REQUIRE(conn.Send("POST /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /echo/y HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " +
                    key.Str("/key") + "\r\nConnection: close\r\n\r\n"));
  std::string raw = conn.ReadUntilClose(Millis(5000));
  CHECK(raw.find("HTTP/1.1 401") != std::string::npos);
  CHECK(raw.find("HTTP/1.1 200") != std::string::npos);
  CHECK(raw.find("/echo/y") != std::string::npos);
}

TEST_CASE("header limits answer 431 with a JSON code", "[dp][http1][limits]") {
  Cluster c = StartCluster();
  SECTION("more than 60 KiB of headers") {
    Headers h{{"x-big", std::string(61 * 1024, 'a')}};
    HttpResponse r = Request("GET", c.dp.proxy, "/echo/x", h);
    CHECK(r.status == 431);
    CHECK(Json::Parse(r.body).Str("/code") == "request_headers_too_large");
  }
  SECTION("just under the limit passes") {
    Headers h{{"x-big", std::string(50 * 1024, 'a')}};
    CHECK(Request("GET", c.dp.proxy, "/echo/x", h).status == 200);
  }
  SECTION("more than 100 headers") {
    Headers h;
    for (int i = 0; i < 101; ++i) h.push_back({"x-h" + std::to_string(i), "v"});
    HttpResponse r = Request("GET", c.dp.proxy, "/echo/x", h);
    CHECK(r.status == 431);
    CHECK(Json::Parse(r.body).Str("/code") == "too_many_headers");
  }
}

TEST_CASE("malformed requests get 400 and never reach the upstream", "[dp][http1]") {
  Cluster c = StartCluster();
  auto send = [&](const std::string& bytes) {
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    REQUIRE(conn.Send(bytes));
    return conn.ReadUntilClose(Millis(3000));
  };
  std::string r = send("NOT-HTTP\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(r.find("\"code\":\"bad_request\"") != std::string::npos);
  r = send("GET /echo/x HTTP/1.1\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(r.find("missing Host") != std::string::npos);
  r = send("GET /echo/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
  r = send("POST /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
           "\r\n\r\n0\r\n\r\n");
  CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(r.find("/echo/x") == std::string::npos);
  // The data plane is still up and serving.
  CHECK(Get(c.dp.proxy, "/echo/alive").status == 200);
}

TEST_CASE("a service whose host names an upstream is balanced over its targets by weight",
          "[dp][upstream]") {
  ControlPlane cp = StartControlPlane(NewDir("cp"));
  MockLlm a = StartMockLlm();
  MockLlm b = StartMockLlm();
  Admin(cp, "POST", "/upstreams", R"({"name":"pool"})", 201);
  Admin(cp, "POST", "/upstreams/pool/targets", "{\"target\":\"" + a.addr + "\",\"weight\":300}",
        201);
  Admin(cp, "POST", "/upstreams/pool/targets", "{\"target\":\"" + b.addr + "\",\"weight\":100}",
        201);
  Admin(cp, "POST", "/services", R"({"name":"svc","host":"pool","port":80})", 201);
  Admin(cp, "POST", "/routes", R"({"name":"r","paths":["/"],"service":{"name":"svc"}})", 201);
  DataPlane dp = StartDataPlane(cp, "dp1", NewDir("dp") + "/cache");
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  for (int i = 0; i < 200; ++i) {
    HttpResponse r = Get(dp.proxy, "/echo/x");
    REQUIRE(r.status == 200);
    // The Host header sent upstream names the service's host, not the target.
    CHECK(Json::Parse(r.body).Str("/headers/host") == "pool");
  }
  // Each mock counts the requests it served (a few health probes from the harness included).
  Json sa = Json::Parse(Get(a.addr, "/_mock/stats").body);
  Json sb = Json::Parse(Get(b.addr, "/_mock/stats").body);
  int to_a = static_cast<int>(sa.Int("/requests", -1));
  int to_b = static_cast<int>(sb.Int("/requests", -1));
  INFO("a=" << to_a << " b=" << to_b);
  REQUIRE(to_a >= 0);
  REQUIRE(to_b >= 0);
  CHECK(to_a + to_b >= 200);
  CHECK(to_a > 2 * to_b);
  CHECK(to_b > 20);
}

}  // namespace
}  // namespace sluice::testing
