#include "controlplane/xds/config_history.h"

#include <catch2/catch.hpp>

#include "test/unit/controlplane/test_util.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;
using discovery::v1::DiscoveryResponse;
using testing::Key;
using testing::MakeRoute;
using testing::MakeService;

ChangeSet Upsert(Resource r) {
  ChangeSet c;
  c.upserts.push_back(std::move(r));
  return c;
}

ChangeSet Remove(ResourceKind kind, const std::string& id) {
  ChangeSet c;
  c.removes.push_back(Key(kind, id));
  return c;
}

// Applies `response` to `held` the way a data plane does, and checks the result equals `want`.
void ExpectConverges(ConfigSet held, const DiscoveryResponse& response, const ConfigSet& want) {
  REQUIRE(held.Apply(response).ok());
  CHECK(held == want);
}

TEST_CASE("History: pending versions merge into one delta with the latest state", "[xds]") {
  ConfigHistory h;
  ConfigSet start;
  start.set_version(3);
  start.Put(MakeService("s1", "one"));
  h.Reset(start);

  h.Record(4, Upsert(MakeService("s2", "two")));
  h.Record(5, Upsert(MakeService("s2", "two-renamed")));
  h.Record(6, Upsert(MakeRoute("r1", "s2")));
  h.Record(7, Remove(dv::SERVICE, "s1"));

  DiscoveryResponse d = h.Build(3, false);
  CHECK(d.kind() == DiscoveryResponse::DELTA);
  CHECK(d.base_version() == 3);
  CHECK(d.version() == 7);
  REQUIRE(d.resources_size() == 2);
  // Dependency order: the service before the route using it; each resource once, latest state.
  CHECK(d.resources(0).service().name() == "two-renamed");
  CHECK(d.resources(1).route().id() == "r1");
  REQUIRE(d.removed_size() == 1);
  CHECK(d.removed(0).id() == "s1");
  ExpectConverges(start, d, h.current());

  // From a later version only the later changes are sent.
  DiscoveryResponse later = h.Build(6, false);
  CHECK(later.kind() == DiscoveryResponse::DELTA);
  CHECK(later.resources_size() == 0);
  CHECK(later.removed_size() == 1);
}

TEST_CASE("History: a stream behind the log, or ahead of it, gets a snapshot", "[xds]") {
  ConfigHistory h(/*max_versions=*/2);
  ConfigSet start;
  h.Reset(start);
  for (uint64_t v = 1; v <= 5; ++v) h.Record(v, Upsert(MakeService("s" + std::to_string(v), "")));
  CHECK(h.oldest_base() == 3);

  CHECK(h.Build(3, false).kind() == DiscoveryResponse::DELTA);
  DiscoveryResponse old = h.Build(2, false);
  CHECK(old.kind() == DiscoveryResponse::SNAPSHOT);
  CHECK(old.version() == 5);
  CHECK(old.resources_size() == 5);
  CHECK(h.Build(9, false).kind() == DiscoveryResponse::SNAPSHOT);
  CHECK(h.Build(4, true).kind() == DiscoveryResponse::SNAPSHOT);

  ConfigSet empty;
  ExpectConverges(empty, old, h.current());
}

TEST_CASE("History: a version gap resets the log", "[xds]") {
  ConfigHistory h;
  h.Reset(ConfigSet());
  h.Record(1, Upsert(MakeService("a", "")));
  h.Record(5, Upsert(MakeService("b", "")));
  CHECK(h.version() == 5);
  CHECK(h.Build(1, false).kind() == DiscoveryResponse::SNAPSHOT);
  CHECK(h.Build(5, false).kind() == DiscoveryResponse::DELTA);
}

}  // namespace
}  // namespace sluice::controlplane
