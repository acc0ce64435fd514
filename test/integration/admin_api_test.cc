// Admin API error contract, against a real control plane.
#include <algorithm>

#include <catch2/catch.hpp>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("bad JSON and bad fields are refused with 400 and stored nowhere", "[cp][admin]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  Admin(cp, "POST", "/services", R"({"name":"llm","url":"http://127.0.0.1:9"})", 201);
  const int64_t version = ControlPlaneVersion(cp);

  SECTION("malformed JSON → 400 invalid_json") {
    for (const char* bad : {R"({"name":"llm2","url":)", "not json", R"(["an","array"])"}) {
      HttpResponse resp = AdminCall(cp, "POST", "/services", bad);
      INFO("body " << bad << " -> " << resp.Describe());
      CHECK(resp.status == 400);
      CHECK(Json::Parse(resp.body).Str("/code") == "invalid_json");
      CHECK(resp.Header("content-type").find("application/json") != std::string::npos);
    }
  }

  SECTION("a bad field → 400 invalid_config naming the field") {
    HttpResponse resp = AdminCall(
        cp, "POST", "/routes",
        R"({"name":"chat","paths":["/v1","v2"],"service":{"name":"llm"}})");
    INFO(resp.Describe());
    CHECK(resp.status == 400);
    Json body = Json::Parse(resp.body);
    CHECK(body.Str("/code") == "invalid_config");
    CHECK(body.Has("/message"));
    CHECK(Contains(body.Keys("/fields"), "paths[1]"));
    CHECK_FALSE(Contains(body.Keys("/fields"), "paths[0]"));

    HttpResponse first = AdminCall(
        cp, "POST", "/routes", R"({"name":"chat","paths":["v1"],"service":{"name":"llm"}})");
    INFO(first.Describe());
    CHECK(first.status == 400);
    CHECK(Contains(Json::Parse(first.body).Keys("/fields"), "paths[0]"));

    HttpResponse stored = AdminCall(cp, "GET", "/routes/chat");
    INFO(stored.Describe());
    CHECK(stored.status == 404);
    CHECK(Json::Parse(stored.body).Str("/code") == "not_found");
  }

  // A refused write is not a committed change.
  CHECK(ControlPlaneVersion(cp) == version);
}

TEST_CASE("admin API: conflicts, unknown ids, upserts, lists and key-auth keys", "[cp][admin]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  Json svc = Admin(cp, "POST", "/services", R"({"name":"llm","url":"http://127.0.0.1:9001"})", 201);
  const std::string service_id = svc.Str("/id");
  CHECK(service_id.size() == 36);  // A UUID.
  CHECK(svc.Str("/host") == "127.0.0.1");
  CHECK(svc.Int("/port") == 9001);
  CHECK(svc.Int("/created_at") > 0);

  SECTION("duplicate name → 409 already_exists") {
    HttpResponse resp =
        AdminCall(cp, "POST", "/services", R"({"name":"llm","url":"http://127.0.0.1:9002"})");
    INFO(resp.Describe());
    CHECK(resp.status == 409);
    CHECK(Json::Parse(resp.body).Str("/code") == "already_exists");
  }

  SECTION("unknown name or id → 404 not_found") {
    for (const char* path : {"/services/nope", "/routes/00000000-0000-4000-8000-000000000000",
                             "/consumers/nobody"}) {
      HttpResponse resp = AdminCall(cp, "GET", path);
      INFO(path << " -> " << resp.Describe());
      CHECK(resp.status == 404);
      CHECK(Json::Parse(resp.body).Str("/code") == "not_found");
    }
  }

  SECTION("a service that routes use → 409 in_use; free once the route is gone") {
    Admin(cp, "POST", "/routes", R"({"name":"chat","paths":["/v1"],"service":{"name":"llm"}})",
          201);
    HttpResponse resp = AdminCall(cp, "DELETE", "/services/llm");
    INFO(resp.Describe());
    CHECK(resp.status == 409);
    CHECK(Json::Parse(resp.body).Str("/code") == "in_use");
    Admin(cp, "DELETE", "/routes/chat", "", 204);
    Admin(cp, "DELETE", "/services/" + service_id, "", 204);
    CHECK(AdminCall(cp, "GET", "/services/llm").status == 404);
  }

  SECTION("GET by id and by name are the same entity; PUT upserts") {
    CHECK(Admin(cp, "GET", "/services/" + service_id, "", 200).Str("/name") == "llm");
    HttpResponse put = AdminCall(cp, "PUT", "/services/llm",
                                 R"({"url":"http://127.0.0.1:9005","read_timeout":1500})");
    INFO(put.Describe());
    CHECK((put.status == 200 || put.status == 201));
    Json after = Admin(cp, "GET", "/services/llm", "", 200);
    CHECK(after.Str("/id") == service_id);
    CHECK(after.Int("/port") == 9005);
    CHECK(after.Int("/read_timeout") == 1500);

    HttpResponse created = AdminCall(cp, "PUT", "/consumers/carol", R"({})");
    INFO(created.Describe());
    CHECK((created.status == 200 || created.status == 201));
    CHECK(Admin(cp, "GET", "/consumers/carol", "", 200).Str("/username") == "carol");
  }

  SECTION("lists page with size and next") {
    for (const char* name : {"a", "b", "c"}) {
      Admin(cp, "POST", "/consumers", std::string(R"({"username":")") + name + R"("})", 201);
    }
    Json page1 = Admin(cp, "GET", "/consumers?size=2", "", 200);
    CHECK(page1.Size("/data") == 2);
    REQUIRE(page1.Has("/next"));
    const std::string next = page1.Str("/next");
    INFO("next: " << page1.Raw("/next"));
    REQUIRE(!next.empty());
    // Kong's "next" is the path of the following page; an opaque offset also works with ?offset=.
    const std::string next_path =
        next.front() == '/' ? next : "/consumers?size=2&offset=" + next;
    Json page2 = Admin(cp, "GET", next_path, "", 200);
    CHECK(page2.Size("/data") == 1);
    CHECK(page2.Raw("/next") == "null");
    std::vector<std::string> names;
    for (const Json* page : {&page1, &page2}) {
      for (int64_t i = 0; i < page->Size("/data"); ++i) {
        names.push_back(page->Str("/data/" + std::to_string(i) + "/username"));
      }
    }
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"a", "b", "c"});
  }

  SECTION("a key-auth key is shown once and then only as a hash") {
    Admin(cp, "POST", "/consumers", R"({"username":"demo"})", 201);
    Json cred = Admin(cp, "POST", "/consumers/demo/key-auth", "{}", 201);
    const std::string key = cred.Str("/key");
    INFO(cred.text());
    REQUIRE(key.size() >= 16);
    HttpResponse list = AdminCall(cp, "GET", "/consumers/demo/key-auth");
    INFO(list.Describe());
    CHECK(list.status == 200);
    CHECK(Json::Parse(list.body).Size("/data") == 1);
    CHECK(list.body.find(key) == std::string::npos);

    // A caller-chosen key is accepted, and is unique.
    Admin(cp, "POST", "/consumers/demo/key-auth", R"({"key":"my-own-key-0123456789"})", 201);
    Admin(cp, "POST", "/consumers", R"({"username":"other"})", 201);
    HttpResponse dup =
        AdminCall(cp, "POST", "/consumers/other/key-auth", R"({"key":"my-own-key-0123456789"})");
    INFO(dup.Describe());
    CHECK(dup.status == 409);
  }
}

}  // namespace
}  // namespace sluice::testing
