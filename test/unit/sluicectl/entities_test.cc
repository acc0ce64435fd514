// sluicectl with certificates, CA certificates, providers and models: dump, plan, secrets.
#include <catch2/catch.hpp>

#include "test/common/test_certs.h"
#include "tools/sluicectl/dump.h"
#include "tools/sluicectl/plan.h"
#include "tools/sluicectl/yaml_json.h"

namespace sluice::sluicectl {
namespace {

CurrentState State(const std::string& json) {
  absl::StatusOr<CurrentState> state = CurrentState::FromConfigJson(json);
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  return std::move(*state);
}

Document Doc(const std::string& yaml) {
  absl::StatusOr<Document> doc = ParseDocument(yaml, "f.yaml");
  INFO(doc.status().ToString());
  REQUIRE(doc.ok());
  return std::move(*doc);
}

std::vector<std::string> Lines(const std::vector<Action>& plan) {
  std::vector<std::string> out;
  for (const Action& a : plan) out.push_back(Describe(a));
  return out;
}

std::string JsonString(const std::string& s) { return ToJson(StringValue(s)); }

// What GET /config shows for: CA certificate "internal", certificate "edge" (key redacted),
// service "secure" trusting the CA and presenting "edge", provider "openai" (secret redacted),
// concrete models "a" and "b" (b falls back to a) and a split "chat" over both.
std::string ConfigJson(const std::string& cert_pem, const std::string& ca_pem) {
  return R"({"version":9,"services":[
    {"id":"svc-secure-id","name":"secure","protocol":"https","host":"up.internal","port":443,
     "path":"","retries":5,"connect_timeout":60000,"write_timeout":60000,"read_timeout":60000,
     "enabled":true,"tags":[],"created_at":1,"updated_at":1,"tls_verify":true,
     "ca_certificates":["ca1"],"client_certificate":{"id":"c1"}}],
  "routes":[],"upstreams":[],"targets":[],"consumers":[],"key_auth_credentials":[],"plugins":[],
  "certificates":[{"id":"c1","name":"edge","cert":)" +
         JsonString(cert_pem) + R"(,"key":"<redacted>",
     "snis":["api.example.com","*.example.com"],"tags":[],"created_at":1,"updated_at":1}],
  "ca_certificates":[{"id":"ca1","name":"internal","cert":)" +
         JsonString(ca_pem) + R"(,"tags":[],"created_at":1,"updated_at":1}],
  "providers":[{"id":"p1","name":"openai","kind":"openai","base_url":"https://api.openai.com",
     "auth":{"secret":"<redacted>","header":""},"azure_api_version":"","anthropic_version":"",
     "connect_timeout":5000,"read_timeout":120000,"tags":[],"created_at":1,"updated_at":1}],
  "models":[
    {"id":"m-a","name":"a","provider":{"id":"p1"},"model":"gpt-4o",
     "price":{"input_per_mtok":0.15,"output_per_mtok":0.6},"context_window":128000,
     "fallbacks":[],"split":[],"tags":[],"created_at":1,"updated_at":1},
    {"id":"m-b","name":"b","provider":{"id":"p1"},"model":"gpt-4o-mini",
     "price":{"input_per_mtok":0,"output_per_mtok":0},"context_window":0,
     "fallbacks":[{"id":"m-a"}],"split":[],"tags":[],"created_at":1,"updated_at":1},
    {"id":"m-chat","name":"chat","provider":null,"model":"",
     "price":{"input_per_mtok":0,"output_per_mtok":0},"context_window":0,"fallbacks":[],
     "split":[{"model":{"id":"m-a"},"weight":90},{"model":{"id":"m-b"},"weight":10}],
     "tags":[],"created_at":1,"updated_at":1}]})";
}

struct Certs {
  sluice::testing::TestCert ca = sluice::testing::MakeCa();
  sluice::testing::TestCert leaf = sluice::testing::MakeLeaf(ca, {"api.example.com"});
};

