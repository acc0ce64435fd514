#include "controlplane/admin/admin_api.h"

#include <catch2/catch.hpp>

#include "common/hash.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "test/unit/controlplane/test_util.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;
namespace pb = google::protobuf;
using testing::TempDir;

// A control plane's admin API on a fresh store, called without sockets.
class Fixture {
 public:
  Fixture() {
    auto opened = Store::Open(dir_.path());
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
    api_ = std::make_unique<AdminApi>(store_.get(), &nodes_);
  }

  AdminResponse Call(const std::string& method, const std::string& target,
                     const std::string& body = "") {
    size_t q = target.find('?');
    AdminRequest request{method, target.substr(0, q),
                         q == std::string::npos ? "" : target.substr(q + 1), body};
    return api_->Handle(request);
  }

  // Calls and parses the JSON answer, checking the status.
  pb::Struct Json(const std::string& method, const std::string& target, const std::string& body,
                  int want_status) {
    AdminResponse r = Call(method, target, body);
    INFO(method << " " << target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == want_status);
    pb::Struct s;
    REQUIRE(pb::util::JsonStringToMessage(r.body, &s).ok());
    return s;
  }

  Store& store() { return *store_; }
  NodeRegistry& nodes() { return nodes_; }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
  NodeRegistry nodes_;
  std::unique_ptr<AdminApi> api_;
};

