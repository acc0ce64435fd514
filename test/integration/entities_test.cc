// Certificates, CA certificates, providers and models through a real control plane, and on to a
// real data plane; ETag and If-Match over HTTP.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "sluice/discovery/v1/discovery.pb.h"
#include "test/common/test_certs.h"
#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// `text` as a JSON string literal.
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The body lines of a PEM block: what must never show up in an answer.
std::string PemBody(const std::string& pem) {
  size_t start = pem.find('\n') + 1;
  return pem.substr(start, pem.find("-----END") - start);
}

// What the data plane last applied, from its --cache-file (header: magic line, 8-byte length,
// 32-byte SHA-256; then the serialized CachedSnapshot).
discovery::v1::CachedSnapshot ReadCache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  const std::string bytes = data.str();
  constexpr size_t kHeader = sizeof("SLUICECACHE1\n") - 1 + 8 + 32;
  discovery::v1::CachedSnapshot snapshot;
  if (bytes.size() > kHeader) snapshot.ParseFromString(bytes.substr(kHeader));
  return snapshot;
}

// The cache file once it holds `version` (the data plane writes it just after applying).
discovery::v1::CachedSnapshot ReadCacheAt(const std::string& path, int64_t version) {
  discovery::v1::CachedSnapshot snapshot;
  WaitUntil(
      [&] {
        snapshot = ReadCache(path);
        return snapshot.version() == static_cast<uint64_t>(version);
      },
      Millis(5000));
  return snapshot;
}

TEST_CASE("TLS and AI entities: CRUD, secrets never shown, in_use, and a data plane gets them",
          "[cp][admin][entities]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  DataPlane dp = StartDataPlane(cp, "dp-1", NewCacheFile("dp-1"));
  const TestCert ca = MakeCa();
  const TestCert leaf = MakeLeaf(ca, {"api.example.com", "*.example.com"});
  const std::string secret = "sk-integration-secret-0123456789";

  Json ca_res = Admin(cp, "POST", "/ca_certificates",
                      "{\"name\":\"internal\",\"cert\":" + Quoted(ca.cert_pem) + "}", 201);
  Json cert = Admin(cp, "POST", "/certificates",
                    "{\"name\":\"edge\",\"cert\":" + Quoted(leaf.cert_pem) +
                        ",\"key\":" + Quoted(leaf.key_pem) +
                        ",\"snis\":[\"api.example.com\",\"*.example.com\"]}",
                    201);
  CHECK(cert.Str("/key") == "<redacted>");
  Admin(cp, "POST", "/services",
        R"({"name":"llm","url":"http://127.0.0.1:9","tls_verify":false,)"
        R"("ca_certificates":["internal"],"client_certificate":{"name":"edge"}})",
        201);
  Json provider = Admin(cp, "POST", "/providers",
                        R"({"name":"openai-main","kind":"openai","auth":{"secret":")" + secret +
                            R"("}})",
                        201);
  CHECK(provider.Str("/auth/secret") == "<redacted>");
  Admin(cp, "POST", "/models",
        R"({"name":"chat-default","provider":{"name":"openai-main"},"model":"gpt-4o-mini",)"
        R"("price":{"input_per_mtok":0.15,"output_per_mtok":0.6},"context_window":128000})",
        201);
  Admin(cp, "POST", "/models",
        R"({"name":"chat-big","provider":{"name":"openai-main"},"model":"gpt-4o",)"
        R"("fallbacks":[{"name":"chat-default"}]})",
        201);
  Admin(cp, "POST", "/models",
        R"({"name":"chat","split":[{"model":{"name":"chat-default"},"weight":90},)"
        R"({"model":{"name":"chat-big"},"weight":10}]})",
        201);

  SECTION("no answer carries the key or the secret") {
    const std::string key_body = PemBody(leaf.key_pem);
    REQUIRE(key_body.size() > 40);
    for (const char* path : {"/certificates", "/certificates/edge", "/providers",
                             "/providers/openai-main", "/config", "/services/llm", "/models"}) {
      HttpResponse r = AdminCall(cp, "GET", path);
      INFO(path << " -> " << r.Describe());
      CHECK(r.status == 200);
      CHECK(r.body.find(key_body) == std::string::npos);
      CHECK(r.body.find(secret) == std::string::npos);
    }
    // A PATCH that does not touch them keeps both.
    HttpResponse patched = AdminCall(cp, "PATCH", "/certificates/edge", R"({"tags":["prod"]})");
    CHECK(patched.status == 200);
    CHECK(patched.body.find(key_body) == std::string::npos);
    Admin(cp, "PATCH", "/providers/openai-main", R"({"auth":{"header":"api-key"}})", 200);
    const int64_t version = ControlPlaneVersion(cp);
    REQUIRE(WaitForVersion(dp, version));
    discovery::v1::CachedSnapshot applied = ReadCacheAt(dp.cache_file, version);
    CHECK(applied.version() == static_cast<uint64_t>(version));
    for (const auto& r : applied.resources()) {
      if (r.has_certificate()) CHECK(r.certificate().key() == leaf.key_pem);
      if (r.has_provider()) CHECK(r.provider().auth().secret() == secret);
    }
  }

  SECTION("referenced entities cannot be deleted") {
    for (const char* path :
         {"/ca_certificates/internal", "/certificates/edge", "/providers/openai-main",
          "/models/chat-default", "/models/chat-big"}) {
      HttpResponse r = AdminCall(cp, "DELETE", path);
      INFO(path << " -> " << r.Describe());
      CHECK(r.status == 409);
      CHECK(Json::Parse(r.body).Str("/code") == "in_use");
    }
    HttpResponse cycle =
        AdminCall(cp, "PATCH", "/models/chat-default", R"({"fallbacks":[{"name":"chat-big"}]})");
    INFO(cycle.Describe());
    CHECK(cycle.status == 400);
    CHECK(Json::Parse(cycle.body).Str("/fields/fallbacks[0]") ==
          "makes a cycle: chat-default -> chat-big -> chat-default");
    // Taken apart in order, everything goes.
    for (const std::string& path :
         {std::string("/models/chat"), std::string("/models/chat-big"),
          std::string("/models/chat-default"), std::string("/providers/openai-main"),
          std::string("/services/llm"), std::string("/certificates/edge"),
          "/ca_certificates/" + ca_res.Str("/id")}) {
      HttpResponse r = AdminCall(cp, "DELETE", path);
      INFO(path << " -> " << r.Describe());
      CHECK(r.status == 204);
    }
    CHECK(Json::Parse(AdminCall(cp, "GET", "/models").body).Size("/data") == 0);
  }

  SECTION("the data plane applies a config holding every new kind, keys and secrets whole") {
    const int64_t version = ControlPlaneVersion(cp);
    REQUIRE(WaitForVersion(dp, version));
    // ACKed, not NACKed: /dataplanes has no rejection. (The ACK reaches the control plane just
    // after the data plane reports the version.)
    std::string nodes;
    CHECK(WaitUntil(
        [&] {
          nodes = AdminCall(cp, "GET", "/dataplanes").body;
          return Json::Parse(nodes).Int("/data/0/last_acked_version") == version;
        },
        Millis(5000)));
    INFO(nodes);
    CHECK(Json::Parse(nodes).Raw("/data/0/last_nack") == "null");

    discovery::v1::CachedSnapshot applied = ReadCacheAt(dp.cache_file, version);
    CHECK(applied.version() == static_cast<uint64_t>(version));
    int certificates = 0, cas = 0, providers = 0, models = 0;
    for (const auto& r : applied.resources()) {
      if (r.has_certificate()) {
        ++certificates;
        CHECK(r.certificate().key() == leaf.key_pem);
        CHECK(r.certificate().snis_size() == 2);
      }
      if (r.has_ca_certificate()) ++cas;
      if (r.has_provider()) {
        ++providers;
        CHECK(r.provider().auth().secret() == secret);
        CHECK(r.provider().base_url() == "https://api.openai.com");
      }
      if (r.has_model()) ++models;
      if (r.has_service()) {
        CHECK(r.service().ca_certificates(0) == ca_res.Str("/id"));
        CHECK(r.service().client_certificate().id() == cert.Str("/id"));
      }
    }
    CHECK(certificates == 1);
    CHECK(cas == 1);
    CHECK(providers == 1);
    CHECK(models == 3);

    // A delta carries a change to them as well.
    Admin(cp, "PATCH", "/models/chat-default", R"({"context_window":64000})", 200);
    const int64_t patched = ControlPlaneVersion(cp);
    REQUIRE(WaitForVersion(dp, patched));
    bool updated = false;
    const discovery::v1::CachedSnapshot after = ReadCacheAt(dp.cache_file, patched);
    for (const auto& r : after.resources())
      updated = updated || (r.has_model() && r.model().context_window() == 64000);
    CHECK(updated);
  }
}

