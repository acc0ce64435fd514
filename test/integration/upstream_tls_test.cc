// Upstream TLS ("https" over HTTP/1.1, "grpcs" over HTTP/2 with ALPN h2): the server certificate
// is checked against the service's CA certificates (or the system store) and the host name, SNI
// names the service host, tls_verify:false turns the checks off, and a client certificate is
// presented when the service has one. Failures are 502 upstream_tls_error with the reason.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>

#include "common/json.h"
#include "test/common/test_certs.h"
#include "test/integration/h2_client.h"
#include "test/integration/h2_upstream.h"
#include "test/integration/harness.h"

// Requests are written with designated initializers naming only the fields that matter.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sluice::testing {
namespace {

SSL_CTX* ServerCtx(const TestCert& cert, const std::string& client_ca_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* bio = BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    SSL_CTX_add0_chain_cert(ctx, extra);
  }
  ERR_clear_error();
  BIO_free(bio);
  bio = BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  SSL_CTX_set_alpn_select_cb(
      ctx,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
         unsigned int inlen, void*) {
        static const unsigned char kOffer[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        unsigned char* selected = nullptr;
        if (SSL_select_next_proto(&selected, outlen, kOffer, sizeof kOffer, in, inlen) !=
            OPENSSL_NPN_NEGOTIATED) {
          return SSL_TLSEXT_ERR_NOACK;
        }
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
      },
      nullptr);
  if (!client_ca_pem.empty()) {
    bio = BIO_new_mem_buf(client_ca_pem.data(), static_cast<int>(client_ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

// An HTTP/1.1 server over TLS: answers every request with "sni=<name> client=<CN> alpn=<p>" and
// closes. One connection at a time, each bounded in time.
class TlsHttp1Upstream {
 public:
  TlsHttp1Upstream(const TestCert& cert, const std::string& client_ca_pem = "")
      : ctx_(ServerCtx(cert, client_ca_pem)) {
    fd_ = ListenOnLoopback(16, &port_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TlsHttp1Upstream() {
    stop_ = true;
    thread_.join();
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int handshakes() const { return handshakes_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        ++handshakes_;
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          request.append(buf, static_cast<size_t>(n));
        }
        if (request.find("\r\n\r\n") != std::string::npos) {
          const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
          std::string client = "-";
          if (X509* peer = SSL_get1_peer_certificate(ssl)) {
            char cn[256] = {0};
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
            client = cn;
            X509_free(peer);
          }
          const unsigned char* alpn = nullptr;
          unsigned int alpn_len = 0;
          SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
          std::string body = std::string("sni=") + (sni != nullptr ? sni : "-") +
                             " client=" + client + " alpn=" +
                             (alpn_len > 0 ? std::string(reinterpret_cast<const char*>(alpn), alpn_len)
                                           : std::string("-"));
          std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                 body;
          SSL_write(ssl, response.data(), static_cast<int>(response.size()));
          SSL_shutdown(ssl);
        }
      }
      ERR_clear_error();
      SSL_free(ssl);
      close(c);
    }
  }

  SSL_CTX* ctx_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

std::string CaJson(const std::string& name, const TestCert& ca) {
  return R"({"name":")" + name + R"(","cert":)" + JsonString(ca.cert_pem) + "}";
}

std::string CertJson(const std::string& name, const TestCert& c) {
  return R"({"name":")" + name + R"(","cert":)" + JsonString(c.cert_pem) +
         R"(,"key":)" + JsonString(c.key_pem) + R"(,"snis":[]})";
}

struct TlsCluster {
  ControlPlane cp;
  DataPlane dp;
  void SetService(const std::string& json) {
    Admin(cp, "PUT", "/services/up", json, 200);
    REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));
  }
};

// CA certificates "good-ca" and "other-ca", client certificate "client", and a route to
// service "up" (created from `service_json`, where "$CLIENT" stands for the client certificate's
// id).
TlsCluster StartTlsCluster(const TestCert& good_ca, const TestCert& other_ca,
                           const TestCert& client, const std::string& service_json) {
  TlsCluster c;
  c.cp = StartControlPlane(NewDir("cp"));
  Admin(c.cp, "POST", "/ca_certificates", CaJson("good-ca", good_ca), 201);
  Admin(c.cp, "POST", "/ca_certificates", CaJson("other-ca", other_ca), 201);
  std::string client_id =
      Admin(c.cp, "POST", "/certificates", CertJson("client", client), 201).Str("/id");
  std::string service = service_json;
  size_t at = service.find("$CLIENT");
  if (at != std::string::npos) service.replace(at, 7, client_id);
  Admin(c.cp, "POST", "/services", service, 201);
  Admin(c.cp, "POST", "/routes",
        R"({"name":"all","paths":["/"],"strip_path":false,"service":{"name":"up"}})", 201);
  c.dp = StartDataPlane(c.cp, "dp1", NewDir("dp") + "/cache", 0, 0, {"--workers", "1"});
  REQUIRE(WaitForVersion(c.dp, ControlPlaneVersion(c.cp)));
  return c;
}

std::string Service(const std::string& protocol, const std::string& host, int port,
                    const std::string& extra) {
  return R"({"name":"up","protocol":")" + protocol + R"(","host":")" + host + R"(","port":)" +
         std::to_string(port) + extra + "}";
}

TEST_CASE("upstream TLS: https services verify the upstream", "[dp][tls][upstream]") {
  TestCert ca = MakeCa("Good CA");
  TestCert other_ca = MakeCa("Other CA");
  TestCert server = MakeLeaf(ca, {"localhost", "127.0.0.1"});
  TestCert client_ca = MakeCa("Client CA");
  TestCert client = MakeLeaf(client_ca, {"gateway-client"});
  TlsHttp1Upstream up(server);
  TlsCluster c = StartTlsCluster(ca, other_ca, client,
                                 Service("https", "localhost", up.port(),
                                         R"(,"ca_certificates":["good-ca"])"));

  SECTION("a trusted CA and the right name: proxied, with SNI and ALPN http/1.1") {
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body == "sni=localhost client=- alpn=http/1.1");
  }

  SECTION("an IP address is checked against the IP SAN and sends no SNI") {
    c.SetService(Service("https", "127.0.0.1", up.port(), R"(,"ca_certificates":["good-ca"])"));
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body.rfind("sni=- ", 0) == 0);
  }

  SECTION("an untrusted CA: 502 upstream_tls_error with the reason") {
    c.SetService(Service("https", "localhost", up.port(), R"(,"ca_certificates":["other-ca"])"));
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    CHECK(r.status == 502);
    Json j = Json::Parse(r.body);
    CHECK(j.Str("/code") == "upstream_tls_error");
    CHECK(j.Str("/message").find("certificate verify failed") != std::string::npos);
  }

  SECTION("the system store does not know the test CA") {
    c.SetService(Service("https", "localhost", up.port(), ""));
    HttpResponse r = Get(c.dp.proxy, "/");
    CHECK(r.status == 502);
    CHECK(Json::Parse(r.body).Str("/code") == "upstream_tls_error");
  }

  SECTION("tls_verify false accepts it anyway") {
    c.SetService(Service("https", "localhost", up.port(), R"(,"tls_verify":false)"));
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    CHECK(r.status == 200);
  }
}

TEST_CASE("upstream TLS: the host name must match", "[dp][tls][upstream]") {
  TestCert ca = MakeCa("Good CA");
  TestCert server = MakeLeaf(ca, {"other.example"});
  TlsHttp1Upstream up(server);
  TlsCluster c = StartTlsCluster(ca, MakeCa("Other CA"), MakeSelfSigned({"x"}),
                                 Service("https", "localhost", up.port(),
                                         R"(,"ca_certificates":["good-ca"])"));
  HttpResponse r = Get(c.dp.proxy, "/");
  INFO(r.Describe());
  CHECK(r.status == 502);
  Json j = Json::Parse(r.body);
  CHECK(j.Str("/code") == "upstream_tls_error");
  CHECK(j.Str("/message").find("hostname mismatch") != std::string::npos);
}

TEST_CASE("upstream TLS: a client certificate for upstreams that require one",
          "[dp][tls][upstream]") {
  TestCert ca = MakeCa("Good CA");
  TestCert server = MakeLeaf(ca, {"localhost"});
  TestCert client_ca = MakeCa("Client CA");
  TestCert client = MakeLeaf(client_ca, {"gateway-client"});
  TlsHttp1Upstream up(server, client_ca.cert_pem);
  TlsCluster c = StartTlsCluster(ca, MakeCa("Other CA"), client,
                                 Service("https", "localhost", up.port(),
                                         R"(,"ca_certificates":["good-ca"])"));

  SECTION("without one: 502 upstream_tls_error") {
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    CHECK(r.status == 502);
    CHECK(Json::Parse(r.body).Str("/code") == "upstream_tls_error");
  }

  SECTION("with one: the upstream sees it") {
    c.SetService(Service("https", "localhost", up.port(),
                         R"(,"ca_certificates":["good-ca"],"client_certificate":{"id":")" +
                             Admin(c.cp, "GET", "/certificates/client", "", 200).Str("/id") +
                             R"("})"));
    HttpResponse r = Get(c.dp.proxy, "/");
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    CHECK(r.body == "sni=localhost client=gateway-client alpn=http/1.1");
  }
}