TEST_CASE("Entities: dump shows secrets redacted, references by name, PEM as blocks",
          "[sluicectl]") {
  const Certs certs;
  const std::string yaml = DumpDocument(State(ConfigJson(certs.leaf.cert_pem, certs.ca.cert_pem)));
  INFO(yaml);
  CHECK(yaml.find("PRIVATE KEY") == std::string::npos);
  CHECK(yaml.find("key: <redacted>") != std::string::npos);
  CHECK(yaml.find("auth: {secret: <redacted>}") != std::string::npos);
  CHECK(yaml.find("cert: |\n      -----BEGIN CERTIFICATE-----\n") != std::string::npos);
  CHECK(yaml.find("ca_certificates: [internal]") != std::string::npos);
  CHECK(yaml.find("client_certificate: {name: edge}") != std::string::npos);
  CHECK(yaml.find(R"(models:
  - name: a
    provider: {name: openai}
    model: gpt-4o
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
    context_window: 128000
  - name: b
    provider: {name: openai}
    model: gpt-4o-mini
    fallbacks:
      - {name: a}
  - name: chat
    split:
      - model: {name: a}
        weight: 90
      - model: {name: b}
        weight: 10
)") != std::string::npos);
  // Defaults stay out: the provider's base URL and timeouts, the service's tls_verify.
  CHECK(yaml.find("base_url") == std::string::npos);
  CHECK(yaml.find("tls_verify") == std::string::npos);
  CHECK(yaml.find("svc-secure-id") == std::string::npos);  // named: no id

  // The PEM reads back byte for byte, and applying the dump changes nothing.
  Document doc = Doc(yaml);
  REQUIRE(doc.certificates.size() == 1);
  CHECK(StringMember(doc.certificates[0].fields, "cert") == certs.leaf.cert_pem);
  CurrentState state = State(ConfigJson(certs.leaf.cert_pem, certs.ca.cert_pem));
  std::vector<Action> plan = ComputePlan(doc, state, PlanOptions{true});
  for (const Action& a : plan) {
    INFO(Describe(a));
    CHECK(a.type == ActionType::kUnchanged);
  }
  CHECK(Count(plan).unchanged == 7);
}

TEST_CASE("Entities: a secret in the file is sent, never printed; <redacted> keeps",
          "[sluicectl]") {
  const Certs certs;
  CurrentState state = State(ConfigJson(certs.leaf.cert_pem, certs.ca.cert_pem));
  const std::string secret = "sk-from-the-file-0123456789";
  std::vector<Action> plan = ComputePlan(
      Doc("providers:\n  - {name: openai, kind: openai, auth: {secret: " + secret + "}}\n" +
          "certificates:\n  - name: edge\n    snis: [API.example.com, '*.example.com']\n" +
          "    cert: " + JsonString(certs.leaf.cert_pem) + "\n    key: " +
          JsonString(certs.leaf.key_pem) + "\n"),
      state, {});
  REQUIRE(plan.size() == 2);
  CHECK(Describe(plan[0]) ==
        "update certificate edge: key: sent again (a secret in the file cannot be compared with "
        "the stored one; write \"<redacted>\" to keep it)");
  CHECK(plan[0].method == "PUT");
  CHECK(plan[0].body.find("PRIVATE KEY") != std::string::npos);  // sent...
  CHECK(Describe(plan[1]).find("auth.secret: sent again") != std::string::npos);
  for (const std::string& line : Lines(plan)) {
    CHECK(line.find(secret) == std::string::npos);  // ...never printed
    CHECK(line.find("PRIVATE KEY") == std::string::npos);
  }

  std::vector<Action> kept =
      ComputePlan(Doc("providers:\n  - {name: openai, kind: openai, auth: {secret: <redacted>}}\n"),
                  state, {});
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].type == ActionType::kUnchanged);
  // Leaving the secret out clears it.
  std::vector<Action> cleared =
      ComputePlan(Doc("providers:\n  - {name: openai, kind: openai}\n"), state, {});
  CHECK(Describe(cleared[0]) == "update provider openai: auth.secret: \"<redacted>\" -> \"\"");
}

