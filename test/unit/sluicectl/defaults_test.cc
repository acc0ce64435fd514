// sluicectl's table of defaults must say what the control plane really does: each entity is
// decoded and defaulted by the control plane's own code, and every default sluicectl assumes is
// checked against the result.
#include "tools/sluicectl/defaults.h"

#include <catch2/catch.hpp>

#include "controlplane/admin/json_codec.h"
#include "controlplane/admin/normalize.h"

namespace sluice::sluicectl {
namespace {

namespace dv = discovery::v1;

JsonObject AsTheControlPlaneStoresIt(ResourceKind kind, const std::string& json) {
  auto object = controlplane::ParseJsonObject(json);
  REQUIRE(object.ok());
  controlplane::FieldErrors errors;
  Resource r = controlplane::DecodeResource(kind, *object, &errors);
  REQUIRE(errors.empty());
  if (r.has_service()) controlplane::ExpandServiceUrl(r.mutable_service(), &errors);
  controlplane::ApplyDefaults(&r);
  auto shown = ParseJsonObject(controlplane::ResourceToJson(r));
  REQUIRE(shown.ok());
  return *shown;
}

void CheckDefaults(EntityKind kind, ResourceKind cp_kind, const std::string& minimal) {
  INFO(minimal);
  const JsonObject stored = AsTheControlPlaneStoresIt(cp_kind, minimal);
  auto given = ParseJsonObject(minimal);
  REQUIRE(given.ok());
  JsonObject entity = *given;
  if (kind == EntityKind::kService) REQUIRE(ExpandServiceUrl(&entity));
  const JsonObject defaults = FieldDefaults(kind, entity);
  CHECK(defaults.fields_size() > 0);
  for (const auto& [field, value] : defaults.fields()) {
    if (Member(entity, field) != nullptr) continue;  // given, so no default applies
    const JsonValue* actual = Member(stored, field);
    INFO(field);
    REQUIRE(actual != nullptr);
    CHECK(ToJson(*actual) == ToJson(value));
  }
}

TEST_CASE("Defaults: the same as the control plane's", "[sluicectl]") {
  CheckDefaults(EntityKind::kService, dv::SERVICE, R"({"name":"s","host":"h"})");
  CheckDefaults(EntityKind::kService, dv::SERVICE, R"({"id":"x","host":"h","protocol":"https"})");
  CheckDefaults(EntityKind::kService, dv::SERVICE, R"({"name":"s","url":"grpcs://h"})");
  CheckDefaults(EntityKind::kRoute, dv::ROUTE, R"({"name":"r","paths":["/a"]})");
  CheckDefaults(EntityKind::kRoute, dv::ROUTE, R"({"id":"r","hosts":["a.b"]})");
  CheckDefaults(EntityKind::kUpstream, dv::UPSTREAM, R"({"name":"u"})");
  CheckDefaults(EntityKind::kTarget, dv::TARGET, R"({"target":"h:1"})");
  CheckDefaults(EntityKind::kConsumer, dv::CONSUMER, R"({"username":"a"})");
  CheckDefaults(EntityKind::kConsumer, dv::CONSUMER, R"({"custom_id":"a"})");
  CheckDefaults(EntityKind::kPlugin, dv::PLUGIN, R"({"name":"key-auth","config":{}})");
}

TEST_CASE("Defaults: key-auth config the same as the control plane's", "[sluicectl]") {
  const JsonObject stored =
      AsTheControlPlaneStoresIt(dv::PLUGIN, R"({"name":"key-auth","config":{}})");
  const JsonObject* config = ObjectMember(stored, "config");
  REQUIRE(config != nullptr);
  CHECK(ToJson(*config) == ToJson(PluginConfigDefaults("key-auth")));
  CHECK(PluginConfigDefaults("no-such-plugin").fields_size() == 0);
}

TEST_CASE("Defaults: a service url splits as the control plane splits it", "[sluicectl]") {
  for (const char* url : {"http://127.0.0.1:9001", "https://api.example.com/v1/",
                          "http://[::1]:8080/x", "grpc://h"}) {
    INFO(url);
    const std::string json = std::string(R"({"name":"s","url":")") + url + "\"}";
    const JsonObject stored = AsTheControlPlaneStoresIt(dv::SERVICE, json);
    auto mine = ParseJsonObject(json);
    REQUIRE(mine.ok());
    REQUIRE(ExpandServiceUrl(&*mine));
    for (const char* field : {"protocol", "host", "port", "path"}) {
      INFO(field);
      CHECK(ToJson(*Member(*mine, field)) == ToJson(*Member(stored, field)));
    }
  }
  auto both = ParseJsonObject(R"({"url":"http://h","host":"x"})");
  REQUIRE(both.ok());
  CHECK_FALSE(ExpandServiceUrl(&*both));
  auto bad = ParseJsonObject(R"({"url":"h:80"})");
  REQUIRE(bad.ok());
  CHECK_FALSE(ExpandServiceUrl(&*bad));
}

}  // namespace
}  // namespace sluice::sluicectl
