#pragma once
// Certificates for tests, made at run time with OpenSSL: a CA, leaves it signs, self-signed
// leaves. Keys are ECDSA P-256 (fast to make); certificates are valid from an hour ago for 30
// days. Everything is PEM text, ready for the admin API or an SSL_CTX.
//
//   TestCert ca = MakeCa();
//   TestCert leaf = MakeLeaf(ca, {"localhost", "*.example.com"});
//   // leaf.cert_pem: the leaf then the CA (a chain); leaf.key_pem: its private key.
#include <string>
#include <vector>

namespace sluice::testing {

struct TestCert {
  std::string cert_pem;  // the certificate (MakeLeaf: followed by the CA's, as a chain)
  std::string key_pem;   // PKCS#8 "-----BEGIN PRIVATE KEY-----"
};

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign).
TestCert MakeCa(const std::string& common_name = "Sluice Test CA");

// A server and client certificate for `dns_names` (subjectAltName; the first is also the common
// name) signed by `ca` (from MakeCa). IP addresses in `dns_names` ("127.0.0.1") become IP SANs.
TestCert MakeLeaf(const TestCert& ca, const std::vector<std::string>& dns_names);

// The same, signed by its own key (no CA).
TestCert MakeSelfSigned(const std::vector<std::string>& dns_names);

// Just the leaf certificate of a MakeLeaf chain (its first PEM block).
std::string FirstCertificate(const std::string& chain_pem);

}  // namespace sluice::testing
