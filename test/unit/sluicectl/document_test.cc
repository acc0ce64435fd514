#include "tools/sluicectl/document.h"

#include <catch2/catch.hpp>

#include "common/hash.h"
#include "test/unit/sluicectl/fixtures.h"

namespace sluice::sluicectl {
namespace {

Document Parse(const std::string& text) {
  absl::StatusOr<Document> doc = ParseDocument(text, "sluice.yaml");
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  return std::move(*doc);
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<Document> doc = ParseDocument(text, "sluice.yaml");
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(doc.status().message());
}

TEST_CASE("Document: every section, with targets and credentials split off", "[sluicectl]") {
  Document doc = Parse(testing::MatchingFile());
  CHECK(doc.sections.size() == 5);
  REQUIRE(doc.services.size() == 1);
  CHECK(doc.services[0].Key() == "llm");
  CHECK(doc.services[0].line == 2);
  CHECK(ToJson(doc.services[0].fields) ==
        R"({"name":"llm","read_timeout":120000,"url":"http://127.0.0.1:9001"})");
  REQUIRE(doc.upstreams.size() == 1);
  CHECK(doc.upstreams[0].targets_listed);
  REQUIRE(doc.upstreams[0].targets.size() == 1);
  CHECK(doc.upstreams[0].targets[0].target == "127.0.0.1:9001");
  // The nested lists are not part of the entity the API gets.
  CHECK(Member(doc.upstreams[0].fields, "targets") == nullptr);
  REQUIRE(doc.consumers.size() == 1);
  CHECK(doc.consumers[0].Key() == "alice");
  CHECK(doc.consumers[0].credentials_listed);
  REQUIRE(doc.consumers[0].credentials.size() == 1);
  CHECK(doc.consumers[0].credentials[0].key_hash == Sha256Hex(testing::kAliceKey));
  CHECK(Member(doc.consumers[0].fields, "keyauth_credentials") == nullptr);
  REQUIRE(doc.plugins.size() == 2);
  CHECK(doc.plugins[1].Key().empty());
}

TEST_CASE("Document: plain scalars are typed, quoted ones are strings", "[sluicectl]") {
  Document doc = Parse(R"(services:
  - name: "123"
    host: 10.0.0.1
    port: 8080
    enabled: false
    path: ~
    tags: ['true', "42", yes]
)");
  REQUIRE(doc.services.size() == 1);
  CHECK(ToJson(doc.services[0].fields) ==
        R"({"enabled":false,"host":"10.0.0.1","name":"123","path":null,"port":8080,)"
        R"("tags":["true","42","yes"]})");
}

TEST_CASE("Document: JSON is read as well", "[sluicectl]") {
  Document doc = Parse(R"({"routes":[{"name":"r","paths":["/a"],"service":{"name":"s"}}]})");
  REQUIRE(doc.routes.size() == 1);
  CHECK(doc.sections.count(EntityKind::kRoute) == 1);
  CHECK(doc.sections.count(EntityKind::kService) == 0);
}

TEST_CASE("Document: an empty section is managed, an absent one is not", "[sluicectl]") {
  Document doc = Parse("consumers: []\nplugins:\n");
  CHECK(doc.sections == std::set<EntityKind>{EntityKind::kConsumer, EntityKind::kPlugin});
  CHECK(doc.consumers.empty());
}

TEST_CASE("Document: targets without a port get 8000, like the control plane", "[sluicectl]") {
  CHECK(NormalizeTarget("10.0.0.1") == "10.0.0.1:8000");
  CHECK(NormalizeTarget("10.0.0.1:9000") == "10.0.0.1:9000");
  CHECK(NormalizeTarget("[::1]") == "[::1]:8000");
  CHECK(NormalizeTarget("[::1]:9000") == "[::1]:9000");
}

TEST_CASE("Document: errors name the file, line, column and entity", "[sluicectl]") {
  CHECK(ErrorOf("services:\n  - name: x\n    paths: [a, b\n") ==
        "sluice.yaml:4:1: end of sequence flow not found");
  CHECK(ErrorOf("services:\n  - name: x\n  - name: y\n  - name: x\n") ==
        "sluice.yaml:4:5: services[2]: duplicate service 'x' (first at line 2)");
  CHECK(ErrorOf("servces: []\n") ==
        "sluice.yaml:1:1: servces: unknown section; expected one of services, routes, upstreams, "
        "consumers, plugins, certificates, ca_certificates, providers, models");
  CHECK(ErrorOf("routes:\n  - paths: [/a]\n") ==
        "sluice.yaml:2:5: routes[0]: name is required (or id): sluicectl matches routes by it");
  CHECK(ErrorOf("services:\n  - name: 123\n") ==
        "sluice.yaml:2:11: services[0].name: must be a string (put it in quotes)");
  CHECK(ErrorOf("services:\n  - name: a\n    host: b\n    host: c\n") ==
        "sluice.yaml:4:5: services[0].host: duplicate key");
  CHECK(ErrorOf("services: {name: a}\n") ==
        "sluice.yaml:1:11: services: expected a list of entities (- name: ...)");
  CHECK(ErrorOf("services:\n  - name: a\n    created_at: 5\n") ==
        "sluice.yaml:3:17: services[0].created_at: is set by the control plane; remove it");
  CHECK(ErrorOf("- a\n") ==
        "sluice.yaml:1:1: expected a mapping with the sections services, routes, upstreams, "
        "consumers, plugins, certificates, ca_certificates, providers, models");
  CHECK(ErrorOf("") ==
        "sluice.yaml: the file is empty; expected sections services, routes, upstreams, "
        "consumers, plugins, certificates, ca_certificates, providers, models");
  CHECK(ErrorOf("services:\n  - name: a\n    read_timeout: .inf\n") ==
        "sluice.yaml:3:19: services[0].read_timeout: '.inf' cannot be written in JSON");
}

TEST_CASE("Document: targets, credentials and plugin scopes are checked", "[sluicectl]") {
  CHECK(ErrorOf("upstreams:\n  - name: u\n    targets:\n      - weight: 5\n") ==
        "sluice.yaml:4:9: upstreams[0].targets[0]: target is required (host:port)");
  CHECK(ErrorOf("upstreams:\n  - name: u\n    targets: [{target: a}, {target: 'a:8000'}]\n") ==
        "sluice.yaml:3:28: upstreams[0].targets[1]: duplicate target 'a:8000' (first at line 3)");
  CHECK(ErrorOf("consumers:\n  - username: a\n    keyauth_credentials: [{}]\n") ==
        "sluice.yaml:3:27: consumers[0].keyauth_credentials[0]: give exactly one of key or "
        "key_hash (sluicectl does not generate keys)");
  CHECK(ErrorOf("consumers:\n  - username: a\n    keyauth_credentials: [{key_hash: abc}]\n") ==
        "sluice.yaml:3:27: consumers[0].keyauth_credentials[0].key_hash: must be a lower-case "
        "hex SHA-256 (64 characters)");
  CHECK(ErrorOf("consumers:\n  - username: a\n    keyauth_credentials: [{key: k, tags: []}]\n") ==
        "sluice.yaml:3:27: consumers[0].keyauth_credentials[0].tags: unknown field; a "
        "credential takes key or key_hash");
  CHECK(ErrorOf("consumers:\n  - username: a\n    keyauth_credentials: [{key: k}, {key: k}]\n") ==
        "sluice.yaml:3:37: consumers[0].keyauth_credentials[1]: the same key as at line 3");
  CHECK(ErrorOf("plugins:\n  - config: {}\n") ==
        "sluice.yaml:2:5: plugins[0]: name is required (the plugin's name, e.g. key-auth)");
  CHECK(ErrorOf("plugins:\n  - name: key-auth\n    route: chat\n") ==
        "sluice.yaml:3:12: plugins[0].route: expected {name: ...} or {id: ...}");
  CHECK(ErrorOf("plugins:\n  - name: key-auth\n    consumer: {username: a, id: b}\n") ==
        "sluice.yaml:3:15: plugins[0].consumer: expected {username: ...} or {id: ...}");
  CHECK(ErrorOf("plugins:\n  - {name: key-auth, route: {name: r}}\n  - {name: key-auth, "
                "route: {name: r}}\n") ==
        "sluice.yaml:3:5: plugins[1]: duplicate plugin 'key-auth service=* route=r consumer=*' "
        "(first at line 2)");
  // The same plugin name in two scopes is two plugins.
  Document doc = Parse("plugins:\n  - {name: key-auth}\n  - {name: key-auth, route: {name: r}}\n");
  CHECK(doc.plugins.size() == 2);
}

TEST_CASE("Document: a credential may be given by its hash", "[sluicectl]") {
  const std::string hash = Sha256Hex("k");
  Document doc =
      Parse("consumers:\n  - username: a\n    keyauth_credentials: [{key_hash: " + hash + "}]\n");
  REQUIRE(doc.consumers[0].credentials.size() == 1);
  CHECK(doc.consumers[0].credentials[0].key.empty());
  CHECK(doc.consumers[0].credentials[0].key_hash == hash);
}

}  // namespace
}  // namespace sluice::sluicectl
