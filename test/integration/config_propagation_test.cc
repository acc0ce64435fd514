// Admin writes reach data planes: propagation time, deletes, convergence, /dataplanes.
#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// True once the data plane has a route for /v1 to the mock (the echo names the path it got).
bool ServesEcho(const DataPlane& dp, const std::string& path) {
  HttpResponse resp = Get(dp.proxy, path, {}, Millis(1000));
  if (resp.status != 200) return false;
  return Json::Parse(resp.body).Str("/uri") == path;
}

bool WaitConnected(const DataPlane& dp) {
  return WaitUntil([&] { return DataPlaneCpState(dp) == "connected"; }, Millis(10'000));
}

TEST_CASE("an admin write is served by the data plane within 1 s", "[dp][propagation]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  REQUIRE(WaitConnected(dp));

  HttpResponse before = Get(dp.proxy, "/v1/ping");
  INFO("before any route: " << before.Describe());
  CHECK(before.status == 404);

  Admin(cp, "POST", "/services", R"({"name":"llm","url":")" + mock.Url() + R"("})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":"chat","paths":["/v1"],"strip_path":false,"service":{"name":"llm"}})", 201);
  const Clock::time_point created = Clock::now();

  bool served = WaitUntil([&] { return ServesEcho(dp, "/v1/ping"); }, Millis(5000));
  const auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - created);
  INFO("route served after " << elapsed.count() << " ms");
  REQUIRE(served);
  CHECK(elapsed.count() <= 1000);
  CHECK(DataPlaneVersion(dp) == ControlPlaneVersion(cp));
}

TEST_CASE("deleting a route gives 404 no_route", "[dp][propagation]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  REQUIRE(WaitUntil([&] { return ServesEcho(dp, "/v1/ping"); }, Millis(5000)));

  Admin(cp, "DELETE", "/routes/chat", "", 204);
  const int64_t version = ControlPlaneVersion(cp);
  REQUIRE(WaitForVersion(dp, version));

  HttpResponse resp = Get(dp.proxy, "/v1/ping");
  INFO(resp.Describe());
  CHECK(resp.status == 404);
  Json body = Json::Parse(resp.body);
  CHECK(body.Str("/code") == "no_route");
  CHECK(resp.Header("content-type").find("application/json") != std::string::npos);
}

TEST_CASE("two data planes converge on the same config version", "[dp][propagation]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  // One data plane holds config before the second one connects: the second must get a snapshot,
  // the first deltas.
  DataPlane dp1 = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  DataPlane dp2 = StartDataPlane(cp, "dp-2", NewCacheFile("dp-2"));
  Admin(cp, "POST", "/consumers", R"({"username":"alice"})", 201);
  Admin(cp, "PATCH", "/routes/chat", R"({"paths":["/v1","/v2"]})", 200);

  const int64_t version = ControlPlaneVersion(cp);
  REQUIRE(version > 0);
  bool converged = WaitUntil(
      [&] { return DataPlaneVersion(dp1) == version && DataPlaneVersion(dp2) == version; },
      Millis(5000));
  INFO("control plane " << version << ", dp-1 " << DataPlaneVersion(dp1) << ", dp-2 "
                        << DataPlaneVersion(dp2));
  REQUIRE(converged);
  // Same version, same behaviour: both serve the path added by the last write.
  CHECK(ServesEcho(dp1, "/v2/x"));
  CHECK(ServesEcho(dp2, "/v2/x"));
}

TEST_CASE("/dataplanes lists both data planes with their last ACKed version",
          "[dp][propagation]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp1 = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  DataPlane dp2 = StartDataPlane(cp, "dp-2", NewCacheFile("dp-2"));
  const int64_t version = AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");

  std::string last_body;
  auto both_acked = [&] {
    HttpResponse resp = Get(cp.admin, "/dataplanes");
    last_body = resp.Describe();
    if (resp.status != 200) return false;
    Json list = Json::Parse(resp.body);
    int64_t n = list.Size("/data");
    bool saw1 = false, saw2 = false;
    for (int64_t i = 0; i < n; ++i) {
      const std::string prefix = "/data/" + std::to_string(i);
      const std::string node = list.Str(prefix + "/node_id");
      const bool acked = list.Int(prefix + "/last_acked_version") == version;
      if (node == "dp-1") saw1 = acked;
      if (node == "dp-2") saw2 = acked;
    }
    return n == 2 && saw1 && saw2;
  };
  bool ok = WaitUntil(both_acked, Millis(5000));
  INFO("expected dp-1 and dp-2 at version " << version << "; GET /dataplanes: " << last_body);
  CHECK(ok);
}

}  // namespace
}  // namespace sluice::testing
