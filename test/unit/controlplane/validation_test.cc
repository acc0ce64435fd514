#include "controlplane/admin/validation.h"

#include <catch2/catch.hpp>

#include "controlplane/admin/normalize.h"

namespace sluice::controlplane {
namespace {

// Errors for `r` after defaults, as the admin API computes them.
FieldErrors Check(Resource r) {
  FieldErrors errors;
  ApplyDefaults(&r);
  ValidateResource(r, &errors);
  return errors;
}

Resource GoodRoute() {
  Resource r;
  r.mutable_route()->add_paths("/v1");
  r.mutable_route()->mutable_service()->set_id("s1");
  return r;
}

Resource GoodService() {
  Resource r;
  r.mutable_service()->set_host("api.example.com");
  return r;
}

TEST_CASE("Validation: a minimal route and service pass", "[validation]") {
  CHECK(Check(GoodRoute()).empty());
  CHECK(Check(GoodService()).empty());
}

TEST_CASE("Validation: route rules name the offending field", "[validation]") {
  SECTION("needs at least one matcher") {
    Resource r = GoodRoute();
    r.mutable_route()->clear_paths();
    CHECK(Check(r).count("paths") == 1);
    r.mutable_route()->add_methods("GET");
    CHECK(Check(r).empty());
  }
  SECTION("paths are prefix, exact or a compiling regex") {
    Resource r = GoodRoute();
    r.mutable_route()->add_paths("v1");
    r.mutable_route()->add_paths("=/v1/models");
    r.mutable_route()->add_paths("~/v1/models/[^/]+$");
    r.mutable_route()->add_paths("~/v1/(unclosed");
    r.mutable_route()->add_paths("=v1");
    r.mutable_route()->add_paths("/with space");
    FieldErrors e = Check(r);
    CHECK(e.count("paths[0]") == 0);
    CHECK(e.at("paths[1]") == "must start with / (prefix), =/ (exact) or ~ (regex)");
    CHECK(e.count("paths[2]") == 0);
    CHECK(e.count("paths[3]") == 0);
    CHECK(e.at("paths[4]").rfind("invalid regex", 0) == 0);
    CHECK(e.count("paths[5]") == 1);
    CHECK(e.count("paths[6]") == 1);
    CHECK(e.size() == 4);
  }
  SECTION("methods are upper-case tokens") {
    Resource r = GoodRoute();
    r.mutable_route()->add_methods("POST");
    r.mutable_route()->add_methods("get");
    r.mutable_route()->add_methods("");
    FieldErrors e = Check(r);
    CHECK(e.count("methods[0]") == 0);
    CHECK(e.count("methods[1]") == 1);
    CHECK(e.count("methods[2]") == 1);
  }
  SECTION("hosts allow one wildcard label at either end") {
    Resource r = GoodRoute();
    for (const char* h : {"api.example.com", "*.example.com", "api.example.*", "example.com:8443",
                          "*.*.example.com", "api.*.com", "*", "bad host", "exa$mple.com",
                          "*.example.*"}) {
      r.mutable_route()->add_hosts(h);
    }
    FieldErrors e = Check(r);
    for (int i = 0; i < 4; ++i) CHECK(e.count("hosts[" + std::to_string(i) + "]") == 0);
    for (int i = 4; i < 10; ++i) CHECK(e.count("hosts[" + std::to_string(i) + "]") == 1);
  }
  SECTION("headers need a token name and values; host is matched by hosts") {
    Resource r = GoodRoute();
    auto& headers = *r.mutable_route()->mutable_headers();
    headers["x-model"].add_values()->set_string_value("gpt-4o");
    headers["Host"].add_values()->set_string_value("a");
    headers["x-empty"];
    FieldErrors e = Check(r);
    CHECK(e.count("headers.x-model") == 0);
    CHECK(e.count("headers.Host") == 1);
    CHECK(e.count("headers.x-empty") == 1);
  }
  SECTION("a route needs a service") {
    Resource r = GoodRoute();
    r.mutable_route()->clear_service();
    CHECK(Check(r).at("service") == "required");
  }
}

TEST_CASE("Validation: service rules", "[validation]") {
  Resource r = GoodService();
  auto* s = r.mutable_service();
  SECTION("host required") {
    s->clear_host();
    CHECK(Check(r).count("host") == 1);
  }
  SECTION("protocol from the known set") {
    s->set_protocol("ftp");
    CHECK(Check(r).count("protocol") == 1);
    s->set_protocol("grpcs");
    CHECK(Check(r).empty());
  }
  SECTION("port in range") {
    s->set_port(70000);
    CHECK(Check(r).count("port") == 1);
  }
  SECTION("path starts with /") {
    s->set_path("v1");
    CHECK(Check(r).count("path") == 1);
    s->set_path("/v1");
    CHECK(Check(r).empty());
  }
  SECTION("timeouts 1..2147483646") {
    s->set_read_timeout(0);
    s->set_connect_timeout(2147483647);
    FieldErrors e = Check(r);
    CHECK(e.count("read_timeout") == 1);
    CHECK(e.count("connect_timeout") == 1);
    CHECK(e.count("write_timeout") == 0);
  }
  SECTION("IPv6 hosts are accepted") {
    s->set_host("::1");
    CHECK(Check(r).empty());
  }
  SECTION("ids must be UUIDs") {
    s->set_id("not-a-uuid");
    CHECK(Check(r).count("id") == 1);
  }
}

TEST_CASE("Validation: targets, upstreams, consumers, credentials, plugins", "[validation]") {
  SECTION("target host:port and weight") {
    Resource r;
    r.mutable_target()->mutable_upstream()->set_id("u1");
    r.mutable_target()->set_target("10.0.0.1");  // default port 8000 is added
    CHECK(Check(r).empty());
    r.mutable_target()->set_target("10.0.0.1:99999");
    CHECK(Check(r).count("target") == 1);
    r.mutable_target()->set_target("::1:80");
    CHECK(Check(r).count("target") == 1);
    r.mutable_target()->set_target("[::1]:80");
    r.mutable_target()->set_weight(65536);
    FieldErrors e = Check(r);
    CHECK(e.count("target") == 0);
    CHECK(e.count("weight") == 1);
  }
  SECTION("upstream name is a host name") {
    Resource r;
    r.mutable_upstream()->set_name("pool");
    CHECK(Check(r).empty());
    r.mutable_upstream()->set_name("not a host");
    CHECK(Check(r).count("name") == 1);
  }
  SECTION("consumer needs username or custom_id") {
    Resource r;
    r.mutable_consumer();
    CHECK(Check(r).count("username") == 1);
    r.mutable_consumer()->set_custom_id("ext-1");
    CHECK(Check(r).empty());
  }
  SECTION("credential needs a consumer and a well-formed hash") {
    Resource r;
    r.mutable_key_auth_credential()->set_key_hash("abc");
    FieldErrors e = Check(r);
    CHECK(e.count("consumer") == 1);
    CHECK(e.count("key_hash") == 1);
  }
  SECTION("plugin name must be known; config is checked per plugin") {
    Resource r;
    r.mutable_plugin()->set_name("rate-limiting-v9");
    CHECK(Check(r).count("name") == 1);
    r.mutable_plugin()->set_name("key-auth");
    CHECK(Check(r).empty());
    r.mutable_plugin()->mutable_key_auth()->add_key_names("bad name");
    CHECK(Check(r).count("config.key_names[0]") == 1);
  }
}

TEST_CASE("Validation: host name helper", "[validation]") {
  CHECK(IsValidHostName("a.b-c.example"));
  CHECK(IsValidHostName("10.0.0.1"));
  CHECK_FALSE(IsValidHostName("-a.example"));
  CHECK_FALSE(IsValidHostName("a..b"));
  CHECK_FALSE(IsValidHostName(std::string(64, 'a')));
  CHECK(IsValidHost("[2001:db8::1]"));
}

}  // namespace
}  // namespace sluice::controlplane
