// The control plane going away, coming back, and dying mid-flight; data planes on their cache.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

bool ServesEcho(const DataPlane& dp, const std::string& path) {
  HttpResponse resp = Get(dp.proxy, path, {}, Millis(1000));
  return resp.status == 200 && Json::Parse(resp.body).Str("/uri") == path;
}

bool WaitCpState(const DataPlane& dp, const std::string& state, Millis timeout) {
  return WaitUntil([&] { return DataPlaneCpState(dp) == state; }, timeout);
}

TEST_CASE("killing the control plane leaves data planes serving", "[dp][resilience]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp1 = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  DataPlane dp2 = StartDataPlane(cp, "dp-2", NewCacheFile("dp-2"));
  const int64_t version = AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  REQUIRE(WaitForVersion(dp1, version));
  REQUIRE(WaitForVersion(dp2, version));
  REQUIRE(DataPlaneCpState(dp1) == "connected");

  cp.process->Kill9();

  CHECK(WaitCpState(dp1, "disconnected", Millis(10'000)));
  CHECK(WaitCpState(dp2, "disconnected", Millis(10'000)));
  for (int i = 0; i < 20; ++i) {
    INFO("request " << i);
    CHECK(ServesEcho(dp1, "/v1/after-kill"));
    CHECK(ServesEcho(dp2, "/v1/after-kill"));
  }
  CHECK(DataPlaneVersion(dp1) == version);
  CHECK(dp1.process->Running());
  CHECK(dp2.process->Running());
}

TEST_CASE("data planes resync with a restarted control plane", "[dp][resilience]") {
  MockLlm mock = StartMockLlm();
  const std::string data_dir = NewDir("cp-data");
  ControlPlane cp = StartControlPlane(data_dir);
  DataPlane dp1 = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  DataPlane dp2 = StartDataPlane(cp, "dp-2", NewCacheFile("dp-2"));
  const int64_t before = AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  REQUIRE(WaitForVersion(dp1, before));
  REQUIRE(WaitForVersion(dp2, before));

  cp.process->Kill9();
  REQUIRE(WaitCpState(dp1, "disconnected", Millis(10'000)));

  // Same data dir, same ports: the data planes keep dialling the address they were given.
  ControlPlane restarted = StartControlPlane(data_dir, PortOf(cp.admin), PortOf(cp.xds));
  CHECK(ControlPlaneVersion(restarted) == before);
  // Reconnection waits for the data planes' backoff; allow for a few rounds of it.
  CHECK(WaitCpState(dp1, "connected", Millis(20'000)));
  CHECK(WaitCpState(dp2, "connected", Millis(20'000)));

  Admin(restarted, "POST", "/routes",
        R"({"name":"after","paths":["/after"],"strip_path":false,"service":{"name":"llm"}})", 201);
  const int64_t after = ControlPlaneVersion(restarted);
  REQUIRE(after > before);
  bool synced = WaitUntil(
      [&] { return DataPlaneVersion(dp1) == after && DataPlaneVersion(dp2) == after; },
      Millis(20'000));
  INFO("control plane " << after << ", dp-1 " << DataPlaneVersion(dp1) << ", dp-2 "
                        << DataPlaneVersion(dp2));
  REQUIRE(synced);
  CHECK(ServesEcho(dp1, "/after/x"));
  CHECK(ServesEcho(dp2, "/after/x"));
  CHECK(ServesEcho(dp1, "/v1/x"));
}

TEST_CASE("a data plane restarted while the control plane is down serves from its cache",
          "[dp][resilience]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  const std::string cache = NewCacheFile("dp-1");
  const int64_t version = AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  {
    DataPlane dp = StartDataPlane(cp, "dp-1", cache);
    REQUIRE(WaitForVersion(dp, version));
    REQUIRE(ServesEcho(dp, "/v1/x"));
    cp.process->Kill9();
    dp.process->Stop();
  }
  struct stat st{};
  REQUIRE(stat(cache.c_str(), &st) == 0);
  CHECK(st.st_size > 0);

  // Nothing listens on the old config stream address now.
  DataPlane dp = StartDataPlaneAt(cp.xds, "dp-1", cache);
  CHECK(WaitForVersion(dp, version, Millis(5000)));
  CHECK(DataPlaneVersion(dp) == version);
  CHECK(DataPlaneCpState(dp) == "disconnected");
  HttpResponse resp = Get(dp.proxy, "/v1/from-cache");
  INFO(resp.Describe());
  CHECK(resp.status == 200);
  CHECK(Json::Parse(resp.body).Str("/uri") == "/v1/from-cache");
}

TEST_CASE("the control plane killed with kill -9 right after a 201 still has the write",
          "[cp][resilience]") {
  const std::string data_dir = NewDir("cp-data");
  ControlPlane cp = StartControlPlane(data_dir);
  const int64_t start_version = ControlPlaneVersion(cp);
  REQUIRE(start_version >= 0);
  constexpr int kWrites = 20;
  for (int i = 0; i < kWrites; ++i) {
    Admin(cp, "POST", "/services",
          R"({"name":"svc-)" + std::to_string(i) + R"(","url":"http://127.0.0.1:)" +
              std::to_string(10000 + i) + R"("})",
          201);
  }
  // No request between the last 201 and the kill.
  cp.process->Kill9();

  ControlPlane restarted = StartControlPlane(data_dir);
  for (int i = 0; i < kWrites; ++i) {
    Json svc = Admin(restarted, "GET", "/services/svc-" + std::to_string(i), "", 200);
    CHECK(svc.Str("/name") == "svc-" + std::to_string(i));
    CHECK(svc.Str("/host") == "127.0.0.1");
    CHECK(svc.Int("/port") == 10000 + i);
  }
  CHECK(ControlPlaneVersion(restarted) >= start_version + kWrites);
  // The version keeps increasing after a restart; it never goes back.
  const int64_t before_write = ControlPlaneVersion(restarted);
  Admin(restarted, "POST", "/consumers", R"({"username":"after-restart"})", 201);
  CHECK(ControlPlaneVersion(restarted) > before_write);
}

}  // namespace
}  // namespace sluice::testing
