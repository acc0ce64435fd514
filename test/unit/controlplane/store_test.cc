#include "controlplane/store/store.h"

#include <catch2/catch.hpp>

#include "controlplane/admin/admin_api.h"
#include "test/unit/controlplane/test_util.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;
using testing::Key;
using testing::MakeRoute;
using testing::MakeService;
using testing::TempDir;

class RecordingObserver : public CommitObserver {
 public:
  void OnCommit(uint64_t version, const ChangeSet& change) override {
    versions.push_back(version);
    changes.push_back(change);
  }
  std::vector<uint64_t> versions;
  std::vector<ChangeSet> changes;
};

TEST_CASE("Store: a write survives reopening with the same state and version", "[store]") {
  TempDir dir;
  ConfigSet before;
  {
    auto store = Store::Open(dir.path());
    REQUIRE(store.ok());
    CHECK((*store)->version() == 0);
    ChangeSet change;
    change.upserts = {MakeService("s1", "llm"), MakeRoute("r1", "s1")};
    REQUIRE((*store)->Commit(change).ok());
    ChangeSet second;
    second.upserts = {MakeService("s2", "other")};
    REQUIRE((*store)->Commit(second).ok());
    before = (*store)->config();
  }
  auto reopened = Store::Open(dir.path());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->version() == 2);
  CHECK((*reopened)->config() == before);
  CHECK((*reopened)->config().size() == 3);
  // Indexes are rebuilt on load.
  const std::string* id = (*reopened)->index().FindUnique(dv::SERVICE, "name", "other");
  REQUIRE(id != nullptr);
  CHECK(*id == "s2");
  CHECK((*reopened)->index().Children(dv::SERVICE, "s1", dv::ROUTE).count("r1") == 1);
}

TEST_CASE("Store: every commit is exactly one new version, and observers see it", "[store]") {
  TempDir dir;
  auto store = Store::Open(dir.path());
  REQUIRE(store.ok());
  RecordingObserver observer;
  (*store)->SetObserver(&observer);
  uint64_t last = (*store)->version();
  for (int i = 0; i < 5; ++i) {
    ChangeSet change;
    change.upserts = {MakeService("s" + std::to_string(i), "svc" + std::to_string(i))};
    auto v = (*store)->Commit(change);
    REQUIRE(v.ok());
    CHECK(*v == last + 1);
    last = *v;
  }
  CHECK(observer.versions == std::vector<uint64_t>{1, 2, 3, 4, 5});

  // A rejected commit changes nothing: no version, no observer call.
  ChangeSet bad;
  bad.upserts.emplace_back();  // no kind, no id
  CHECK_FALSE((*store)->Commit(bad).ok());
  CHECK((*store)->version() == 5);
  CHECK(observer.versions.size() == 5);

  ChangeSet removal;
  removal.removes = {Key(dv::SERVICE, "s0")};
  REQUIRE((*store)->Commit(removal).ok());
  CHECK((*store)->config().Find(dv::SERVICE, "s0") == nullptr);
  CHECK((*store)->index().FindUnique(dv::SERVICE, "name", "svc0") == nullptr);
  CHECK(observer.changes.back().removes.size() == 1);
}

TEST_CASE("Store: a cascading delete is one version, on disk too", "[store]") {
  TempDir dir;
  {
    auto store = Store::Open(dir.path());
    REQUIRE(store.ok());
    AdminApi api(store->get(), nullptr);
    REQUIRE(api.Handle({"POST", "/upstreams", "", R"({"name":"pool"})"}).status == 201);
    REQUIRE(api.Handle({"POST", "/upstreams/pool/targets", "", R"({"target":"10.0.0.1:80"})"})
                .status == 201);
    REQUIRE(api.Handle({"POST", "/upstreams/pool/targets", "", R"({"target":"10.0.0.2:80"})"})
                .status == 201);
    REQUIRE((*store)->config().Of(dv::TARGET).size() == 2);
    const uint64_t before = (*store)->version();
    REQUIRE(api.Handle({"DELETE", "/upstreams/pool", "", ""}).status == 204);
    CHECK((*store)->version() == before + 1);
    CHECK((*store)->config().Of(dv::TARGET).empty());
    CHECK((*store)->config().Of(dv::UPSTREAM).empty());
  }
  auto reopened = Store::Open(dir.path());
  REQUIRE(reopened.ok());
  CHECK((*reopened)->config().size() == 0);
  CHECK((*reopened)->version() == 4);
}

TEST_CASE("Store: a data dir that cannot be opened is a clear error", "[store]") {
  TempDir dir;
  auto first = Store::Open(dir.path());
  REQUIRE(first.ok());
  // RocksDB's lock keeps a second opener out.
  auto second = Store::Open(dir.path());
  REQUIRE_FALSE(second.ok());
  CHECK(std::string(second.status().message()).find("locked") != std::string::npos);
  auto impossible = Store::Open("/proc/sluice-no-such-dir/db");
  CHECK_FALSE(impossible.ok());
}

}  // namespace
}  // namespace sluice::controlplane
