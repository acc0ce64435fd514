#include "controlplane/admin/tls_material.h"

#include <catch2/catch.hpp>

#include "test/common/test_certs.h"

namespace sluice::controlplane {
namespace {

using sluice::testing::FirstCertificate;
using sluice::testing::MakeCa;
using sluice::testing::MakeLeaf;
using sluice::testing::MakeSelfSigned;
using sluice::testing::TestCert;

std::string MessageOf(const absl::Status& s) { return std::string(s.message()); }

TEST_CASE("TLS material: chains parse, keys must match the leaf", "[tls_material]") {
  const TestCert ca = MakeCa();
  const TestCert leaf = MakeLeaf(ca, {"localhost", "*.example.com"});
  const TestCert other = MakeSelfSigned({"other.example.com"});

  CHECK(CheckCertificateChain(leaf.cert_pem).ok());
  CHECK(CheckCertificateChain(FirstCertificate(leaf.cert_pem)).ok());
  // Text around blocks is allowed, as in bundles written by `openssl x509 -text`.
  CHECK(CheckCertificateChain("subject=CN = localhost\n" + leaf.cert_pem).ok());

  CHECK(CheckPrivateKeyMatches(leaf.cert_pem, leaf.key_pem).ok());
  absl::Status mismatch = CheckPrivateKeyMatches(leaf.cert_pem, other.key_pem);
  CHECK_FALSE(mismatch.ok());
  CHECK(MessageOf(mismatch).find("does not belong to the certificate") != std::string::npos);
  // The key must belong to the first certificate: a chain given CA first is refused.
  CHECK_FALSE(CheckPrivateKeyMatches(ca.cert_pem + FirstCertificate(leaf.cert_pem), leaf.key_pem)
                  .ok());
}

TEST_CASE("TLS material: malformed PEM and the wrong kind of block are refused",
          "[tls_material]") {
  const TestCert leaf = MakeSelfSigned({"localhost"});
  CHECK(MessageOf(CheckCertificateChain("")).find("no PEM certificate") != std::string::npos);
  CHECK(MessageOf(CheckCertificateChain("hello")).find("no PEM certificate") != std::string::npos);
  absl::Status bad_base64 = CheckCertificateChain(
      "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
  CHECK(MessageOf(bad_base64).find("is not valid PEM") != std::string::npos);
  // Valid base64 that is not DER of a certificate.
  absl::Status not_der = CheckCertificateChain(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  CHECK(MessageOf(not_der).find("not a valid X.509 certificate") != std::string::npos);
  // A truncated certificate (no END line).
  std::string truncated = leaf.cert_pem.substr(0, leaf.cert_pem.size() / 2);
  CHECK_FALSE(CheckCertificateChain(truncated).ok());
  // A key pasted into the certificate field would be sent where certificates go: refused.
  absl::Status key_in_cert = CheckCertificateChain(leaf.cert_pem + leaf.key_pem);
  CHECK(MessageOf(key_in_cert).find("PRIVATE KEY block") != std::string::npos);
  // And a certificate is not a key.
  absl::Status cert_as_key = CheckPrivateKeyMatches(leaf.cert_pem, leaf.cert_pem);
  CHECK(MessageOf(cert_as_key).find("CERTIFICATE block") != std::string::npos);
  CHECK_FALSE(CheckPrivateKeyMatches(leaf.cert_pem, "").ok());
  CHECK_FALSE(CheckPrivateKeyMatches(leaf.cert_pem, leaf.key_pem + leaf.key_pem).ok());
  absl::Status encrypted = CheckPrivateKeyMatches(leaf.cert_pem,
                                                  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                                                  "-----END ENCRYPTED PRIVATE KEY-----\n");
  CHECK(MessageOf(encrypted).find("encrypted") != std::string::npos);
}

TEST_CASE("TLS material: CA certificates need basicConstraints CA:TRUE", "[tls_material]") {
  const TestCert ca = MakeCa();
  const TestCert ca2 = MakeCa("Second CA");
  const TestCert leaf = MakeLeaf(ca, {"localhost"});
  CHECK(CheckCaCertificates(ca.cert_pem).ok());
  CHECK(CheckCaCertificates(ca.cert_pem + ca2.cert_pem).ok());
  absl::Status not_ca = CheckCaCertificates(ca.cert_pem + FirstCertificate(leaf.cert_pem));
  CHECK_FALSE(not_ca.ok());
  CHECK(MessageOf(not_ca).find("certificate 2") != std::string::npos);
  CHECK(MessageOf(not_ca).find("CA:TRUE") != std::string::npos);
}

}  // namespace
}  // namespace sluice::controlplane
