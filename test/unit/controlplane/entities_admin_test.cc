// Certificates, CA certificates, providers and models through the admin API (no sockets).
#include <catch2/catch.hpp>

#include "controlplane/xds/config_history.h"
#include "test/common/test_certs.h"
#include "test/unit/controlplane/admin_fixture.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;
namespace pb = google::protobuf;
using sluice::testing::FirstCertificate;
using sluice::testing::MakeCa;
using sluice::testing::MakeLeaf;
using sluice::testing::MakeSelfSigned;
using sluice::testing::TestCert;
using testing::AdminFixture;
using testing::Obj;
using testing::Quoted;
using testing::Str;

std::string CertBody(const std::string& name, const TestCert& c, const std::string& snis_json) {
  return "{\"name\":\"" + name + "\",\"cert\":" + Quoted(c.cert_pem) +
         ",\"key\":" + Quoted(c.key_pem) + ",\"snis\":" + snis_json + "}";
}

std::vector<std::string> Strings(const pb::Struct& s, const std::string& key) {
  std::vector<std::string> out;
  auto it = s.fields().find(key);
  if (it == s.fields().end()) return out;
  for (const auto& v : it->second.list_value().values()) out.push_back(v.string_value());
  return out;
}

std::string FieldError(const pb::Struct& error, const std::string& field) {
  return Str(Obj(error, "fields"), field);
}

TEST_CASE("Certificates: stored whole, key never shown, '<redacted>' keeps it", "[admin][tls]") {
  AdminFixture f;
  const TestCert ca = MakeCa();
  const TestCert leaf = MakeLeaf(ca, {"api.example.com"});
  pb::Struct created = f.Json(
      "POST", "/certificates", CertBody("edge", leaf, R"(["API.Example.com","*.example.com"])"),
      201);
  const std::string id = Str(created, "id");
  CHECK(Str(created, "key") == "<redacted>");
  CHECK(Strings(created, "snis") == std::vector<std::string>{"api.example.com", "*.example.com"});
  CHECK(Str(created, "cert") == leaf.cert_pem);

  // Data planes get the key: the stored resource and the xDS snapshot carry it whole.
  const Resource* stored = f.store().config().Find(dv::CERTIFICATE, id);
  REQUIRE(stored != nullptr);
  CHECK(stored->certificate().key() == leaf.key_pem);
  ConfigHistory history;
  history.Reset(f.store().config());
  bool in_snapshot = false;
  const dv::DiscoveryResponse snapshot = history.BuildSnapshot();
  for (const Resource& r : snapshot.resources())
    in_snapshot = in_snapshot || (r.has_certificate() && r.certificate().key() == leaf.key_pem);
  CHECK(in_snapshot);

  // No read shows the key: by id, by name, the list, /config.
  for (const char* path : {"/certificates", "/config"}) {
    AdminResponse r = f.Call("GET", path);
    CHECK(r.status == 200);
    CHECK(r.body.find("PRIVATE KEY") == std::string::npos);
  }
  CHECK(f.Call("GET", "/certificates/edge").body.find("PRIVATE KEY") == std::string::npos);
  CHECK(f.Call("GET", "/certificates/" + id).status == 200);

  // PATCH merges over what GET shows ("<redacted>"): the key stays, the SNIs change.
  pb::Struct patched =
      f.Json("PATCH", "/certificates/edge", R"({"snis":["www.example.com"]})", 200);
  CHECK(Strings(patched, "snis") == std::vector<std::string>{"www.example.com"});
  CHECK(f.store().config().Find(dv::CERTIFICATE, id)->certificate().key() == leaf.key_pem);

  // PUT with "<redacted>" keeps the key too; a new certificate must still match it.
  const TestCert renewed = MakeLeaf(ca, {"api.example.com"});
  std::string put = CertBody("edge", leaf, R"(["api.example.com"])");
  put.replace(put.find(Quoted(leaf.key_pem)), Quoted(leaf.key_pem).size(), "\"<redacted>\"");
  f.Json("PUT", "/certificates/edge", put, 200);
  CHECK(f.store().config().Find(dv::CERTIFICATE, id)->certificate().key() == leaf.key_pem);
  pb::Struct wrong = f.Json("PATCH", "/certificates/edge",
                            "{\"cert\":" + Quoted(renewed.cert_pem) + "}", 400);
  CHECK(FieldError(wrong, "key").find("does not belong") != std::string::npos);
  // Rotation: certificate and key together.
  f.Json("PATCH", "/certificates/edge",
         "{\"cert\":" + Quoted(renewed.cert_pem) + ",\"key\":" + Quoted(renewed.key_pem) + "}",
         200);
  CHECK(f.store().config().Find(dv::CERTIFICATE, id)->certificate().key() == renewed.key_pem);

  // "<redacted>" with nothing stored is an error, not an empty key.
  std::string fresh = CertBody("fresh", leaf, "[]");
  fresh.replace(fresh.find(Quoted(leaf.key_pem)), Quoted(leaf.key_pem).size(), "\"<redacted>\"");
  pb::Struct no_key = f.Json("POST", "/certificates", fresh, 400);
  CHECK(FieldError(no_key, "key").find("there is none") != std::string::npos);
}

