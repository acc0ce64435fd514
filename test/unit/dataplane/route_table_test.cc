#include "dataplane/router/route_table.h"

#include <catch2/catch.hpp>
#include <random>

#include "google/protobuf/struct.pb.h"

namespace sluice::router {
namespace {

config::v1::Route MakeRoute(std::string id, std::vector<std::string> paths,
                            std::vector<std::string> hosts = {},
                            std::vector<std::string> methods = {}) {
  config::v1::Route r;
  r.set_id(id);
  r.set_name(id);
  for (auto& p : paths) r.add_paths(p);
  for (auto& h : hosts) r.add_hosts(h);
  for (auto& m : methods) r.add_methods(m);
  r.mutable_service()->set_id("svc");
  return r;
}

struct Table {
  std::vector<config::v1::Route> routes;
  std::unique_ptr<RouteTable> table;
  void Build() {
    std::vector<const config::v1::Route*> ptrs;
    for (auto& r : routes) ptrs.push_back(&r);
    auto t = RouteTable::Build(ptrs);
    REQUIRE(t.ok());
    table = *std::move(t);
  }
  std::string Match(std::string_view method, std::string_view host, std::string_view path,
                    const http::HeaderMap* headers = nullptr, size_t* strip = nullptr) {
    RouteMatch m = table->Match(MatchInput{method, host, path, headers});
    if (strip != nullptr) *strip = m.strip_length;
    return m.route == nullptr ? "" : m.route->id;
  }
};

TEST_CASE("longest prefix wins and exact beats prefix", "[router]") {
  Table t;
  t.routes = {MakeRoute("root", {"/"}), MakeRoute("v1", {"/v1"}),
              MakeRoute("chat", {"/v1/chat"}), MakeRoute("models", {"=/v1/models"})};
  t.Build();
  size_t strip = 0;
  CHECK(t.Match("GET", "x", "/v1/chat/completions", nullptr, &strip) == "chat");
  CHECK(strip == 8);
  CHECK(t.Match("GET", "x", "/v1/embeddings") == "v1");
  CHECK(t.Match("GET", "x", "/v1/models") == "models");
  CHECK(t.Match("GET", "x", "/v1/models/x") == "v1");
  CHECK(t.Match("GET", "x", "/other") == "root");
}

TEST_CASE("no route matches", "[router]") {
  Table t;
  t.routes = {MakeRoute("v1", {"/v1"})};
  t.Build();
  CHECK(t.Match("GET", "x", "/v2").empty());
  CHECK(t.Match("GET", "x", "/").empty());
}

TEST_CASE("hosts: exact, wildcard, and more categories win", "[router]") {
  Table t;
  t.routes = {MakeRoute("any", {"/"}), MakeRoute("api", {"/"}, {"api.example.com"}),
              MakeRoute("wild", {"/"}, {"*.example.com"}), MakeRoute("pre", {"/"}, {"example.*"})};
  t.Build();
  CHECK(t.Match("GET", "api.example.com", "/x") == "api");
  CHECK(t.Match("GET", "API.Example.COM", "/x") == "api");
  CHECK(t.Match("GET", "foo.example.com", "/x") == "wild");
  CHECK(t.Match("GET", "example.org", "/x") == "pre");
  CHECK(t.Match("GET", "other.org", "/x") == "any");
  // "*.example.com" does not match the bare domain.
  CHECK(t.Match("GET", "example.com", "/x") == "pre");
}

TEST_CASE("methods restrict a route", "[router]") {
  Table t;
  t.routes = {MakeRoute("get", {"/a"}, {}, {"GET"}), MakeRoute("all", {"/a"})};
  t.Build();
  CHECK(t.Match("GET", "x", "/a") == "get");
  CHECK(t.Match("POST", "x", "/a") == "all");
}

TEST_CASE("headers restrict a route, case-insensitively", "[router]") {
  Table t;
  config::v1::Route with_header = MakeRoute("beta", {"/a"});
  google::protobuf::ListValue values;
  values.add_values()->set_string_value("Beta");
  (*with_header.mutable_headers())["X-Channel"] = values;
  t.routes = {MakeRoute("plain", {"/a"}), with_header};
  t.Build();
  http::HeaderMap h;
  h.Add("x-channel", "beta");
  CHECK(t.Match("GET", "x", "/a", &h) == "beta");
  http::HeaderMap other;
  other.Add("x-channel", "stable");
  CHECK(t.Match("GET", "x", "/a", &other) == "plain");
  CHECK(t.Match("GET", "x", "/a") == "plain");
}

TEST_CASE("regex paths are anchored and ordered by regex_priority", "[router]") {
  Table t;
  config::v1::Route low = MakeRoute("low", {"~/items/[0-9]+"});
  config::v1::Route high = MakeRoute("high", {"~/items/4[0-9]*"});
  high.set_regex_priority(10);
  t.routes = {low, high, MakeRoute("prefix", {"/items"})};
  t.Build();
  size_t strip = 99;
  CHECK(t.Match("GET", "x", "/items/42", nullptr, &strip) == "high");
  CHECK(strip == 0);
  CHECK(t.Match("GET", "x", "/items/17") == "low");
  CHECK(t.Match("GET", "x", "/items/abc") == "prefix");
  // Anchored at the start: the regex does not match in the middle of the path.
  CHECK(t.Match("GET", "x", "/x/items/17").empty());
}

TEST_CASE("an invalid regex fails the build", "[router]") {
  config::v1::Route bad = MakeRoute("bad", {"~/items/("});
  std::vector<const config::v1::Route*> ptrs{&bad};
  CHECK_FALSE(RouteTable::Build(ptrs).ok());
}

TEST_CASE("ties go to the route created first", "[router]") {
  Table t;
  config::v1::Route a = MakeRoute("b-second", {"/same"});
  a.set_created_at(200);
  config::v1::Route b = MakeRoute("a-first", {"/same"});
  b.set_created_at(100);
  t.routes = {a, b};
  t.Build();
  CHECK(t.Match("GET", "x", "/same") == "a-first");
}

}  // namespace
}  // namespace sluice::router

