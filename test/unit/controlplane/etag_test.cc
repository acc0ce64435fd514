// ETag and If-Match on the admin API (no sockets).
#include <catch2/catch.hpp>

#include "test/unit/controlplane/admin_fixture.h"

namespace sluice::controlplane {
namespace {

using testing::AdminFixture;
using testing::Str;

std::string CodeOf(const AdminResponse& r) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(r.body, &s).ok()) return "";
  return Str(s, "code");
}

TEST_CASE("ETag: every read of one entity has one, and it changes with the entity",
          "[admin][etag]") {
  AdminFixture f;
  AdminResponse created = f.Call("POST", "/services", R"({"name":"llm","host":"a.example"})");
  REQUIRE(created.status == 201);
  const std::string etag = created.etag;
  CHECK(etag.size() == 34);  // a quoted, strong tag
  CHECK(etag.front() == '"');
  CHECK(etag.back() == '"');

  AdminResponse read = f.Call("GET", "/services/llm");
  CHECK(read.etag == etag);
  CHECK(f.Call("GET", "/services/llm").etag == etag);  // stable while nothing changes
  CHECK(f.Call("GET", "/services").etag.empty());       // lists have none

  AdminResponse patched = f.Call("PATCH", "/services/llm", R"({"read_timeout":1000})");
  REQUIRE(patched.status == 200);
  CHECK(patched.etag != etag);
  CHECK(f.Call("GET", "/services/llm").etag == patched.etag);

  // Nested entities too.
  f.Call("PUT", "/upstreams/pool", "{}");
  AdminResponse target = f.Call("POST", "/upstreams/pool/targets", R"({"target":"10.0.0.1"})");
  CHECK(!target.etag.empty());
  CHECK(f.Call("GET", "/upstreams/pool/targets/10.0.0.1").etag == target.etag);
}

TEST_CASE("If-Match: two writers, the second one's stale tag gets 412", "[admin][etag]") {
  AdminFixture f;
  REQUIRE(f.Call("POST", "/services", R"({"name":"llm","host":"a.example"})").status == 201);
  // Both read the same version.
  const std::string seen_by_a = f.Call("GET", "/services/llm").etag;
  const std::string seen_by_b = f.Call("GET", "/services/llm").etag;
  REQUIRE(seen_by_a == seen_by_b);

  AdminResponse a = f.Call("PATCH", "/services/llm", R"({"read_timeout":1111})", seen_by_a);
  REQUIRE(a.status == 200);
  const uint64_t version = f.store().version();
  AdminResponse b = f.Call("PATCH", "/services/llm", R"({"read_timeout":2222})", seen_by_b);
  CHECK(b.status == 412);
  CHECK(CodeOf(b) == "precondition_failed");
  // The message names the current tag.
  CHECK(b.body.find(a.etag.substr(1, a.etag.size() - 2)) != std::string::npos);
  CHECK(b.etag == a.etag);
  CHECK(f.store().version() == version);  // nothing written
  CHECK(f.Call("GET", "/services/llm").body.find("1111") != std::string::npos);

  // B reads again and retries with the fresh tag.
  const std::string fresh = f.Call("GET", "/services/llm").etag;
  CHECK(f.Call("PATCH", "/services/llm", R"({"read_timeout":2222})", fresh).status == 200);

  // The same for PUT and DELETE.
  CHECK(f.Call("PUT", "/services/llm", R"({"host":"b.example"})", fresh).status == 412);
  CHECK(f.Call("DELETE", "/services/llm", "", fresh).status == 412);
  // A list of tags matches when one does; a weak tag never does (strong comparison).
  const std::string now = f.Call("GET", "/services/llm").etag;
  CHECK(f.Call("PATCH", "/services/llm", R"({"retries":1})", "W/" + now).status == 412);
  const std::string after_list = f.Call("PATCH", "/services/llm", R"({"retries":2})",
                                        "\"nope\", " + now).etag;
  CHECK(!after_list.empty());
  CHECK(f.Call("DELETE", "/services/llm", "", after_list).status == 204);
}

TEST_CASE("If-Match: * means the entity must exist; no If-Match writes as before",
          "[admin][etag]") {
  AdminFixture f;
  // Creating through PUT with If-Match: * fails: there is nothing to match.
  AdminResponse create = f.Call("PUT", "/consumers/alice", "{}", "*");
  CHECK(create.status == 412);
  CHECK(CodeOf(create) == "precondition_failed");
  CHECK(f.Call("GET", "/consumers/alice").status == 404);
  CHECK(f.Call("DELETE", "/consumers/alice", "", "*").status == 412);

  CHECK(f.Call("PUT", "/consumers/alice", "{}").status == 201);
  CHECK(f.Call("PUT", "/consumers/alice", R"({"custom_id":"1"})", "*").status == 200);
  CHECK(f.Call("PATCH", "/consumers/alice", R"({"custom_id":"2"})").status == 200);
  CHECK(f.Call("DELETE", "/consumers/alice", "", "*").status == 204);
}

}  // namespace
}  // namespace sluice::controlplane