TEST_CASE("Certificates: bad PEM, mismatched keys and SNI rules", "[admin][tls]") {
  AdminFixture f;
  const TestCert a = MakeSelfSigned({"a.example.com"});
  const TestCert b = MakeSelfSigned({"b.example.com"});

  pb::Struct mismatch = f.Json(
      "POST", "/certificates",
      "{\"cert\":" + Quoted(a.cert_pem) + ",\"key\":" + Quoted(b.key_pem) + "}", 400);
  CHECK(Str(mismatch, "code") == "invalid_config");
  CHECK(FieldError(mismatch, "key").find("does not belong") != std::string::npos);

  pb::Struct bad_pem = f.Json(
      "POST", "/certificates",
      R"({"cert":"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n","key":"x"})",
      400);
  CHECK(FieldError(bad_pem, "cert").find("certificate 1 is not a valid X.509 certificate (") ==
        0);
  pb::Struct missing = f.Json("POST", "/certificates", "{}", 400);
  CHECK(FieldError(missing, "cert").find("required") == 0);
  CHECK(FieldError(missing, "key").find("required") == 0);

  struct Case {
    const char* sni;
    bool ok;
  };
  for (const Case& c : {Case{"api.example.com", true}, Case{"*.example.com", true},
                        Case{"localhost", true}, Case{"*", true}, Case{"*.", false},
                        Case{"a.*.example.com", false}, Case{"api.example.*", false},
                        Case{"**.example.com", false}, Case{"127.0.0.1", false},
                        Case{"::1", false}, Case{"bad host", false}, Case{"", false},
                        Case{"-a.example.com", false}, Case{"api.example.com.", false}}) {
    AdminResponse r = f.Call("PUT", "/certificates/sni-case",
                             CertBody("sni-case", a, std::string("[") + Quoted(c.sni) + "]"));
    INFO(c.sni << " -> " << r.status << " " << r.body);
    CHECK((r.status / 100 == 2) == c.ok);
    if (!c.ok) CHECK(r.body.find("snis[0]") != std::string::npos);
  }
  pb::Struct twice = f.Json("POST", "/certificates",
                            CertBody("twice", a, R"(["x.example.com","X.example.com"])"), 400);
  CHECK(FieldError(twice, "snis[1]") == "listed twice");

  // An SNI belongs to one certificate: 409 naming the holder.
  pb::Struct first = f.Json("POST", "/certificates", CertBody("one", a, R"(["dup.example.com"])"),
                            201);
  pb::Struct dup =
      f.Json("POST", "/certificates", CertBody("two", b, R"(["DUP.example.com"])"), 409);
  CHECK(Str(dup, "code") == "already_exists");
  CHECK(Str(dup, "message").find("certificate 'one'") != std::string::npos);
  CHECK(Str(dup, "message").find(Str(first, "id")) != std::string::npos);
  // Moving the name off the first certificate frees it.
  f.Json("PATCH", "/certificates/one", R"({"snis":[]})", 200);
  f.Json("POST", "/certificates", CertBody("two", b, R"(["dup.example.com"])"), 201);
}

