// key-auth through a real data plane: where the key is read from, and that it stays at the edge.
#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

TEST_CASE("key-auth: 401 without or with a wrong key, 200 with the key in any default header",
          "[dp][key-auth]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  AddServiceAndRoute(cp, "llm", mock.Url(), "chat", R"(["/v1"])");
  Admin(cp, "POST", "/consumers", R"({"username":"demo"})", 201);
  const std::string key = Admin(cp, "POST", "/consumers/demo/key-auth", "{}", 201).Str("/key");
  REQUIRE(key.size() >= 16);
  Admin(cp, "POST", "/plugins", R"({"name":"key-auth","config":{}})", 201);
  const int64_t version = ControlPlaneVersion(cp);
  REQUIRE(WaitForVersion(dp, version));

  auto expect_401 = [&](const Headers& headers, const char* what) {
    HttpResponse resp = Get(dp.proxy, "/v1/echo", headers);
    INFO(what << " -> " << resp.Describe());
    CHECK(resp.status == 401);
    CHECK(Json::Parse(resp.body).Str("/code") == "unauthorized");
  };
  expect_401({}, "no key");
  expect_401({{"Authorization", "Bearer wrong-" + key}}, "wrong key in Authorization");
  expect_401({{"x-api-key", key + "x"}}, "wrong key in x-api-key");
  expect_401({{"apikey", "nope"}}, "wrong key in apikey");
  expect_401({{"Authorization", "Basic " + key}}, "right key, wrong scheme");

  const std::vector<std::pair<std::string, std::string>> ways = {
      {"Authorization", "Bearer " + key}, {"x-api-key", key}, {"apikey", key}};
  for (const auto& [name, value] : ways) {
    HttpResponse resp =
        Request("POST", dp.proxy, "/v1/echo", {{name, value}, {"Content-Type", "application/json"}},
                R"({"hello":"world"})");
    INFO("key in " << name << " -> " << resp.Describe());
    CHECK(resp.status == 200);
    Json echo = Json::Parse(resp.body);
    CHECK(echo.Str("/uri") == "/v1/echo");
    CHECK(echo.Str("/body") == R"({"hello":"world"})");
    // The upstream never sees the client's key, under any name.
    CHECK(resp.body.find(key) == std::string::npos);
    CHECK_FALSE(echo.Has("/headers/authorization"));
    CHECK_FALSE(echo.Has("/headers/x-api-key"));
    CHECK_FALSE(echo.Has("/headers/apikey"));
  }

  // The OpenAI SDK's call shape works end to end.
  HttpResponse chat = Request(
      "POST", dp.proxy, "/v1/chat/completions",
      {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}},
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  INFO(chat.Describe());
  CHECK(chat.status == 200);
  CHECK(Json::Parse(chat.body).Str("/object") == "chat.completion");
}

}  // namespace
}  // namespace sluice::testing
