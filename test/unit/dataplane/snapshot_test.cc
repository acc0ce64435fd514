#include "dataplane/config/snapshot.h"

#include <catch2/catch.hpp>
#include <map>

#include "common/hash.h"

namespace sluice {
namespace {

Resource Service(std::string id, std::string host, int port = 80) {
  Resource r;
  r.mutable_service()->set_id(id);
  r.mutable_service()->set_name(id);
  r.mutable_service()->set_host(host);
  r.mutable_service()->set_port(port);
  return r;
}
Resource Route(std::string id, std::string service, std::string path) {
  Resource r;
  r.mutable_route()->set_id(id);
  r.mutable_route()->add_paths(path);
  r.mutable_route()->mutable_service()->set_id(service);
  return r;
}
Resource Plugin(std::string id, std::string service = "", std::string route = "",
                bool enabled = true) {
  Resource r;
  auto* p = r.mutable_plugin();
  p->set_id(id);
  p->set_name("key-auth");
  p->set_enabled(enabled);
  if (!service.empty()) p->mutable_service()->set_id(service);
  if (!route.empty()) p->mutable_route()->set_id(route);
  p->mutable_key_auth();
  return r;
}

TEST_CASE("weighted round-robin follows the weights and interleaves", "[snapshot]") {
  CompiledUpstream up("u", {{"a", 1, 300}, {"b", 2, 100}, {"c", 3, 0}});
  std::map<std::string, int> counts;
  std::string sequence;
  for (int i = 0; i < 400; ++i) {
    const UpstreamTarget* t = up.Pick();
    REQUIRE(t != nullptr);
    counts[t->host]++;
    if (i < 8) sequence += t->host;
  }
  CHECK(counts["a"] == 300);
  CHECK(counts["b"] == 100);
  CHECK(counts["c"] == 0);
  // Smooth: "b" is not starved until the end of a cycle.
  CHECK(sequence.find('b') < 4);
}

TEST_CASE("an upstream whose weights are all zero has no target", "[snapshot]") {
  CompiledUpstream up("u", {{"a", 1, 0}});
  CHECK(up.Pick() == nullptr);
  CompiledUpstream empty("e", {});
  CHECK(empty.Pick() == nullptr);
}

TEST_CASE("snapshot resolves services to upstreams by name", "[snapshot]") {
  ConfigSet c;
  c.Put(Service("s1", "My-Upstream"));
  c.Put(Service("s2", "10.0.0.1", 8080));
  Resource up;
  up.mutable_upstream()->set_id("u1");
  up.mutable_upstream()->set_name("my-upstream");
  c.Put(up);
  Resource t;
  t.mutable_target()->set_id("t1");
  t.mutable_target()->mutable_upstream()->set_id("u1");
  t.mutable_target()->set_target("127.0.0.1:9001");
  c.Put(t);
  auto snap = Snapshot::Build(c);
  REQUIRE(snap.ok());
  const CompiledService* s1 = (*snap)->FindService("s1");
  REQUIRE(s1 != nullptr);
  REQUIRE(s1->upstream != nullptr);
  const UpstreamTarget* picked = s1->upstream->Pick();
  REQUIRE(picked != nullptr);
  CHECK(picked->host == "127.0.0.1");
  CHECK(picked->port == 9001);
  const CompiledService* s2 = (*snap)->FindService("s2");
  REQUIRE(s2 != nullptr);
  CHECK(s2->upstream == nullptr);
  CHECK(s2->host_header == "10.0.0.1:8080");
}

TEST_CASE("snapshot rejects dangling references", "[snapshot]") {
  ConfigSet c;
  c.Put(Route("r1", "missing", "/"));
  CHECK_FALSE(Snapshot::Build(c).ok());
}

TEST_CASE("the most specific plugin instance applies to a route", "[snapshot]") {
  ConfigSet c;
  c.Put(Service("s1", "h"));
  c.Put(Service("s2", "h"));
  c.Put(Route("r1", "s1", "/a"));
  c.Put(Route("r2", "s2", "/b"));
  c.Put(Route("r3", "s2", "/c"));
  c.Put(Plugin("global"));
  c.Put(Plugin("on-s2", "s2"));
  c.Put(Plugin("off-r3", "", "r3", /*enabled=*/false));
  auto snap = Snapshot::Build(c);
  REQUIRE(snap.ok());
  CHECK((*snap)->PluginsFor("r1").size() == 1);
  CHECK((*snap)->PluginsFor("r2").size() == 1);
  // A disabled route-scoped instance does not hide the others.
  CHECK((*snap)->PluginsFor("r3").size() == 1);
  ConfigSet none;
  none.Put(Service("s1", "h"));
  none.Put(Route("r1", "s1", "/a"));
  auto snap2 = Snapshot::Build(none);
  REQUIRE(snap2.ok());
  CHECK((*snap2)->PluginsFor("r1").empty());
}

TEST_CASE("consumers are found by key hash, id and username", "[snapshot]") {
  ConfigSet c;
  Resource consumer;
  consumer.mutable_consumer()->set_id("c1");
  consumer.mutable_consumer()->set_username("alice");
  c.Put(consumer);
  Resource cred;
  cred.mutable_key_auth_credential()->set_id("k1");
  cred.mutable_key_auth_credential()->mutable_consumer()->set_id("c1");
  cred.mutable_key_auth_credential()->set_key_hash(Sha256Hex("secret-key"));
  c.Put(cred);
  auto snap = Snapshot::Build(c);
  REQUIRE(snap.ok());
  const plugins::ConsumerInfo* by_key = (*snap)->FindConsumerByKeyHash(Sha256Hex("secret-key"));
  REQUIRE(by_key != nullptr);
  CHECK(by_key->username == "alice");
  CHECK((*snap)->FindConsumerByKeyHash(Sha256Hex("other")) == nullptr);
  CHECK((*snap)->FindConsumer("alice") == by_key);
  CHECK((*snap)->FindConsumer("c1") == by_key);
}

}  // namespace
}  // namespace sluice
