#include "tools/sluicectl/dump.h"

#include <catch2/catch.hpp>

#include "test/unit/sluicectl/fixtures.h"
#include "tools/sluicectl/document.h"
#include "tools/sluicectl/plan.h"

namespace sluice::sluicectl {
namespace {

CurrentState State(const std::string& json) {
  absl::StatusOr<CurrentState> state = CurrentState::FromConfigJson(json);
  REQUIRE(state.ok());
  return std::move(*state);
}

TEST_CASE("Dump: defaults left out, references by name, credentials as a comment", "[sluicectl]") {
  const std::string yaml = DumpDocument(State(testing::ConfigJson()));
  INFO(yaml);
  CHECK(yaml.find(R"(services:
  - name: llm
    url: http://127.0.0.1:9001
    read_timeout: 120000
  - name: spare
    url: http://spare.internal:80
routes:
  - name: chat
    service: {name: llm}
    paths: [/v1]
    strip_path: false
  - name: old
    service: {name: spare}
    paths: [/old]
upstreams:
  - name: pool
    targets:
      - target: 127.0.0.1:9001
      - target: 127.0.0.1:9002
consumers:
  - username: alice  # 1 key-auth credential(s) not shown (stored as hashes)
plugins:
  - name: key-auth
    config: {}
  - name: key-auth
    route: {name: chat}
    config: {anonymous: alice}
)") != std::string::npos);
  CHECK(yaml.find("key_hash") == std::string::npos);
  CHECK(yaml.find("created_at") == std::string::npos);
  CHECK(yaml.find("s-llm") == std::string::npos);
}

TEST_CASE("Dump: applying the dump to the same config changes nothing", "[sluicectl]") {
  // Odd values too: unnamed route, tags, headers, a regex path, https, non-default weights.
  const std::string config = R"({"version":3,
    "services":[{"id":"s1","name":"","protocol":"https","host":"::1","port":8443,"path":"/base",
      "retries":0,"connect_timeout":1,"write_timeout":60000,"read_timeout":60000,"enabled":false,
      "tags":["true","a"],"created_at":1,"updated_at":1}],
    "routes":[{"id":"r1","name":"","protocols":["https"],"methods":["GET"],"hosts":["*.example.com"],
      "paths":["~/v1/models/[^/]+$","=/x"],"headers":{"x-tenant":["a","b"]},"strip_path":true,
      "preserve_host":true,"regex_priority":3,"service":{"id":"s1"},"tags":[],"created_at":1,
      "updated_at":1,"max_request_body_bytes":0}],
    "upstreams":[{"id":"u1","name":"u","algorithm":"round-robin","tags":[],"created_at":1,"updated_at":1}],
    "targets":[{"id":"t1","upstream":{"id":"u1"},"target":"h:1","weight":0,"tags":[],"created_at":1,"updated_at":1}],
    "consumers":[{"id":"c1","username":"","custom_id":"ext-1","tags":[],"created_at":1,"updated_at":1}],
    "key_auth_credentials":[],
    "plugins":[{"id":"p1","name":"key-auth","enabled":false,"service":{"id":"s1"},"route":{"id":"r1"},
      "consumer":{"id":"c1"},"tags":[],"created_at":1,"updated_at":1,
      "config":{"key_names":["apikey"],"hide_credentials":false,"key_in_header":true,"key_in_query":false,
      "anonymous":""}}]})";
  CurrentState state = State(config);
  const std::string yaml = DumpDocument(state);
  INFO(yaml);
  absl::StatusOr<Document> doc = ParseDocument(yaml, "dump.yaml");
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  std::vector<Action> plan = ComputePlan(*doc, state, PlanOptions{true});
  REQUIRE(plan.size() == 6);
  for (const Action& a : plan) {
    INFO(Describe(a));
    CHECK(a.type == ActionType::kUnchanged);
  }
  CHECK(yaml.find("url: https://[::1]:8443/base") != std::string::npos);
  CHECK(yaml.find("id: r1") != std::string::npos);  // unnamed: addressed by id
  CHECK(yaml.find(R"(tags: ["true", a])") != std::string::npos);
}

TEST_CASE("Dump: an empty control plane dumps empty sections", "[sluicectl]") {
  const std::string yaml = DumpDocument(State(R"({"version":1})"));
  CHECK(yaml.find("services: []\nroutes: []\nupstreams: []\nconsumers: []\nplugins: []\n"
                  "ca_certificates: []\ncertificates: []\nproviders: []\nmodels: []") !=
        std::string::npos);
  absl::StatusOr<Document> doc = ParseDocument(yaml, "dump.yaml");
  REQUIRE(doc.ok());
  CHECK(doc->sections.size() == 9);  // every kind: --prune may delete from each
}

}  // namespace
}  // namespace sluice::sluicectl