std::string Str(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

double Num(const pb::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? -1 : it->second.number_value();
}

const pb::Struct& Obj(const pb::Struct& s, const std::string& key) {
  static const pb::Struct kEmpty;
  auto it = s.fields().find(key);
  return it == s.fields().end() ? kEmpty : it->second.struct_value();
}

TEST_CASE("Admin: the walking-skeleton flow", "[admin]") {
  Fixture f;
  pb::Struct service =
      f.Json("POST", "/services", R"({"name":"llm","url":"http://127.0.0.1:9001"})", 201);
  CHECK(LooksLikeUuid(Str(service, "id")));
  CHECK(Str(service, "host") == "127.0.0.1");
  CHECK(Num(service, "port") == 9001);
  CHECK(Num(service, "connect_timeout") == 60000);
  CHECK(Num(service, "retries") == 5);
  CHECK(service.fields().count("url") == 0);
  CHECK(Num(service, "created_at") > 0);

  pb::Struct route = f.Json(
      "POST", "/routes",
      R"({"name":"chat","paths":["/v1"],"hosts":[],"methods":[],"strip_path":false,"service":{"name":"llm"}})",
      201);
  CHECK(Str(Obj(route, "service"), "id") == Str(service, "id"));
  CHECK(route.fields().at("strip_path").bool_value() == false);
  CHECK(route.fields().at("preserve_host").bool_value() == false);

  f.Json("POST", "/consumers", R"({"username":"alice"})", 201);
  pb::Struct cred = f.Json("POST", "/consumers/alice/key-auth", "{}", 201);
  const std::string key = Str(cred, "key");
  CHECK(key.rfind("sk-sluice-", 0) == 0);
  CHECK(Str(cred, "key_hash") == Sha256Hex(key));
  // The fixed "sk-sluice-" and four characters that tell generated keys apart.
  CHECK(Str(cred, "key_prefix") == key.substr(0, 14));
  // Shown once: reading it back gives the hash only, and the key is not stored anywhere.
  pb::Struct again = f.Json("GET", "/consumers/alice/key-auth/" + Str(cred, "id"), "", 200);
  CHECK(again.fields().count("key") == 0);
  const Resource* stored = f.store().config().Find(dv::KEY_AUTH_CREDENTIAL, Str(cred, "id"));
  REQUIRE(stored != nullptr);
  CHECK(stored->key_auth_credential().key().empty());

  pb::Struct plugin =
      f.Json("POST", "/plugins", R"({"name":"key-auth","service":{"name":"llm"},"config":{}})", 201);
  CHECK(plugin.fields().at("route").kind_case() == pb::Value::kNullValue);
  CHECK(Obj(plugin, "config").fields().at("key_names").list_value().values_size() == 3);
  CHECK(f.store().version() == 5);

  pb::Struct status = f.Json("GET", "/status", "", 200);
  CHECK(Num(status, "config_version") == 5);
  CHECK(Obj(status, "store").fields().at("healthy").bool_value());

  pb::Struct config = f.Json("GET", "/config", "", 200);
  CHECK(Num(config, "version") == 5);
  CHECK(config.fields().at("key_auth_credentials").list_value().values_size() == 1);
  CHECK(config.fields().at("routes").list_value().values_size() == 1);
  // What the data planes receive is consistent: every reference resolves.
  CHECK(f.store().config().CheckReferences().ok());
}

TEST_CASE("Admin: given keys are hashed and duplicates refused", "[admin]") {
  Fixture f;
  f.Json("POST", "/consumers", R"({"username":"alice"})", 201);
  f.Json("POST", "/consumers", R"({"username":"bob"})", 201);
  pb::Struct cred = f.Json("POST", "/consumers/alice/key-auth", R"({"key":"my-secret-key"})", 201);
  CHECK(Str(cred, "key") == "my-secret-key");
  // A short key the caller chose shows nothing of itself; a long one its first four characters.
  CHECK(Str(cred, "key_prefix").empty());
  f.Json("POST", "/consumers", R"({"username":"carol"})", 201);
  pb::Struct long_key =
      f.Json("POST", "/consumers/carol/key-auth", R"({"key":"abcd-0123456789-long"})", 201);
  CHECK(Str(long_key, "key_prefix") == "abcd");
  pb::Struct dup = f.Json("POST", "/consumers/bob/key-auth", R"({"key":"my-secret-key"})", 409);
  CHECK(Str(dup, "code") == "already_exists");
  // Another consumer's credential is not reachable under this consumer.
  f.Json("GET", "/consumers/bob/key-auth/" + Str(cred, "id"), "", 404);
  pb::Struct list = f.Json("GET", "/consumers/alice/key-auth", "", 200);
  CHECK(list.fields().at("data").list_value().values_size() == 1);
}

TEST_CASE("Admin: conflicts, not found and in-use", "[admin]") {
  Fixture f;
  f.Json("POST", "/services", R"({"name":"llm","host":"a.example"})", 201);
  CHECK(Str(f.Json("POST", "/services", R"({"name":"llm","host":"b.example"})", 409), "code") ==
        "already_exists");
  CHECK(Str(f.Json("GET", "/services/nope", "", 404), "code") == "not_found");
  f.Json("POST", "/services/llm/routes", R"({"name":"r1","paths":["/a"]})", 201);
  f.Json("POST", "/services/llm/routes", R"({"name":"r2","paths":["/b"]})", 201);
  pb::Struct in_use = f.Json("DELETE", "/services/llm", "", 409);
  CHECK(Str(in_use, "code") == "in_use");
  // Routes are listed in id order, which is random here.
  CHECK(Str(in_use, "message").find("r1") != std::string::npos);
  CHECK(Str(in_use, "message").find("r2") != std::string::npos);

  f.Json("POST", "/plugins", R"({"name":"key-auth","route":{"name":"r1"}})", 201);
  CHECK(Str(f.Json("POST", "/routes/r1/plugins", R"({"name":"key-auth"})", 409), "code") ==
        "already_exists");
  // Deleting the route takes its plugin along, in one version.
  const uint64_t before = f.store().version();
  CHECK(f.Call("DELETE", "/routes/r1").status == 204);
  CHECK(f.store().version() == before + 1);
  CHECK(f.store().config().Of(dv::PLUGIN).empty());
  CHECK(f.Call("DELETE", "/routes/r2").status == 204);
  CHECK(f.Call("DELETE", "/services/llm").status == 204);
  CHECK(f.Call("GET", "/services/llm").status == 404);
}

TEST_CASE("Admin: consumer deletion cascades to credentials and plugins", "[admin]") {
  Fixture f;
  f.Json("POST", "/consumers", R"({"username":"alice"})", 201);
  f.Json("POST", "/consumers/alice/key-auth", "{}", 201);
  f.Json("POST", "/consumers/alice/plugins", R"({"name":"key-auth"})", 201);
  CHECK(f.Call("DELETE", "/consumers/alice").status == 204);
  CHECK(f.store().config().size() == 0);
}

TEST_CASE("Admin: validation and malformed input errors", "[admin]") {
  Fixture f;
  f.Json("POST", "/services", R"({"name":"llm","host":"a.example"})", 201);
  pb::Struct bad = f.Json("POST", "/routes",
                          R"({"paths":["/ok","v1"],"service":{"name":"llm"},"colour":"red"})", 400);
  CHECK(Str(bad, "code") == "invalid_config");
  CHECK(Obj(bad, "fields").fields().count("colour") == 1);

  bad = f.Json("POST", "/routes", R"({"paths":["/ok","v1"],"service":{"name":"llm"}})", 400);
  CHECK(Str(Obj(bad, "fields"), "paths[1]") ==
        "must start with / (prefix), =/ (exact) or ~ (regex)");

  bad = f.Json("POST", "/routes", R"({"paths":["/ok"],"service":{"name":"ghost"}})", 400);
  CHECK(Str(Obj(bad, "fields"), "service") == "no service with name 'ghost'");

  CHECK(Str(f.Json("POST", "/services", "{\"name\":", 400), "code") == "invalid_json");
  CHECK(Str(f.Json("POST", "/services", "[]", 400), "code") == "invalid_json");
  std::string huge = R"({"name":"x","tags":[")" + std::string(AdminApi::kMaxBodyBytes, 'a') + "\"]}";
  CHECK(Str(f.Json("POST", "/services", huge, 413), "code") == "payload_too_large");
  CHECK(Str(f.Json("GET", "/nothing/here", "", 404), "code") == "not_found");
  CHECK(Str(f.Json("DELETE", "/services", "", 405), "code") == "method_not_allowed");
  CHECK(Str(f.Json("POST", "/status", "", 405), "code") == "method_not_allowed");
  CHECK(Str(f.Json("GET", "/services?size=5000", "", 400), "code") == "invalid_query");
  CHECK(Str(f.Json("POST", "/plugins", R"({"name":"nope"})", 400), "code") == "invalid_config");
  CHECK(f.store().version() == 1);  // nothing invalid was stored
}

TEST_CASE("Admin: PUT upserts and PATCH merges", "[admin]") {
  Fixture f;
  // PUT by name creates, using the path segment as the name.
  pb::Struct created = f.Json("PUT", "/services/llm", R"({"host":"a.example"})", 201);
  CHECK(Str(created, "name") == "llm");
  const std::string id = Str(created, "id");
  // PUT replaces (unset fields go back to defaults) and keeps id and created_at.
  pb::Struct replaced =
      f.Json("PUT", "/services/llm", R"({"host":"b.example","retries":1})", 200);
  CHECK(Str(replaced, "id") == id);
  CHECK(Num(replaced, "created_at") == Num(created, "created_at"));
  CHECK(Num(replaced, "retries") == 1);
  replaced = f.Json("PUT", "/services/" + id, R"({"name":"llm","host":"c.example"})", 200);
  CHECK(Num(replaced, "retries") == 5);
  CHECK(Str(f.Json("PUT", "/services/llm", R"({"name":"other","host":"x"})", 400), "code") ==
        "invalid_config");
  // PUT by a UUID that does not exist creates with that id.
  const std::string new_id = NewUuid();
  CHECK(Str(f.Json("PUT", "/consumers/" + new_id, R"({"username":"bob"})", 201), "id") == new_id);

  // PATCH changes only the given fields.
  pb::Struct patched = f.Json("PATCH", "/services/llm", R"({"port":8080})", 200);
  CHECK(Str(patched, "host") == "c.example");
  CHECK(Num(patched, "port") == 8080);
  // A url in a PATCH replaces protocol/host/port/path.
  patched = f.Json("PATCH", "/services/llm", R"({"url":"https://d.example/v2"})", 200);
  CHECK(Str(patched, "host") == "d.example");
  CHECK(Num(patched, "port") == 443);
  CHECK(Str(patched, "path") == "/v2");
  CHECK(Str(f.Json("PATCH", "/services/llm", R"({"id":"x"})", 400), "code") == "invalid_config");

  // A plugin's config merges key by key.
  pb::Struct plugin = f.Json("POST", "/plugins", R"({"name":"key-auth"})", 201);
  pb::Struct p2 = f.Json("PATCH", "/plugins/" + Str(plugin, "id"),
                         R"({"config":{"hide_credentials":false}})", 200);
  CHECK(Obj(p2, "config").fields().at("hide_credentials").bool_value() == false);
  CHECK(Obj(p2, "config").fields().at("key_in_query").bool_value() == true);
  CHECK(Obj(p2, "config").fields().at("key_names").list_value().values_size() == 3);
  CHECK(f.Call("PUT", "/plugins/key-auth", "{}").status == 404);
}

TEST_CASE("Admin: targets by id or target string", "[admin]") {
  Fixture f;
  f.Json("POST", "/upstreams", R"({"name":"pool"})", 201);
  pb::Struct t = f.Json("POST", "/upstreams/pool/targets", R"({"target":"10.0.0.1"})", 201);
  CHECK(Str(t, "target") == "10.0.0.1:8000");
  CHECK(Num(t, "weight") == 100);
  f.Json("POST", "/upstreams/pool/targets", R"({"target":"10.0.0.1:8000"})", 409);
  pb::Struct w = f.Json("PATCH", "/upstreams/pool/targets/10.0.0.1:8000", R"({"weight":0})", 200);
  CHECK(Num(w, "weight") == 0);
  f.Json("GET", "/upstreams/pool/targets/10.0.0.1", "", 200);
  CHECK(f.Call("DELETE", "/upstreams/pool/targets/" + Str(t, "id")).status == 204);
  CHECK(f.Call("GET", "/upstreams/pool/targets/" + Str(t, "id")).status == 404);
}

TEST_CASE("Admin: lists paginate with an opaque cursor", "[admin]") {
  Fixture f;
  for (int i = 0; i < 5; ++i)
    f.Json("POST", "/consumers", R"({"username":"u)" + std::to_string(i) + "\"}", 201);
  std::vector<std::string> ids;
  std::string target = "/consumers?size=2";
  int pages = 0;
  while (!target.empty() && pages < 10) {
    pb::Struct page = f.Json("GET", target, "", 200);
    for (const auto& v : page.fields().at("data").list_value().values())
      ids.push_back(Str(v.struct_value(), "id"));
    const pb::Value& next = page.fields().at("next");
    target = next.kind_case() == pb::Value::kStringValue ? next.string_value() : "";
    if (!target.empty()) CHECK(page.fields().count("offset") == 1);
    ++pages;
  }
  CHECK(pages == 3);
  REQUIRE(ids.size() == 5);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(Str(f.Json("GET", "/consumers?offset=!!", "", 400), "code") == "invalid_query");
}

TEST_CASE("Admin: /dataplanes shows what the registry knows", "[admin]") {
  Fixture f;
  f.nodes().Connected("dp-1", "host-a", "0.1.0", "127.0.0.1:5000", 100);
  f.nodes().Acked("dp-1", 7, 101);
  f.nodes().Nacked("dp-1", 8, "bad route", 102);
  pb::Struct list = f.Json("GET", "/dataplanes", "", 200);
  REQUIRE(list.fields().at("data").list_value().values_size() == 1);
  const pb::Struct& dp = list.fields().at("data").list_value().values(0).struct_value();
  CHECK(Str(dp, "node_id") == "dp-1");
  CHECK(dp.fields().at("connected").bool_value());
  CHECK(Num(dp, "last_acked_version") == 7);
  CHECK(Num(Obj(dp, "last_nack"), "version") == 8);
  CHECK(Str(Obj(dp, "last_nack"), "message") == "bad route");
  CHECK(Num(Obj(f.Json("GET", "/status", "", 200), "dataplanes"), "connected") == 1);
  f.nodes().Disconnected("dp-1", 103);
  CHECK(Num(Obj(f.Json("GET", "/status", "", 200), "dataplanes"), "connected") == 0);
}

}  // namespace
}  // namespace sluice::controlplane
