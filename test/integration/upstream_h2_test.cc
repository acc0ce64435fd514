// HTTP/2 upstreams (service protocol "http2"/"grpc", h2c with prior knowledge): requests are
// multiplexed on one connection per worker within the server's MAX_CONCURRENT_STREAMS, trailers
// reach HTTP/2 clients, GOAWAY'd streams are retried, bodies stream both ways under flow
// control, and the service's timeouts apply.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test/integration/h2_client.h"
#include "test/integration/h2_upstream.h"
#include "test/integration/harness.h"

// Requests are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sluice::testing {
namespace {

struct H2Cluster {
  ControlPlane cp;
  DataPlane dp;
};

// A control plane, service "h2" (`protocol`, with `extra` JSON fields) → the upstream on
// 127.0.0.1:`port`, route "/" and a data plane with one worker.
H2Cluster StartH2Cluster(int port, const std::string& protocol = "http2",
                         const std::string& extra = "") {
  H2Cluster c;
  c.cp = StartControlPlane(NewDir("cp"));
  Admin(c.cp, "POST", "/services",
        R"({"name":"h2","protocol":")" + protocol + R"(","host":"127.0.0.1","port":)" +
            std::to_string(port) + extra + "}",
        201);
  Admin(c.cp, "POST", "/routes",
        R"({"name":"all","paths":["/"],"strip_path":false,"service":{"name":"h2"}})", 201);
  c.dp = StartDataPlane(c.cp, "dp1", NewDir("dp") + "/cache", 0, 0, {"--workers", "1"});
  REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
  return c;
}

std::vector<H2Request> Many(int n, const Headers& headers) {
  std::vector<H2Request> out;
  for (int i = 0; i < n; ++i) out.push_back({.path = "/r/" + std::to_string(i), .headers = headers});
  return out;
}

TEST_CASE("h2 upstream: requests and responses cross an h2c upstream", "[dp][h2][upstream]") {
  H2Upstream up;
  H2Cluster c = StartH2Cluster(up.port());

  SECTION("an HTTP/1.1 client's GET goes upstream as HTTP/2") {
    HttpResponse r = Get(c.dp.proxy, "/a/b?x=1");
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body.find("method=GET path=/a/b?x=1 authority=127.0.0.1:" + std::to_string(up.port())) !=
          std::string::npos);
    CHECK(r.body.find("scheme=http ") != std::string::npos);
    CHECK(r.body.find("request-id=" + r.Header("x-request-id")) != std::string::npos);
  }

  SECTION("HTTP/1.1 clients get the body without the trailers") {
    HttpResponse r = Get(c.dp.proxy, "/t", {{"x-trailers", "grpc-status=0"}});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body.find("path=/t ") != std::string::npos);
    CHECK_FALSE(r.HasHeader("grpc-status"));
  }

  SECTION("HTTP/2 clients get the trailers; te: trailers crosses") {
    H2Client client;
    REQUIRE(client.Connect(c.dp.proxy));
    H2Response r = client.Send({.path = "/t",
                                .headers = {{"te", "trailers"},
                                            {"x-trailers", "grpc-status=7,grpc-message=denied"}}});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    REQUIRE(r.complete);
    CHECK(r.body.find("te=trailers") != std::string::npos);
    CHECK(r.trailers["grpc-status"] == "7");
    CHECK(r.trailers["grpc-message"] == "denied");
  }

  SECTION("without te: trailers none is sent upstream") {
    HttpResponse r = Get(c.dp.proxy, "/no-te");
    CHECK(r.body.find("te=- ") != std::string::npos);
  }

  SECTION("request bodies, with and without a length, and large responses") {
    std::string body(3 * 1024 * 1024 + 17, 'b');
    HttpResponse r = Request("POST", c.dp.proxy, "/up", {}, body, Millis(10000));
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body.find("body=" + std::to_string(body.size())) != std::string::npos);

    H2Client client;
    REQUIRE(client.Connect(c.dp.proxy));
    H2Response chunked = client.Send({.method = "POST", .path = "/up2", .body = std::string(200000, 'c'),
                                      .chunk = 5000},
                                     Millis(10000));
    INFO(chunked.Describe());
    REQUIRE(chunked.status == 200);
    CHECK(chunked.body.find("body=200000") != std::string::npos);

    HttpResponse big = Get(c.dp.proxy, "/big", {{"x-response-bytes", "5000000"}}, Millis(10000));
    REQUIRE(big.status == 200);
    CHECK(big.body.size() == 5000000);
  }

  SECTION("the upstream's status passes through") {
    HttpResponse r = Get(c.dp.proxy, "/s", {{"x-status", "404"}});
    CHECK(r.status == 404);
  }
}

