// The kinds added for TLS and the AI gateway travel in snapshots and deltas like the others,
// and their references are checked.
#include <catch2/catch.hpp>

#include "common/config_set.h"

namespace sluice {
namespace {

namespace dv = discovery::v1;

Resource Provider(const std::string& id) {
  Resource r;
  r.mutable_provider()->set_id(id);
  r.mutable_provider()->set_kind("openai");
  return r;
}

Resource Model(const std::string& id, const std::string& provider_id) {
  Resource r;
  r.mutable_model()->set_id(id);
  r.mutable_model()->set_name(id);
  r.mutable_model()->mutable_provider()->set_id(provider_id);
  return r;
}

dv::DiscoveryResponse Snapshot(uint64_t version, std::vector<Resource> resources) {
  dv::DiscoveryResponse snap;
  snap.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  snap.set_version(version);
  for (Resource& r : resources) *snap.add_resources() = std::move(r);
  return snap;
}

TEST_CASE("new kinds: kind, id and name of each", "[config_set]") {
  Resource cert;
  cert.mutable_certificate()->set_id("c1");
  Resource ca;
  ca.mutable_ca_certificate()->set_id("a1");
  const Resource provider = Provider("p1");
  const Resource model = Model("m1", "p1");
  CHECK(KindOf(cert) == dv::CERTIFICATE);
  CHECK(KindOf(ca) == dv::CA_CERTIFICATE);
  CHECK(KindOf(provider) == dv::PROVIDER);
  CHECK(KindOf(model) == dv::MODEL);
  CHECK(IdOf(cert) == "c1");
  CHECK(IdOf(ca) == "a1");
  CHECK(IdOf(provider) == "p1");
  CHECK(IdOf(model) == "m1");
  CHECK(KindName(dv::CA_CERTIFICATE) == "ca_certificate");
  CHECK(KindName(dv::MODEL) == "model");
  // Every kind in kAllKinds has its own slot and name.
  for (ResourceKind kind : kAllKinds) CHECK(KindName(kind) != "unknown");
}

TEST_CASE("new kinds: snapshot, delta and references", "[config_set]") {
  Resource cert;
  cert.mutable_certificate()->set_id("c1");
  cert.mutable_certificate()->set_key("KEY");
  Resource ca;
  ca.mutable_ca_certificate()->set_id("a1");
  Resource svc;
  svc.mutable_service()->set_id("s1");
  svc.mutable_service()->add_ca_certificates("a1");
  svc.mutable_service()->mutable_client_certificate()->set_id("c1");
  Resource fallback = Model("m2", "p1");
  Resource model = Model("m1", "p1");
  model.mutable_model()->add_fallbacks()->set_id("m2");

  ConfigSet c;
  REQUIRE(c.Apply(Snapshot(3, {cert, ca, svc, Provider("p1"), model, fallback})).ok());
  CHECK(c.size() == 6);
  CHECK(c.Find(dv::CERTIFICATE, "c1")->certificate().key() == "KEY");
  CHECK(c.CheckReferences().ok());

  // Each dangling reference is found.
  auto dangling = [&](ResourceKind kind, const std::string& id) {
    ConfigSet broken = c;
    broken.Remove(kind, id);
    absl::Status s = broken.CheckReferences();
    INFO("without " << KindName(kind) << " " << id << ": " << s.message());
    return !s.ok() && std::string(s.message()).find(id) != std::string::npos;
  };
  CHECK(dangling(dv::CA_CERTIFICATE, "a1"));
  CHECK(dangling(dv::CERTIFICATE, "c1"));
  CHECK(dangling(dv::PROVIDER, "p1"));
  CHECK(dangling(dv::MODEL, "m2"));

  Resource split = Model("s", "");
  auto* entry = split.mutable_model()->add_split();
  entry->mutable_model()->set_id("missing");
  entry->set_weight(1);
  dv::DiscoveryResponse delta;
  delta.set_kind(dv::DiscoveryResponse::DELTA);
  delta.set_base_version(3);
  delta.set_version(4);
  *delta.add_resources() = split;
  auto* removed = delta.add_removed();
  removed->set_kind(dv::CERTIFICATE);
  removed->set_id("c1");
  ConfigSet next = c;
  REQUIRE(next.Apply(delta).ok());
  CHECK(next.Find(dv::CERTIFICATE, "c1") == nullptr);
  CHECK(next.Find(dv::MODEL, "s") != nullptr);
  CHECK_FALSE(next.CheckReferences().ok());
}

}  // namespace
}  // namespace sluice
