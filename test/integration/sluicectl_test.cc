// sluicectl as CI runs it: a real process against a real control plane, with a data plane that
// serves what was applied.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

constexpr char kAliceKey[] = "alice-key-for-the-sluicectl-test";

struct CtlRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  bool Says(const std::string& s) const { return output.find(s) != std::string::npos; }
};

CtlRun RunCtl(const std::string& admin_url, std::vector<std::string> args) {
  args.insert(args.begin(), {"--admin-url", admin_url});
  Process p("sluicectl", BinDir() + "/sluicectl", args);
  REQUIRE(p.started());
  REQUIRE(p.Wait(Millis(60'000)));
  CtlRun run;
  REQUIRE(WIFEXITED(p.wait_status()));
  run.exit_code = WEXITSTATUS(p.wait_status());
  run.output = p.ReadLog();
  // The log starts with the harness's "# command" line; what follows is the process's own.
  run.output.erase(0, run.output.find('\n') + 1);
  return run;
}

CtlRun Ctl(const ControlPlane& cp, std::vector<std::string> args) {
  return RunCtl("http://" + cp.admin, std::move(args));
}

std::string WriteFile(const std::string& text, const std::string& name = "sluice.yaml") {
  const std::string path = NewDir("files") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string Config(const MockLlm& mock, int read_timeout, bool extra_route = false) {
  std::string text = R"(services:
  - name: llm
    url: ")" + mock.Url() +
                     R"("
    read_timeout: )" +
                     std::to_string(read_timeout) + R"(
routes:
  - name: chat
    paths: ["/v1"]
    strip_path: false
    service: {name: llm}
)";
  if (extra_route) {
    text += R"(  - name: extra
    paths: ["/extra"]
    service: {name: llm}
)";
  }
  return text + R"(upstreams:
  - name: pool
    targets: [{target: ")" +
         mock.addr + R"(", weight: 100}]
consumers:
  - username: alice
    keyauth_credentials: [{key: )" +
         kAliceKey + R"(}]
plugins:
  - name: key-auth
    config: {}
)";
}

TEST_CASE("sluicectl apply: the data plane serves what was applied, a second apply writes nothing",
          "[sluicectl]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));

  CtlRun first = Ctl(cp, {"apply", "-f", WriteFile(Config(mock, 120000))});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.Says("created route chat"));
  CHECK(first.Says("applied: 7 created, 0 updated, 0 deleted, 0 unchanged (config version " +
                   std::to_string(ControlPlaneVersion(cp)) + ")"));
  CHECK_FALSE(first.Says(kAliceKey));  // keys are never printed

  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  HttpResponse with_key =
      Get(dp.proxy, "/v1/echo", {{"Authorization", std::string("Bearer ") + kAliceKey}});
  INFO(with_key.Describe());
  CHECK(with_key.status == 200);
  CHECK(Get(dp.proxy, "/v1/echo").status == 401);
  CHECK(Json::Parse(AdminCall(cp, "GET", "/services/llm").body).Int("/read_timeout") == 120000);

  const int64_t version = ControlPlaneVersion(cp);
  CtlRun again = Ctl(cp, {"apply", "-f", WriteFile(Config(mock, 120000))});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.Says("applied: 0 created, 0 updated, 0 deleted, 7 unchanged (config version " +
                   std::to_string(version) + ")"));
  CHECK(ControlPlaneVersion(cp) == version);  // nothing was written

  CtlRun dry = Ctl(cp, {"apply", "--dry-run", "-f", WriteFile(Config(mock, 90000))});
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  CHECK(dry.Says("update service llm: read_timeout: 120000 -> 90000"));
  CHECK(dry.Says("unchanged route chat"));
  CHECK(dry.Says("dry run: 0 to create, 1 to update, 0 to delete, 6 unchanged"));
  CHECK(ControlPlaneVersion(cp) == version);

  CtlRun changed = Ctl(cp, {"apply", "-f", WriteFile(Config(mock, 90000))});
  INFO(changed.output);
  CHECK(changed.exit_code == 0);
  CHECK(changed.Says("updated service llm: read_timeout: 120000 -> 90000"));
  CHECK(changed.Says("applied: 0 created, 1 updated, 0 deleted, 6 unchanged"));
  CHECK(ControlPlaneVersion(cp) == version + 1);
  CHECK(Json::Parse(AdminCall(cp, "GET", "/services/llm").body).Int("/read_timeout") == 90000);
}

