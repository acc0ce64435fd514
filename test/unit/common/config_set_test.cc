#include "common/config_set.h"

#include <catch2/catch.hpp>

namespace sluice {
namespace {

namespace dv = discovery::v1;

Resource Svc(std::string id, std::string host) {
  Resource r;
  r.mutable_service()->set_id(id);
  r.mutable_service()->set_host(host);
  return r;
}

TEST_CASE("snapshot replaces, delta patches", "[config_set]") {
  ConfigSet c;
  dv::DiscoveryResponse snap;
  snap.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  snap.set_version(5);
  *snap.add_resources() = Svc("a", "h1");
  *snap.add_resources() = Svc("b", "h2");
  REQUIRE(c.Apply(snap).ok());
  CHECK(c.version() == 5);
  CHECK(c.size() == 2);

  dv::DiscoveryResponse delta;
  delta.set_kind(dv::DiscoveryResponse::DELTA);
  delta.set_base_version(5);
  delta.set_version(7);
  *delta.add_resources() = Svc("a", "changed");
  auto* removed = delta.add_removed();
  removed->set_kind(dv::SERVICE);
  removed->set_id("b");
  REQUIRE(c.Apply(delta).ok());
  CHECK(c.version() == 7);
  CHECK(c.size() == 1);
  CHECK(c.Find(dv::SERVICE, "a")->service().host() == "changed");
  CHECK(c.Find(dv::SERVICE, "b") == nullptr);
}

TEST_CASE("a delta on the wrong base version changes nothing", "[config_set]") {
  ConfigSet c;
  c.set_version(3);
  c.Put(Svc("a", "h1"));
  dv::DiscoveryResponse delta;
  delta.set_kind(dv::DiscoveryResponse::DELTA);
  delta.set_base_version(4);
  delta.set_version(5);
  *delta.add_resources() = Svc("a", "changed");
  CHECK_FALSE(c.Apply(delta).ok());
  CHECK(c.version() == 3);
  CHECK(c.Find(dv::SERVICE, "a")->service().host() == "h1");
}

TEST_CASE("reference check finds dangling references", "[config_set]") {
  ConfigSet c;
  Resource route;
  route.mutable_route()->set_id("r");
  route.mutable_route()->mutable_service()->set_id("s");
  c.Put(route);
  CHECK_FALSE(c.CheckReferences().ok());
  c.Put(Svc("s", "h"));
  CHECK(c.CheckReferences().ok());
  Resource plugin;
  plugin.mutable_plugin()->set_id("p");
  plugin.mutable_plugin()->mutable_consumer()->set_id("nobody");
  c.Put(plugin);
  CHECK_FALSE(c.CheckReferences().ok());
}

TEST_CASE("equality compares version and contents", "[config_set]") {
  ConfigSet a, b;
  a.Put(Svc("s", "h"));
  b.Put(Svc("s", "h"));
  CHECK(a == b);
  b.set_version(1);
  CHECK_FALSE(a == b);
  a.set_version(1);
  a.Put(Svc("s", "other"));
  CHECK_FALSE(a == b);
}

}  // namespace
}  // namespace sluice
