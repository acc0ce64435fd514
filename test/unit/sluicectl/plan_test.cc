#include "tools/sluicectl/plan.h"

#include <catch2/catch.hpp>

#include "common/hash.h"
#include "test/unit/sluicectl/fixtures.h"

namespace sluice::sluicectl {
namespace {

CurrentState State(const std::string& json) {
  absl::StatusOr<CurrentState> state = CurrentState::FromConfigJson(json);
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  return std::move(*state);
}

Document Doc(const std::string& yaml) {
  absl::StatusOr<Document> doc = ParseDocument(yaml, "f.yaml");
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  return std::move(*doc);
}

constexpr char kEmptyConfig[] =
    R"({"version":1,"services":[],"routes":[],"upstreams":[],"targets":[],"consumers":[],)"
    R"("key_auth_credentials":[],"plugins":[]})";

std::vector<std::string> Lines(const std::vector<Action>& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan) out.push_back(Describe(a));
  return out;
}

std::vector<std::string> Writes(const std::vector<Action>& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan)
    if (a.type != ActionType::kUnchanged) out.push_back(a.method + " " + a.path + " " + a.body);
  return out;
}

TEST_CASE("Plan: on an empty control plane everything is created, parents first", "[sluicectl]") {
  CurrentState state = State(kEmptyConfig);
  std::vector<Action> plan = ComputePlan(Doc(testing::MatchingFile()), state, {});
  CHECK(
      Writes(plan) ==
      std::vector<std::string>{
          R"(PUT /upstreams/pool {"name":"pool"})",
          R"(POST /upstreams/pool/targets {"target":"127.0.0.1:9001"})",
          R"(PUT /services/llm {"name":"llm","read_timeout":120000,"url":"http://127.0.0.1:9001"})",
          R"(PUT /routes/chat {"name":"chat","paths":["/v1"],"service":{"name":"llm"},"strip_path":false})",
          R"(PUT /consumers/alice {"username":"alice"})",
          R"(POST /consumers/alice/key-auth {"key":")" + testing::kAliceKey + R"("})",
          R"(POST /plugins {"config":{},"name":"key-auth"})",
          R"(POST /plugins {"config":{"anonymous":"alice"},"name":"key-auth","route":{"name":"chat"}})",
      });
  const PlanCounts c = Count(plan);
  CHECK(c.created == 8);
  CHECK(c.updated + c.deleted + c.unchanged == 0);
  // The key never shows in what is printed.
  for (const std::string& line : Lines(plan))
    CHECK(line.find(testing::kAliceKey) == std::string::npos);
}

TEST_CASE("Plan: a file that matches changes nothing (defaults, url, names, hashes)",
          "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  std::vector<Action> plan = ComputePlan(Doc(testing::MatchingFile()), state, {});
  INFO(Lines(plan).size());
  for (const Action& a : plan) {
    INFO(Describe(a));
    CHECK(a.type == ActionType::kUnchanged);
  }
  CHECK(Count(plan).unchanged == 8);
}

TEST_CASE("Plan: a changed field is an update that says what changes", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  std::string file = testing::MatchingFile();
  file.replace(file.find("read_timeout: 120000"), 20, "read_timeout: 90000\n    retries: 2");
  std::vector<Action> plan = ComputePlan(Doc(file), state, {});
  REQUIRE(Writes(plan).size() == 1);
  const Action& update = plan[2];
  CHECK(Describe(update) == "update service llm: read_timeout: 120000 -> 90000, retries: 5 -> 2");
  CHECK(update.method == "PUT");
  CHECK(update.path == "/services/llm");
  CHECK(update.line == 2);
}

TEST_CASE("Plan: a field left out of the file goes back to its default", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  std::string file = testing::MatchingFile();
  file.erase(file.find("    read_timeout: 120000\n"), 25);
  file.erase(file.find("    strip_path: false\n"), 22);
  std::vector<Action> plan = ComputePlan(Doc(file), state, {});
  CHECK(Lines(plan)[2] == "update service llm: read_timeout: 120000 -> 60000");
  CHECK(Lines(plan)[3] == "update route chat: strip_path: false -> true");
  // PUT replaces the whole entity: the body does not need the default.
  CHECK(plan[2].body == R"({"name":"llm","url":"http://127.0.0.1:9001"})");
}

TEST_CASE("Plan: targets are matched by address and patched by id", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  Document doc = Doc(R"(upstreams:
  - name: pool
    targets:
      - {target: "127.0.0.1:9001", weight: 5}
      - {target: "127.0.0.1:9002"}
      - {target: "127.0.0.1"}
)");
  std::vector<Action> plan = ComputePlan(doc, state, {});
  CHECK(Lines(plan) == std::vector<std::string>{
                           "unchanged upstream pool",
                           "update target pool 127.0.0.1:9001: weight: 100 -> 5",
                           "unchanged target pool 127.0.0.1:9002",
                           "create target pool 127.0.0.1:8000",
                       });
  CHECK(plan[1].method == "PATCH");
  CHECK(plan[1].path == "/upstreams/pool/targets/t-1");
  CHECK(plan[1].body == R"({"tags":[],"target":"127.0.0.1:9001","weight":5})");
}

TEST_CASE("Plan: a key is added only when no credential of the consumer has its hash",
          "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  Document doc = Doc("consumers:\n  - username: alice\n    keyauth_credentials:\n      - key: " +
                     testing::kAliceKey + "\n      - key: another-key\n  - username: bob\n");
  std::vector<Action> plan = ComputePlan(doc, state, {});
  CHECK(Lines(plan) ==
        std::vector<std::string>{
            "unchanged consumer alice",
            "unchanged key-auth credential alice key sha256:" +
                Sha256Hex(testing::kAliceKey).substr(0, 12),
            "create key-auth credential alice key sha256:" + Sha256Hex("another-key").substr(0, 12),
            "create consumer bob",
        });
  CHECK(plan[2].path == "/consumers/alice/key-auth");
  CHECK(plan[2].body == R"({"key":"another-key"})");
}