TEST_CASE("sluicectl apply --prune deletes what the file no longer lists", "[sluicectl]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  const Headers key = {{"x-api-key", kAliceKey}};

  REQUIRE(Ctl(cp, {"apply", "-f", WriteFile(Config(mock, 60000, true))}).exit_code == 0);
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  CHECK(Get(dp.proxy, "/extra/echo", key).status == 200);

  // Without --prune, a route left out of the file stays.
  CtlRun kept = Ctl(cp, {"apply", "-f", WriteFile(Config(mock, 60000, false))});
  INFO(kept.output);
  CHECK(kept.exit_code == 0);
  CHECK(kept.Says("0 deleted"));
  CHECK(AdminCall(cp, "GET", "/routes/extra").status == 200);

  CtlRun pruned = Ctl(cp, {"apply", "--prune", "-f", WriteFile(Config(mock, 60000, false))});
  INFO(pruned.output);
  CHECK(pruned.exit_code == 0);
  CHECK(pruned.Says("deleted route extra"));
  CHECK(pruned.Says("applied: 0 created, 0 updated, 1 deleted, 7 unchanged"));
  CHECK(AdminCall(cp, "GET", "/routes/extra").status == 404);
  CHECK(AdminCall(cp, "GET", "/routes/chat").status == 200);
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  HttpResponse gone = Get(dp.proxy, "/extra/echo", key);
  INFO(gone.Describe());
  CHECK(gone.status == 404);
}

TEST_CASE("sluicectl dump then apply --prune changes nothing", "[sluicectl]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  // Written through the admin API, the way a person would: unnamed route, scoped plugins,
  // tags, a generated key.
  Admin(cp, "PUT", "/upstreams/pool", R"({"tags":["prod"]})", 201);
  Admin(cp, "POST", "/upstreams/pool/targets", R"({"target":"10.0.0.1","weight":0})", 201);
  Admin(cp, "PUT", "/services/llm", R"({"url":"https://pool/v1","retries":0,"enabled":false})",
        201);
  Admin(cp, "POST", "/routes",
        R"({"paths":["~/v1/models/[^/]+$"],"hosts":["*.example.com"],"headers":{"x-t":["a"]},)"
        R"("methods":["GET"],"service":{"name":"llm"}})",
        201);
  Admin(cp, "PUT", "/consumers/alice", R"({"custom_id":"123"})", 201);
  Admin(cp, "POST", "/consumers/alice/key-auth", "{}", 201);
  Admin(
      cp, "POST", "/plugins",
      R"({"name":"key-auth","service":{"name":"llm"},"config":{"anonymous":"alice","key_names":["apikey"]}})",
      201);
  Admin(cp, "POST", "/plugins",
        R"({"name":"key-auth","consumer":{"username":"alice"},"enabled":false})", 201);
  const int64_t version = ControlPlaneVersion(cp);

  CtlRun dump = Ctl(cp, {"dump"});
  INFO(dump.output);
  REQUIRE(dump.exit_code == 0);
  CHECK(dump.Says("1 key-auth credential(s) not shown"));
  CHECK(dump.Says("anonymous: alice"));

  CtlRun apply = Ctl(cp, {"apply", "--prune", "-f", WriteFile(dump.output, "dump.yaml")});
  INFO(apply.output);
  CHECK(apply.exit_code == 0);
  CHECK(apply.Says("applied: 0 created, 0 updated, 0 deleted, 7 unchanged (config version " +
                   std::to_string(version) + ")"));
  CHECK(ControlPlaneVersion(cp) == version);
  // The key the file could not show is still there.
  CHECK(Json::Parse(AdminCall(cp, "GET", "/consumers/alice/key-auth").body).Size("/data") == 1);
}