TEST_CASE("CA certificates and service TLS settings, with in_use", "[admin][tls]") {
  AdminFixture f;
  const TestCert ca = MakeCa();
  const TestCert leaf = MakeLeaf(ca, {"upstream.internal"});

  pb::Struct not_ca = f.Json(
      "POST", "/ca_certificates", "{\"cert\":" + Quoted(FirstCertificate(leaf.cert_pem)) + "}",
      400);
  CHECK(FieldError(not_ca, "cert").find("CA:TRUE") != std::string::npos);
  pb::Struct ca_res = f.Json("POST", "/ca_certificates",
                             "{\"name\":\"internal\",\"cert\":" + Quoted(ca.cert_pem) + "}", 201);
  f.Json("POST", "/certificates", CertBody("client", leaf, "[]"), 201);

  pb::Struct svc = f.Json(
      "POST", "/services",
      R"({"name":"secure","url":"https://upstream.internal:8443","ca_certificates":["internal"],)"
      R"("client_certificate":{"name":"client"}})",
      201);
  CHECK(Strings(svc, "ca_certificates") == std::vector<std::string>{Str(ca_res, "id")});
  CHECK(svc.fields().at("tls_verify").bool_value());
  CHECK(Str(Obj(svc, "client_certificate"), "id") ==
        IdOf(f.store().config().Of(dv::CERTIFICATE).begin()->second));
  CHECK(f.store().config().CheckReferences().ok());

  pb::Struct unknown = f.Json("PATCH", "/services/secure", R"({"ca_certificates":["nope"]})", 400);
  CHECK(FieldError(unknown, "ca_certificates[0]") == "no CA certificate with id or name 'nope'");
  pb::Struct dup = f.Json("PATCH", "/services/secure",
                          "{\"ca_certificates\":[\"internal\",\"" + Str(ca_res, "id") + "\"]}",
                          400);
  CHECK(FieldError(dup, "ca_certificates[1]").find("twice") != std::string::npos);
  pb::Struct no_cert =
      f.Json("PATCH", "/services/secure", R"({"client_certificate":{"name":"ghost"}})", 400);
  CHECK(FieldError(no_cert, "client_certificate") == "no certificate with name 'ghost'");

  pb::Struct ca_in_use = f.Json("DELETE", "/ca_certificates/internal", "", 409);
  CHECK(Str(ca_in_use, "code") == "in_use");
  CHECK(Str(ca_in_use, "message").find("secure") != std::string::npos);
  pb::Struct cert_in_use = f.Json("DELETE", "/certificates/client", "", 409);
  CHECK(Str(cert_in_use, "code") == "in_use");

  f.Json("PATCH", "/services/secure",
         R"({"ca_certificates":[],"client_certificate":null,"tls_verify":false})", 200);
  CHECK(f.Call("DELETE", "/ca_certificates/internal").status == 204);
  CHECK(f.Call("DELETE", "/certificates/client").status == 204);
}