TEST_CASE("Plan: plugins are matched by name and scope", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  Document doc = Doc(R"(plugins:
  - name: key-auth
    route: {name: chat}
    config: {anonymous: alice, hide_credentials: false}
  - name: key-auth
    service: {name: llm}
  - name: key-auth
    route: {name: not-yet}
)");
  std::vector<Action> plan = ComputePlan(doc, state, {});
  CHECK(Lines(plan) ==
        std::vector<std::string>{
            "update plugin key-auth (route chat): config.hide_credentials: true -> false",
            "create plugin key-auth (service llm)",
            "create plugin key-auth (route not-yet)",
        });
  CHECK(plan[0].method == "PUT");
  CHECK(plan[0].path == "/plugins/p-chat");
  CHECK(plan[1].method == "POST");
  CHECK(plan[1].path == "/plugins");
}

TEST_CASE("Plan: references compare by what they resolve to", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  std::vector<Action> plan = ComputePlan(
      Doc("routes:\n  - {name: chat, paths: [/v1], strip_path: false, service: {name: spare}}\n"
          "  - {name: chat2, paths: [/v2], service: {name: new-one}}\n"
          "  - {name: old, paths: [/old], service: {id: s-spare}}\n"),
      state, {});
  CHECK(Lines(plan) == std::vector<std::string>{
                           "update route chat: service: llm -> spare",
                           "create route chat2",
                           "unchanged route old",
                       });
  plan = ComputePlan(Doc("routes:\n  - {name: chat, paths: [/v1], strip_path: false, service: "
                         "{name: new-one}}\n"),
                     state, {});
  CHECK(Lines(plan)[0] == "update route chat: service: llm -> new-one (not there yet)");
}

TEST_CASE("Plan: --prune deletes what the file's sections leave out, children first",
          "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  Document doc = Doc(testing::MatchingFile());
  CHECK(Count(ComputePlan(doc, state, {})).deleted == 0);

  std::vector<Action> plan = ComputePlan(doc, state, PlanOptions{true});
  std::vector<std::string> deletes;
  for (const Action& a : plan)
    if (a.type == ActionType::kDelete) deletes.push_back(Describe(a) + " " + a.path);
  CHECK(deletes == std::vector<std::string>{
                       "delete route old /routes/r-old",
                       "delete service spare /services/s-spare",
                       "delete target pool 127.0.0.1:9002 /upstreams/pool/targets/t-2",
                   });

  // Without the plugins and routes sections, --prune leaves plugins and routes alone; an empty
  // consumers section deletes every consumer.
  plan = ComputePlan(Doc("services:\n  - name: llm\n    url: http://127.0.0.1:9001\n"
                         "    read_timeout: 120000\nconsumers: []\n"),
                     state, PlanOptions{true});
  deletes.clear();
  for (const Action& a : plan)
    if (a.type == ActionType::kDelete) deletes.push_back(Describe(a));
  CHECK(deletes == std::vector<std::string>{"delete service spare", "delete consumer alice"});

  // Plugins go first, by scope.
  plan = ComputePlan(Doc("plugins: []\nroutes: []\n"), state, PlanOptions{true});
  CHECK(Lines(plan) == std::vector<std::string>{
                           "delete plugin key-auth (global)",
                           "delete plugin key-auth (route chat)",
                           "delete route chat",
                           "delete route old",
                       });
}

TEST_CASE("Plan: a listed credential list is pruned, an unlisted one is not", "[sluicectl]") {
  CurrentState state = State(testing::ConfigJson());
  std::vector<Action> plan =
      ComputePlan(Doc("consumers:\n  - username: alice\n"), state, PlanOptions{true});
  CHECK(Lines(plan) == std::vector<std::string>{"unchanged consumer alice"});
  plan = ComputePlan(Doc("consumers:\n  - username: alice\n    keyauth_credentials: []\n"), state,
                     PlanOptions{true});
  REQUIRE(plan.size() == 2);
  CHECK(plan[1].type == ActionType::kDelete);
  CHECK(plan[1].path == "/consumers/alice/key-auth/k-1");
}

TEST_CASE("Plan: names are percent-encoded in paths", "[sluicectl]") {
  CHECK(PathSegment("llm.v1_a-b~") == "llm.v1_a-b~");
  CHECK(PathSegment("a/b c?%") == "a%2Fb%20c%3F%25");
  CurrentState state = State(kEmptyConfig);
  std::vector<Action> plan = ComputePlan(Doc("consumers:\n  - username: \"a/b\"\n"), state, {});
  CHECK(plan[0].path == "/consumers/a%2Fb");
}

TEST_CASE("Plan: the config dump must be well formed", "[sluicectl]") {
  CHECK_FALSE(CurrentState::FromConfigJson("[]").ok());
  CHECK_FALSE(CurrentState::FromConfigJson(R"({"services":[]})").ok());
  CHECK_FALSE(CurrentState::FromConfigJson(R"({"version":1,"services":{}})").ok());
  CurrentState state = State(R"({"version":7})");
  CHECK(state.version() == 7);
}

}  // namespace
}  // namespace sluice::sluicectl