TEST_CASE("sluicectl: bad files, an unreachable control plane and refused writes", "[sluicectl]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  const int64_t version = ControlPlaneVersion(cp);

  const std::string bad_yaml = WriteFile("services:\n  - name: llm\n    paths: [/v1\n");
  CtlRun syntax = Ctl(cp, {"apply", "-f", bad_yaml});
  INFO(syntax.output);
  CHECK(syntax.exit_code == 2);
  CHECK(syntax.Says("error: " + bad_yaml + ":4:1: end of sequence flow not found"));

  CtlRun dup = Ctl(cp, {"apply", "-f",
                        WriteFile("services:\n  - {name: a, host: h}\n  - {name: a, host: h}\n")});
  INFO(dup.output);
  CHECK(dup.exit_code == 2);
  CHECK(dup.Says(":3:5: services[1]: duplicate service 'a' (first at line 2)"));

  CtlRun missing = Ctl(cp, {"apply", "-f", NewDir("nothing") + "/missing.yaml"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.Says("No such file or directory"));
  CHECK(ControlPlaneVersion(cp) == version);

  CtlRun unreachable = RunCtl("http://" + LoopbackAddr(FreePort()), {"status"});
  INFO(unreachable.output);
  CHECK(unreachable.exit_code == 2);
  CHECK(unreachable.Says("cannot reach the control plane at http://127.0.0.1:"));
  CHECK(unreachable.Says("Connection refused"));

  // The first write goes through, the second is refused: exit 1, the API's error, and what was
  // applied before it.
  CtlRun refused = Ctl(cp, {"apply", "-f", WriteFile(R"(services:
  - {name: llm, url: "http://127.0.0.1:9"}
routes:
  - {name: bad, paths: ["v2"], service: {name: llm}}
  - {name: never, paths: ["/never"], service: {name: llm}}
)")});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(refused.Says("created service llm"));
  CHECK(refused.Says("error: create route bad (line 4): PUT /routes/bad -> 400 invalid_config"));
  CHECK(refused.Says("paths[0]: must start with /"));
  CHECK(refused.Says("stopped; applied before the error: 1 created, 0 updated, 0 deleted"));
  CHECK(AdminCall(cp, "GET", "/services/llm").status == 200);
  CHECK(AdminCall(cp, "GET", "/routes/never").status == 404);
}

TEST_CASE("sluicectl get and status", "[sluicectl]") {
  MockLlm mock = StartMockLlm();
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-ctl", NewCacheFile("dp-ctl"));
  // More consumers than one page holds, so `get` has to follow `next`.
  std::string file = Config(mock, 60000) + "  - name: key-auth\n    route: {name: chat}\n";
  file.replace(file.find("consumers:\n"), 11, [] {
    std::string c = "consumers:\n";
    for (int i = 0; i < 105; ++i) c += "  - username: user-" + std::to_string(i) + "\n";
    return c;
  }());
  CtlRun apply = Ctl(cp, {"apply", "-f", WriteFile(file)});
  INFO(apply.output);
  REQUIRE(apply.exit_code == 0);
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));

  CtlRun routes = Ctl(cp, {"get", "routes"});
  INFO(routes.output);
  CHECK(routes.exit_code == 0);
  CHECK(routes.Says("NAME  PATHS  HOSTS  METHODS  SERVICE  STRIP_PATH  ID"));
  CHECK(routes.Says("chat  /v1    -      -        llm      false"));

  CtlRun plugins = Ctl(cp, {"get", "plugins"});
  INFO(plugins.output);
  CHECK(plugins.Says("route=chat"));
  CHECK(plugins.Says("global"));

  CtlRun consumers = Ctl(cp, {"get", "consumers", "-o", "json"});
  CHECK(consumers.exit_code == 0);
  Json parsed = Json::Parse(consumers.output);
  REQUIRE(parsed.ok());
  CHECK(parsed.Size("/data") == 106);

  CtlRun status = Ctl(cp, {"status"});
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(status.Says("config version  " + std::to_string(ControlPlaneVersion(cp))));
  CHECK(status.Says("data planes     1 connected"));
  CHECK(status.Says("dp-ctl"));
  CHECK(status.Says("up to date"));

  CtlRun dataplanes = Ctl(cp, {"get", "dataplanes"});
  CHECK(dataplanes.Says("dp-ctl"));

  CtlRun unknown = Ctl(cp, {"get", "widgets"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.Says("get: unknown resource 'widgets'"));
}

}  // namespace
}  // namespace sluice::testing
