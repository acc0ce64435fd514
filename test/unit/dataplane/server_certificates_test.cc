#include "dataplane/tls/server_certificates.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include "test/common/test_certs.h"

namespace sluice::tls {
namespace {

using testing::MakeCa;
using testing::MakeLeaf;
using testing::TestCert;

// The common name of the certificate a context presents ("" for none).
std::string SubjectOf(SSL_CTX* ctx) {
  if (ctx == nullptr) return "";
  X509* cert = SSL_CTX_get0_certificate(ctx);
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

CertificateSource Source(const std::string& id, const TestCert& c, std::vector<std::string> snis) {
  return CertificateSource{id, c.cert_pem, c.key_pem, std::move(snis)};
}

TEST_CASE("server certificates: exact, one-label wildcard, default", "[tls]") {
  TestCert ca = MakeCa();
  TestCert exact = MakeLeaf(ca, {"api.example.com"});
  TestCert wild = MakeLeaf(ca, {"*.example.com"});
  TestCert other = MakeLeaf(ca, {"other.test"});
  TestCert fallback = MakeLeaf(ca, {"fallback.test"});

  SECTION("without a default, unknown names find nothing") {
    auto certs = ServerCertificates::Build(
        {Source("a", exact, {"api.example.com"}), Source("b", wild, {"*.example.com"})});
    REQUIRE(certs.ok());
    CHECK(SubjectOf((*certs)->Find("api.example.com")) == "api.example.com");
    CHECK(SubjectOf((*certs)->Find("API.Example.COM")) == "api.example.com");
    CHECK(SubjectOf((*certs)->Find("www.example.com")) == "*.example.com");
    CHECK((*certs)->Find("a.b.example.com") == nullptr);
    CHECK((*certs)->Find("example.com") == nullptr);
    CHECK((*certs)->Find("unknown.test") == nullptr);
    CHECK((*certs)->Find("") == nullptr);
  }

  SECTION("\"*\" is the default, for unknown names and no name at all") {
    auto certs = ServerCertificates::Build(
        {Source("a", exact, {"api.example.com"}), Source("d", fallback, {"*"}),
         Source("o", other, {"other.test", "second.test"})});
    REQUIRE(certs.ok());
    CHECK(SubjectOf((*certs)->Find("unknown.test")) == "fallback.test");
    CHECK(SubjectOf((*certs)->Find("")) == "fallback.test");
    CHECK(SubjectOf((*certs)->Find("second.test")) == "other.test");
    CHECK(SubjectOf((*certs)->Find("api.example.com")) == "api.example.com");
  }

  SECTION("a key that does not match its certificate is refused") {
    auto certs = ServerCertificates::Build(
        {CertificateSource{"bad", exact.cert_pem, other.key_pem, {"x.test"}}});
    REQUIRE_FALSE(certs.ok());
    CHECK(std::string(certs.status().message()).find("bad") != std::string::npos);
  }

  SECTION("garbage PEM is refused") {
    auto certs = ServerCertificates::Build({CertificateSource{"junk", "not a pem", "nope", {"x.test"}}});
    CHECK_FALSE(certs.ok());
  }
}

TEST_CASE("server certificates: contexts allow TLS 1.2 and newer only", "[tls]") {
  TestCert self = testing::MakeSelfSigned({"v.test"});
  auto certs = ServerCertificates::Build({Source("v", self, {"v.test"})});
  REQUIRE(certs.ok());
  SSL_CTX* ctx = (*certs)->Find("v.test");
  REQUIRE(ctx != nullptr);
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
}

}  // namespace
}  // namespace sluice::tls