namespace sluice::router {
namespace {

// The indexes (hash by exact path and prefix, host groups, RE2::Set) must pick exactly the route
// a scan in precedence order picks, for any mix of routes and requests.
TEST_CASE("indexed matching agrees with a scan over every route", "[router]") {
  std::mt19937 rng(Catch::rngSeed() + 7);
  auto pick = [&](std::vector<std::string> v) { return v[rng() % v.size()]; };
  const std::vector<std::string> segments = {"v1", "v2", "chat", "models", "a", "ab", "x1", "users"};
  auto random_path = [&]() {
    std::string p;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) p += "/" + pick(segments);
    return p;
  };
  for (int round = 0; round < 20; ++round) {
    Table t;
    int count = 20 + static_cast<int>(rng() % 300);
    for (int i = 0; i < count; ++i) {
      std::vector<std::string> paths, hosts, methods;
      int kind = static_cast<int>(rng() % 5);
      if (kind == 0) paths.push_back(random_path());
      if (kind == 1) paths.push_back("=" + random_path());
      if (kind == 2) {
        // With a leading literal (indexed by it), with none, alternations and case-insensitive
        // ones (whose literal is shorter or empty).
        switch (rng() % 5) {
          case 0: paths.push_back("~" + random_path() + "/[a-z0-9]+$"); break;
          case 1: paths.push_back("~" + random_path()); break;
          case 2: paths.push_back("~(" + random_path() + "|" + random_path() + ")/[a-z]+"); break;
          case 3: paths.push_back("~(?i)" + random_path() + "/.*"); break;
          default: paths.push_back("~.*/" + pick(segments) + "$"); break;
        }
      }
      if (kind == 3) paths.push_back(random_path().substr(0, 1 + rng() % 5));
      if (rng() % 3 == 0) hosts.push_back(pick({"api.example.com", "b.example.com", "*.example.com", "api.*", "other.test"}));
      if (rng() % 4 == 0) methods.push_back(pick({"GET", "POST"}));
      auto r = MakeRoute("r" + std::to_string(i), paths, hosts, methods);
      r.set_created_at(static_cast<uint32_t>(rng() % 50));
      r.set_regex_priority(static_cast<int32_t>(rng() % 3));
      t.routes.push_back(std::move(r));
    }
    t.Build();
    for (int q = 0; q < 300; ++q) {
      std::string path = random_path() + (rng() % 2 ? "/" + pick(segments) : "");
      std::string host = pick({"api.example.com", "API.Example.com", "b.example.com", "c.example.com", "api.test", "other.test", ""});
      std::string method = pick({"GET", "POST", "PUT"});
      MatchInput in{method, host, path, nullptr};
      RouteMatch a = t.table->Match(in);
      RouteMatch b = t.table->MatchByScan(in);
      INFO(method << " " << host << " " << path);
      REQUIRE((a.route == nullptr ? "" : a.route->id) == (b.route == nullptr ? "" : b.route->id));
      REQUIRE(a.strip_length == b.strip_length);
    }
  }
}

}  // namespace
}  // namespace sluice::router
