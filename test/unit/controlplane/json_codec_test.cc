#include "controlplane/admin/json_codec.h"

#include <catch2/catch.hpp>

#include "controlplane/admin/normalize.h"
#include "google/protobuf/util/message_differencer.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;

Resource Decode(ResourceKind kind, const std::string& json, FieldErrors* errors) {
  auto object = ParseJsonObject(json);
  REQUIRE(object.ok());
  return DecodeResource(kind, *object, errors);
}

TEST_CASE("Codec: plugin config maps to the typed member and back", "[codec]") {
  FieldErrors errors;
  Resource r = Decode(dv::PLUGIN, R"({
      "id": "0b9d7a1e-1c1f-4d7e-9b0a-4a0c6f3e2d11", "name": "key-auth",
      "service": {"id": "s1"}, "route": null,
      "config": {"key_names": ["x-api-key"], "hide_credentials": false}})",
                      &errors);
  REQUIRE(errors.empty());
  REQUIRE(r.plugin().has_key_auth());
  CHECK(r.plugin().key_auth().key_names_size() == 1);
  CHECK(r.plugin().key_auth().has_hide_credentials());
  CHECK_FALSE(r.plugin().key_auth().hide_credentials());
  CHECK(r.plugin().service().id() == "s1");
  CHECK_FALSE(r.plugin().has_route());

  const std::string json = ResourceToJson(r);
  CHECK(json.find(R"("config":{"key_names":["x-api-key"],"hide_credentials":false)") !=
        std::string::npos);
  CHECK(json.find(R"("route":null)") != std::string::npos);
  CHECK(json.find(R"("service":{"id":"s1"})") != std::string::npos);
  CHECK(json.find("key_auth") == std::string::npos);

  // What we print reads back to the same resource.
  FieldErrors again;
  Resource back = Decode(dv::PLUGIN, json, &again);
  REQUIRE(again.empty());
  CHECK(google::protobuf::util::MessageDifferencer::Equals(back, r));
}

TEST_CASE("Codec: unknown fields and wrong types are reported per field", "[codec]") {
  FieldErrors errors;
  Decode(dv::ROUTE,
         R"({"pathz": ["/"], "paths": ["/a", 3], "strip_path": "yes",
             "service": {"nmae": "x"}, "regex_priority": 1.5})",
         &errors);
  CHECK(errors.at("pathz") == "unknown field");
  CHECK(errors.at("paths[1]") == "expected a string");
  CHECK(errors.at("strip_path") == "expected true or false");
  CHECK(errors.at("service.nmae") == "unknown field");
  CHECK(errors.at("regex_priority") == "expected an integer");

  FieldErrors plugin_errors;
  Decode(dv::PLUGIN, R"({"name": "key-auth", "config": {"keynames": []}, "key_auth": {}})",
         &plugin_errors);
  CHECK(plugin_errors.at("config.keynames") == "unknown field");
  CHECK(plugin_errors.at("key_auth") == "unknown field");

  FieldErrors range;
  Decode(dv::SERVICE, R"({"port": -1})", &range);
  CHECK(range.count("port") == 1);
}

TEST_CASE("Codec: consumer references accept username", "[codec]") {
  FieldErrors errors;
  Resource r = Decode(dv::KEY_AUTH_CREDENTIAL, R"({"consumer": {"username": "alice"}})", &errors);
  REQUIRE(errors.empty());
  CHECK(r.key_auth_credential().consumer().name() == "alice");
}

TEST_CASE("Codec: service url shorthand is split and not stored", "[codec]") {
  FieldErrors errors;
  Resource r = Decode(dv::SERVICE, R"({"name": "llm", "url": "https://api.example.com/v1"})",
                      &errors);
  REQUIRE(errors.empty());
  ExpandServiceUrl(r.mutable_service(), &errors);
  ApplyDefaults(&r);
  REQUIRE(errors.empty());
  CHECK(r.service().url().empty());
  CHECK(r.service().protocol() == "https");
  CHECK(r.service().host() == "api.example.com");
  CHECK(r.service().port() == 443);
  CHECK(r.service().path() == "/v1");
  CHECK(ResourceToJson(r).find("\"url\"") == std::string::npos);

  config::v1::Service s;
  s.set_url("http://[::1]:9001");
  ExpandServiceUrl(&s, &errors);
  REQUIRE(errors.empty());
  CHECK(s.host() == "::1");
  CHECK(s.port() == 9001);
  CHECK(s.path().empty());

  config::v1::Service both;
  both.set_url("http://a");
  both.set_host("b");
  FieldErrors conflict;
  ExpandServiceUrl(&both, &conflict);
  CHECK(conflict.count("url") == 1);

  config::v1::Service bad;
  bad.set_url("127.0.0.1:9001");
  FieldErrors shape;
  ExpandServiceUrl(&bad, &shape);
  CHECK(shape.count("url") == 1);
}

TEST_CASE("Codec: body must be one JSON object", "[codec]") {
  CHECK_FALSE(ParseJsonObject("").ok());
  CHECK_FALSE(ParseJsonObject("[1]").ok());
  CHECK_FALSE(ParseJsonObject("{\"a\":").ok());
  CHECK_FALSE(ParseJsonObject("{\"a\":1,\"a\":2}").ok());
  CHECK(ParseJsonObject(" {\"a\": [1, {\"b\": null}]} ").ok());
}

TEST_CASE("Codec: output keeps the proto's field order", "[codec]") {
  Resource r;
  r.mutable_consumer()->set_id("c1");
  r.mutable_consumer()->set_username("alice");
  r.mutable_consumer()->set_created_at(7);
  CHECK(ResourceToJson(r) ==
        R"({"id":"c1","username":"alice","custom_id":"","tags":[],"created_at":7,"updated_at":0})");
}

}  // namespace
}  // namespace sluice::controlplane
