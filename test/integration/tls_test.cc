// TLS termination: certificates from the control plane chosen by SNI, a default certificate,
// ALPN h2 and http/1.1, TLS 1.2+ only, and rotation without a restart.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/json.h"
#include "test/common/test_certs.h"
#include "test/integration/h2_client.h"
#include "test/integration/harness.h"

// Requests are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sluice::testing {
namespace {

std::string CertificateJson(const TestCert& c, const std::vector<std::string>& snis) {
  std::string out = "{\"cert\":" + JsonString(c.cert_pem) + ",\"key\":" + JsonString(c.key_pem) +
                    ",\"snis\":[";
  for (size_t i = 0; i < snis.size(); ++i) out += (i ? "," : "") + JsonString(snis[i]);
  return out + "]}";
}

// One HTTP/1.1 request over TLS (ALPN http/1.1, or none); returns the raw response.
std::string Http1OverTls(const std::string& addr, const std::string& sni, bool offer_alpn,
                         const std::string& request) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (offer_alpn) SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>("\x08http/1.1"), 9);
  std::string out;
  size_t colon = addr.rfind(':');
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      char buf[16384];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    }
    ERR_clear_error();
    SSL_free(ssl);
  }
  close(fd);
  SSL_CTX_free(ctx);
  return out;
}

struct TlsCluster {
  Cluster c;
  std::string tls_addr;
};

TlsCluster StartTlsCluster() {
  int port = FreePort();
  TlsCluster t{StartCluster({"--tls-listen", LoopbackAddr(port)}), LoopbackAddr(port)};
  return t;
}

TEST_CASE("TLS: SNI picks the certificate, ALPN picks HTTP/2 or HTTP/1.1", "[dp][tls]") {
  TlsCluster t = StartTlsCluster();
  TestCert ca = MakeCa();
  TestCert a = MakeLeaf(ca, {"a.example.test"});
  TestCert wild = MakeLeaf(ca, {"*.wild.test"});
  TestCert fallback = MakeLeaf(ca, {"default.test"});

  SECTION("no certificate configured: the handshake fails, the data plane carries on") {
    H2Client client;
    CHECK_FALSE(client.Connect(t.tls_addr, {.tls = true, .sni = "a.example.test"}));
    CHECK(Get(t.c.dp.proxy, "/echo/plain").status == 200);
  }

  Admin(t.c.cp, "POST", "/certificates", CertificateJson(a, {"a.example.test"}), 201);
  Admin(t.c.cp, "POST", "/certificates", CertificateJson(wild, {"*.wild.test"}), 201);
  REQUIRE(WaitForVersion(t.c.dp, ControlPlaneVersion(t.c.cp)));

  SECTION("exact name, verified against the CA, over HTTP/2") {
    H2Client client;
    REQUIRE(client.Connect(t.tls_addr, {.tls = true, .sni = "a.example.test", .ca_pem = ca.cert_pem}));
    CHECK(client.alpn() == "h2");
    CHECK(client.peer_subject() == "a.example.test");
    H2Response r = client.Send({.path = "/echo/tls", .scheme = "https"});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(Json::Parse(r.body).Str("/headers/x-forwarded-proto") == "https");
  }

  SECTION("wildcard name") {
    H2Client client;
    REQUIRE(client.Connect(t.tls_addr, {.tls = true, .sni = "api.wild.test", .ca_pem = ca.cert_pem}));
    CHECK(client.peer_subject() == "*.wild.test");
    // One label only: a.b.wild.test is not covered.
    H2Client deeper;
    CHECK_FALSE(deeper.Connect(t.tls_addr, {.tls = true, .sni = "a.b.wild.test"}));
  }

  SECTION("unknown name without a default certificate: refused") {
    H2Client client;
    CHECK_FALSE(client.Connect(t.tls_addr, {.tls = true, .sni = "other.test"}));
  }

  SECTION("the default certificate (\"*\") answers unknown names and clients without SNI") {
    Admin(t.c.cp, "POST", "/certificates", CertificateJson(fallback, {"*"}), 201);
    REQUIRE(WaitForVersion(t.c.dp, ControlPlaneVersion(t.c.cp)));
    H2Client unknown;
    REQUIRE(unknown.Connect(t.tls_addr, {.tls = true, .sni = "other.test"}));
    CHECK(unknown.peer_subject() == "default.test");
    H2Client no_sni;
    REQUIRE(no_sni.Connect(t.tls_addr, {.tls = true}));
    CHECK(no_sni.peer_subject() == "default.test");
    // Exact names still win over the default.
    H2Client exact;
    REQUIRE(exact.Connect(t.tls_addr, {.tls = true, .sni = "a.example.test"}));
    CHECK(exact.peer_subject() == "a.example.test");
  }

  SECTION("HTTP/1.1 over TLS, with ALPN http/1.1 and without ALPN") {
    std::string req = "GET /echo/h1 HTTP/1.1\r\nHost: a.example.test\r\nConnection: close\r\n\r\n";
    for (bool alpn : {true, false}) {
      std::string resp = Http1OverTls(t.tls_addr, "a.example.test", alpn, req);
      INFO(resp.substr(0, 300));
      REQUIRE(resp.rfind("HTTP/1.1 200", 0) == 0);
      CHECK(resp.find("\"x-forwarded-proto\":\"https\"") != std::string::npos);
    }
  }

  SECTION("TLS 1.1 and older are refused") {
    H2Client old;
    CHECK_FALSE(old.Connect(t.tls_addr, {.tls = true, .sni = "a.example.test", .max_tls_version = TLS1_1_VERSION}));
    H2Client tls12;
    CHECK(tls12.Connect(t.tls_addr, {.tls = true, .sni = "a.example.test", .max_tls_version = TLS1_2_VERSION}));
  }
}

TEST_CASE("TLS: a rotated certificate is served without a restart", "[dp][tls]") {
  TlsCluster t = StartTlsCluster();
  TestCert ca = MakeCa();
  TestCert first = MakeLeaf(ca, {"rotate.test"});
  Json created = Admin(t.c.cp, "POST", "/certificates", CertificateJson(first, {"rotate.test"}), 201);
  REQUIRE(WaitForVersion(t.c.dp, ControlPlaneVersion(t.c.cp)));
  H2Client before;
  REQUIRE(before.Connect(t.tls_addr, {.tls = true, .sni = "rotate.test"}));
  std::string fp1 = before.peer_fingerprint();
  REQUIRE(before.Send({.path = "/echo/1", .scheme = "https"}).status == 200);

  TestCert second = MakeLeaf(ca, {"rotate.test"});
  Admin(t.c.cp, "PUT", "/certificates/" + created.Str("/id"),
        CertificateJson(second, {"rotate.test"}), 200);
  REQUIRE(WaitForVersion(t.c.dp, ControlPlaneVersion(t.c.cp)));
  H2Client after;
  REQUIRE(after.Connect(t.tls_addr, {.tls = true, .sni = "rotate.test"}));
  CHECK(after.peer_fingerprint() != fp1);
  CHECK(after.Send({.path = "/echo/2", .scheme = "https"}).status == 200);
  // The connection made before the rotation keeps working.
  CHECK(before.Send({.path = "/echo/3", .scheme = "https"}).status == 200);
}

}  // namespace
}  // namespace sluice::testing