TEST_CASE("ETag and If-Match over HTTP: the second of two writers gets 412", "[cp][admin][etag]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  Admin(cp, "POST", "/services", R"({"name":"llm","url":"http://127.0.0.1:9"})", 201);

  HttpResponse read_a = AdminCall(cp, "GET", "/services/llm");
  HttpResponse read_b = AdminCall(cp, "GET", "/services/llm");
  const std::string etag = read_a.Header("etag");
  INFO(read_a.Describe());
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  CHECK(read_b.Header("etag") == etag);

  HttpResponse write_a = Request("PATCH", cp.admin, "/services/llm",
                                 {{"If-Match", etag}, {"Content-Type", "application/json"}},
                                 R"({"read_timeout":1111})");
  INFO(write_a.Describe());
  REQUIRE(write_a.status == 200);
  const std::string etag_after_a = write_a.Header("etag");
  CHECK(!etag_after_a.empty());
  CHECK(etag_after_a != etag);
  const int64_t version = ControlPlaneVersion(cp);

  HttpResponse write_b = Request("PATCH", cp.admin, "/services/llm",
                                 {{"If-Match", read_b.Header("etag")},
                                  {"Content-Type", "application/json"}},
                                 R"({"read_timeout":2222})");
  INFO(write_b.Describe());
  CHECK(write_b.status == 412);
  CHECK(Json::Parse(write_b.body).Str("/code") == "precondition_failed");
  CHECK(write_b.Header("content-type").find("application/json") != std::string::npos);
  CHECK(ControlPlaneVersion(cp) == version);
  CHECK(Json::Parse(AdminCall(cp, "GET", "/services/llm").body).Int("/read_timeout") == 1111);

  // If-Match: * needs the entity; without If-Match, writes go through as always.
  CHECK(Request("DELETE", cp.admin, "/services/nope", {{"If-Match", "*"}}).status == 412);
  CHECK(Request("DELETE", cp.admin, "/services/llm", {{"If-Match", etag}}).status == 412);
  CHECK(Request("DELETE", cp.admin, "/services/llm", {{"If-Match", etag_after_a}}).status ==
        204);
  CHECK(AdminCall(cp, "GET", "/services/llm").status == 404);
}

}  // namespace
}  // namespace sluice::testing