TEST_CASE("h2 upstream: concurrent requests share one connection", "[dp][h2][upstream]") {
  H2Upstream up;
  H2Cluster c = StartH2Cluster(up.port());
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  std::vector<H2Response> rs = client.Exchange(Many(20, {{"x-delay-ms", "300"}}), Millis(10000));
  int ok = 0;
  for (const H2Response& r : rs) ok += r.status == 200 ? 1 : 0;
  CHECK(ok == 20);
  CHECK(up.connections() == 1);
  CHECK(up.max_concurrent_seen() >= 10);
  // Sequential requests reuse it too.
  for (int i = 0; i < 5; ++i) CHECK(Get(c.dp.proxy, "/seq").status == 200);
  CHECK(up.connections() == 1);
}

TEST_CASE("h2 upstream: the server's MAX_CONCURRENT_STREAMS is respected", "[dp][h2][upstream]") {
  H2Upstream up({.max_concurrent_streams = 2});
  H2Cluster c = StartH2Cluster(up.port());
  // The first request learns the server's SETTINGS.
  REQUIRE(Get(c.dp.proxy, "/warm").status == 200);
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  std::vector<H2Response> rs = client.Exchange(Many(6, {{"x-delay-ms", "300"}}), Millis(10000));
  int ok = 0;
  for (const H2Response& r : rs) ok += r.status == 200 ? 1 : 0;
  CHECK(ok == 6);
  CHECK(up.max_concurrent_seen() <= 2);
  // Full connections make the pool open more.
  CHECK(up.connections() >= 3);
}

TEST_CASE("h2 upstream: streams refused by GOAWAY are sent again", "[dp][h2][upstream]") {
  H2Upstream up({.goaway_first_connection_after = 5});
  H2Cluster c = StartH2Cluster(up.port());
  H2Client client;
  REQUIRE(client.Connect(c.dp.proxy));
  std::vector<H2Response> rs = client.Exchange(Many(5, {{"x-delay-ms", "100"}}), Millis(10000));
  for (const H2Response& r : rs) {
    INFO(r.Describe());
    CHECK(r.status == 200);
  }
  // One answered on the first connection, four on the second; none twice.
  CHECK(up.requests() == 5);
  CHECK(up.connections() == 2);
}

TEST_CASE("h2 upstream: timeouts and failures", "[dp][h2][upstream]") {
  H2Upstream up;
  H2Cluster c = StartH2Cluster(up.port(), "http2", R"(,"read_timeout":300)");

  SECTION("read timeout: 504") {
    auto start = Clock::now();
    HttpResponse r = Get(c.dp.proxy, "/slow", {{"x-delay-ms", "3000"}});
    INFO(r.Describe());
    CHECK(r.status == 504);
    CHECK(Json::Parse(r.body).Str("/code") == "upstream_timeout");
    CHECK(Clock::now() - start < Millis(2500));
    // The connection stays usable for other streams.
    CHECK(Get(c.dp.proxy, "/after").status == 200);
    CHECK(up.connections() == 1);
  }

  SECTION("an upstream that is not listening: 502") {
    Admin(c.cp, "PATCH", "/services/h2", R"({"port":)" + std::to_string(FreePort()) + "}", 200);
    REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
    HttpResponse r = Get(c.dp.proxy, "/x");
    CHECK(r.status == 502);
    CHECK(Json::Parse(r.body).Str("/code") == "upstream_unavailable");
  }

  SECTION("an HTTP/1.1 server behind an http2 service: 502") {
    MockLlm mock = StartMockLlm();
    Admin(c.cp, "PATCH", "/services/h2", R"({"port":)" + std::to_string(PortOf(mock.addr)) + "}",
          200);
    REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
    HttpResponse r = Get(c.dp.proxy, "/x");
    INFO(r.Describe());
    CHECK(r.status == 502);
  }
}

}  // namespace
}  // namespace sluice::testing