TEST_CASE("Entities: models are written referenced-first and pruned referrers-first",
          "[sluicectl]") {
  const Certs certs;
  CurrentState state = State(ConfigJson(certs.leaf.cert_pem, certs.ca.cert_pem));
  // Listed before the models they name: "canary" splits to the new "b2", which falls back to "a".
  std::vector<Action> plan = ComputePlan(Doc(R"(models:
  - name: canary
    split: [{model: {name: b2}, weight: 1}, {model: {name: a}, weight: 3}]
  - name: b2
    provider: {name: openai}
    model: gpt-4.1-mini
    fallbacks: [{name: a}]
  - name: a
    provider: {name: openai}
    model: gpt-4o
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
    context_window: 128000
)"),
                                         state, PlanOptions{true});
  // "chat" splits to "b": it goes first.
  CHECK(Lines(plan) == std::vector<std::string>{
                           "unchanged model a",
                           "create model b2",
                           "create model canary",
                           "delete model chat",
                           "delete model b",
                       });
  std::vector<Action> fallbacks = ComputePlan(
      Doc("models:\n  - {name: b, provider: {name: openai}, model: gpt-4o-mini, "
          "fallbacks: [{name: chat}, {name: new}]}\n"),
      state, {});
  CHECK(Describe(fallbacks[0]) == "update model b: fallbacks: [a] -> [chat, new (not there yet)]");
  std::vector<Action> split_change = ComputePlan(Doc(R"(models:
  - name: chat
    split: [{model: {name: a}, weight: 50}, {model: {name: b}, weight: 50}]
)"),
                                                 state, {});
  CHECK(Describe(split_change[0]) == "update model chat: split: [a:90, b:10] -> [a:50, b:50]");
  std::vector<Action> price =
      ComputePlan(Doc("models:\n  - {name: b, provider: {name: openai}, model: gpt-4o-mini, "
                      "fallbacks: [{name: a}], price: {output_per_mtok: 2}}\n"),
                  state, {});
  CHECK(Describe(price[0]) == "update model b: price.output_per_mtok: 0 -> 2");
}

TEST_CASE("Entities: service TLS references compare by id, names or ids alike", "[sluicectl]") {
  const Certs certs;
  CurrentState state = State(ConfigJson(certs.leaf.cert_pem, certs.ca.cert_pem));
  const std::string base = "services:\n  - name: secure\n    url: https://up.internal:443\n";
  for (const char* same :
       {"    ca_certificates: [internal]\n    client_certificate: {name: edge}\n",
        "    ca_certificates: [ca1]\n    client_certificate: {id: c1}\n"}) {
    std::vector<Action> plan = ComputePlan(Doc(base + same), state, {});
    INFO(same << Describe(plan[0]));
    CHECK(plan[0].type == ActionType::kUnchanged);
  }
  std::vector<Action> plan = ComputePlan(Doc(base + "    tls_verify: false\n"), state, {});
  CHECK(Describe(plan[0]) ==
        "update service secure: ca_certificates: [internal] -> [], client_certificate: edge -> "
        "null, tls_verify: true -> false");
}

TEST_CASE("YAML: multi-line strings are literal blocks that read back exactly", "[sluicectl]") {
  for (const std::string& s :
       {std::string("line one\nline two\n"), std::string("no final newline\nx"),
        std::string("two final newlines\n\n"), std::string(" leading space\n"),
        std::string("trailing space \nx\n"), std::string("tab\there\n")}) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "v" << YAML::Value;
    EmitString(s, &out);
    out << YAML::EndMap;
    YAML::Node node = YAML::Load(out.c_str());
    INFO(out.c_str());
    CHECK(node["v"].as<std::string>() == s);
  }
}

}  // namespace
}  // namespace sluice::sluicectl