TEST_CASE("Providers: defaults by kind, validation, secret redaction", "[admin][ai]") {
  AdminFixture f;
  const std::string secret = "sk-live-0123456789abcdef";
  pb::Struct openai = f.Json("POST", "/providers",
                             R"({"name":"openai-main","kind":"openai","auth":{"secret":")" +
                                 secret + R"("}})",
                             201);
  CHECK(Str(openai, "base_url") == "https://api.openai.com");
  CHECK(Str(Obj(openai, "auth"), "secret") == "<redacted>");
  CHECK(openai.fields().at("connect_timeout").number_value() == 5000);
  CHECK(openai.fields().at("read_timeout").number_value() == 120000);
  CHECK(Str(openai, "anthropic_version").empty());

  pb::Struct anthropic =
      f.Json("POST", "/providers", R"({"name":"claude","kind":"anthropic"})", 201);
  CHECK(Str(anthropic, "base_url") == "https://api.anthropic.com");
  CHECK(Str(anthropic, "anthropic_version") == "2023-06-01");
  CHECK(Str(Obj(anthropic, "auth"), "secret").empty());  // none given, none shown

  pb::Struct azure = f.Json("POST", "/providers", R"({"name":"az","kind":"azure-openai"})", 400);
  CHECK(FieldError(azure, "base_url").find("required") == 0);
  CHECK(FieldError(azure, "azure_api_version").find("required") == 0);
  f.Json("POST", "/providers",
         R"({"name":"az","kind":"azure-openai","base_url":"https://x.openai.azure.com/",)"
         R"("azure_api_version":"2024-06-01"})",
         201);
  CHECK(f.Json("GET", "/providers/az", "", 200).fields().at("base_url").string_value() ==
        "https://x.openai.azure.com");

  struct Bad {
    const char* body;
    const char* field;
  };
  for (const Bad& b : {
           Bad{R"({"name":"p","kind":"gemini"})", "kind"},
           Bad{R"({"name":"p","kind":"openai-compatible"})", "base_url"},
           Bad{R"({"name":"p","kind":"openai","base_url":"ftp://x"})", "base_url"},
           Bad{R"({"name":"p","kind":"openai","base_url":"https://x/v1?a=b"})", "base_url"},
           Bad{R"({"name":"p","kind":"openai","azure_api_version":"2024-06-01"})",
               "azure_api_version"},
           Bad{R"({"name":"p","kind":"openai","anthropic_version":"2023-06-01"})",
               "anthropic_version"},
           Bad{R"({"name":"p","kind":"anthropic","anthropic_version":"latest"})",
               "anthropic_version"},
           Bad{R"({"name":"p","kind":"openai","auth":{"secret":"a\nb"}})", "auth.secret"},
           Bad{R"({"name":"p","kind":"openai","auth":{"header":"x key"}})", "auth.header"},
           Bad{R"({"name":"p","kind":"openai","auth":{"header":"Host"}})", "auth.header"},
           Bad{R"({"name":"p","kind":"openai","read_timeout":0})", "read_timeout"},
           Bad{R"({"kind":"openai"})", "name"},
       }) {
    AdminResponse r = f.Call("POST", "/providers", b.body);
    INFO(b.body << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(r.body.find(std::string("\"") + b.field + "\"") != std::string::npos);
  }

  // No answer carries the secret; PATCH of the header keeps it; "<redacted>" keeps it.
  for (const char* path : {"/providers", "/providers/openai-main", "/config"})
    CHECK(f.Call("GET", path).body.find(secret) == std::string::npos);
  AdminResponse patched =
      f.Call("PATCH", "/providers/openai-main", R"({"auth":{"header":"api-key"}})");
  CHECK(patched.status == 200);
  CHECK(patched.body.find(secret) == std::string::npos);
  auto stored_secret = [&] {
    for (const auto& [id, r] : f.store().config().Of(dv::PROVIDER))
      if (r.provider().name() == "openai-main") return r.provider().auth().secret();
    return std::string("<none>");
  };
  CHECK(stored_secret() == secret);
  f.Json("PUT", "/providers/openai-main",
         R"({"kind":"openai","auth":{"secret":"<redacted>","header":"api-key"}})", 200);
  CHECK(stored_secret() == secret);
  f.Json("PATCH", "/providers/openai-main", R"({"auth":{"secret":"sk-new"}})", 200);
  CHECK(stored_secret() == "sk-new");
  // A PUT without a secret means no secret.
  f.Json("PUT", "/providers/openai-main", R"({"kind":"openai"})", 200);
  CHECK(stored_secret().empty());
  pb::Struct none = f.Json("PATCH", "/providers/openai-main",
                           R"({"auth":{"secret":"<redacted>"}})", 400);
  CHECK(FieldError(none, "auth.secret").find("there is none") != std::string::npos);
}

TEST_CASE("Models: concrete or split, fallbacks without cycles, in_use", "[admin][ai]") {
  AdminFixture f;
  f.Json("POST", "/providers", R"({"name":"openai","kind":"openai"})", 201);
  pb::Struct a = f.Json("POST", "/models",
                        R"({"name":"chat-a","provider":{"name":"openai"},"model":"gpt-4o",)"
                        R"("price":{"input_per_mtok":0.15,"output_per_mtok":0.6},)"
                        R"("context_window":128000})",
                        201);
  CHECK(f.Call("GET", "/models/chat-a").body.find("\"input_per_mtok\":0.15") !=
        std::string::npos);
  f.Json("POST", "/models",
         R"({"name":"chat-b","provider":{"name":"openai"},"model":"gpt-4o-mini",)"
         R"("fallbacks":[{"name":"chat-a"}]})",
         201);
  f.Json("POST", "/models", R"({"name":"llama3:8b","provider":{"name":"openai"},"model":"x"})",
         201);

  // A cycle through fallbacks is refused, naming the path.
  pb::Struct cycle =
      f.Json("PATCH", "/models/chat-a", R"({"fallbacks":[{"name":"chat-b"}]})", 400);
  CHECK(FieldError(cycle, "fallbacks[0]") == "makes a cycle: chat-a -> chat-b -> chat-a");
  pb::Struct self = f.Json("PATCH", "/models/chat-a",
                           "{\"fallbacks\":[{\"id\":\"" + Str(a, "id") + "\"}]}", 400);
  CHECK(FieldError(self, "fallbacks[0]") == "a model cannot fall back to itself");

  pb::Struct both = f.Json("POST", "/models",
                           R"({"name":"bad","provider":{"name":"openai"},"model":"m",)"
                           R"("split":[{"model":{"name":"chat-a"},"weight":1}]})",
                           400);
  CHECK(FieldError(both, "provider").find("either") != std::string::npos);
  pb::Struct neither = f.Json("POST", "/models", R"({"name":"bad"})", 400);
  CHECK(FieldError(neither, "provider").find("required") == 0);
  CHECK(FieldError(neither, "model").find("required") == 0);
  pb::Struct price = f.Json(
      "POST", "/models",
      R"({"name":"bad","provider":{"name":"openai"},"model":"m","price":{"input_per_mtok":-1}})",
      400);
  CHECK(!FieldError(price, "price.input_per_mtok").empty());
  pb::Struct zero = f.Json("POST", "/models",
                           R"({"name":"bad","split":[{"model":{"name":"chat-a"},"weight":0}]})",
                           400);
  CHECK(!FieldError(zero, "split").empty());

  pb::Struct canary = f.Json("POST", "/models",
                             R"({"name":"chat","split":[{"model":{"name":"chat-a"},"weight":90},)"
                             R"({"model":{"name":"chat-b"},"weight":10}]})",
                             201);
  CHECK(canary.fields().at("provider").kind_case() == pb::Value::kNullValue);
  CHECK(Str(Obj(canary.fields().at("split").list_value().values(0).struct_value(), "model"),
            "id") == Str(a, "id"));
  // One level of split: a split cannot list a split, nor can a split target become one.
  pb::Struct nested = f.Json("POST", "/models",
                             R"({"name":"outer","split":[{"model":{"name":"chat"},"weight":1}]})",
                             400);
  CHECK(FieldError(nested, "split[0].model").find("is itself a split") != std::string::npos);
  pb::Struct becomes = f.Json(
      "PUT", "/models/chat-a", R"({"split":[{"model":{"name":"llama3:8b"},"weight":1}]})", 400);
  CHECK(FieldError(becomes, "split").find("'chat' splits to this model") != std::string::npos);
  // A cycle through a split and a fallback.
  pb::Struct split_cycle =
      f.Json("PATCH", "/models/chat-a", R"({"fallbacks":[{"name":"chat"}]})", 400);
  CHECK(FieldError(split_cycle, "fallbacks[0]") == "makes a cycle: chat-a -> chat -> chat-a");

  pb::Struct in_use = f.Json("DELETE", "/models/chat-a", "", 409);
  CHECK(Str(in_use, "code") == "in_use");
  CHECK(Str(in_use, "message").find("chat-b") != std::string::npos);
  CHECK(Str(f.Json("DELETE", "/providers/openai", "", 409), "code") == "in_use");
  CHECK(f.store().config().CheckReferences().ok());

  CHECK(f.Call("DELETE", "/models/chat").status == 204);
  CHECK(f.Call("DELETE", "/models/chat-b").status == 204);
  CHECK(f.Call("DELETE", "/models/chat-a").status == 204);
  CHECK(f.Call("DELETE", "/models/llama3:8b").status == 204);
  CHECK(f.Call("DELETE", "/providers/openai").status == 204);
  CHECK(f.store().config().size() == 0);
}

}  // namespace
}  // namespace sluice::controlplane