TEST_CASE("upstream TLS: grpcs speaks HTTP/2 over TLS (ALPN h2)", "[dp][tls][upstream][h2]") {
  TestCert ca = MakeCa("Good CA");
  TestCert server = MakeLeaf(ca, {"localhost"});
  TestCert client_ca = MakeCa("Client CA");
  TestCert client = MakeLeaf(client_ca, {"gateway-client"});
  H2Upstream up({.tls = true,
                 .cert_pem = server.cert_pem,
                 .key_pem = server.key_pem,
                 .client_ca_pem = client_ca.cert_pem});
  TlsCluster c = StartTlsCluster(
      ca, MakeCa("Other CA"), client,
      Service("grpcs", "localhost", up.port(),
              R"(,"ca_certificates":["good-ca"],"client_certificate":{"id":"$CLIENT"})"));

  H2Client h2;
  REQUIRE(h2.Connect(c.dp.proxy));
  H2Response r = h2.Send({.method = "POST",
                          .path = "/echo.Echo/Unary",
                          .headers = {{"te", "trailers"}, {"x-trailers", "grpc-status=0"}},
                          .body = "abc"});
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  CHECK(r.body.find("scheme=https") != std::string::npos);
  CHECK(r.body.find("te=trailers") != std::string::npos);
  CHECK(r.body.find("body=3") != std::string::npos);
  CHECK(r.trailers["grpc-status"] == "0");
  CHECK(up.last_client_cn() == "gateway-client");

  // A server certificate from another CA fails the same way as over HTTP/1.1.
  c.SetService(Service("grpcs", "localhost", up.port(), R"(,"ca_certificates":["other-ca"])"));
  HttpResponse bad = Get(c.dp.proxy, "/");
  INFO(bad.Describe());
  CHECK(bad.status == 502);
  CHECK(Json::Parse(bad.body).Str("/code") == "upstream_tls_error");
}

}  // namespace
}  // namespace sluice::testing
