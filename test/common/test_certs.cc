#include "test/common/test_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace sluice::testing {

namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;
using BnPtr = std::unique_ptr<BIGNUM, Free>;

// Test set-up that cannot work without OpenSSL: stop with the reason.
void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "test_certs: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Require(key != nullptr, "EVP_EC_gen");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Require(ext != nullptr, value);
  Require(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, not yet signed nor extended. `issuer` null: self.
X509Ptr NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer) {
  X509Ptr cert(X509_new());
  Require(cert != nullptr, "X509_new");
  Require(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  Require(RAND_bytes(serial, sizeof(serial)) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BnPtr bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  Require(bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) !=
                               nullptr,
          "serial number");
  Require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  Require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 86400) != nullptr, "notAfter");
  Require(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Require(X509_NAME_add_entry_by_txt(
              name, "CN", MBSTRING_UTF8,
              reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
          "subject CN");
  Require(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer)
                                                             : name) == 1,
          "issuer name");
  return cert;
}

std::string ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Require(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string ToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  Require(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string SubjectAltNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    unsigned char buf[16];
    const bool ip = inet_pton(AF_INET, n.c_str(), buf) == 1 ||
                    inet_pton(AF_INET6, n.c_str(), buf) == 1;
    if (!out.empty()) out += ",";
    out += (ip ? "IP:" : "DNS:") + n;
  }
  return out;
}

TestCert Leaf(const std::vector<std::string>& names, X509* issuer, EVP_PKEY* issuer_key,
              const std::string& chain_tail) {
  Require(!names.empty(), "a leaf needs at least one name");
  KeyPtr key = NewKey();
  X509Ptr cert = NewCertificate(key.get(), names.front(), issuer);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
  AddExtension(cert.get(), signer, NID_subject_alt_name, SubjectAltNames(names).c_str());
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  Require(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key.get(), EVP_sha256()) > 0,
          "X509_sign");
  return TestCert{ToPem(cert.get()) + chain_tail, ToPem(key.get())};
}

}  // namespace

TestCert MakeCa(const std::string& common_name) {
  KeyPtr key = NewKey();
  X509Ptr cert = NewCertificate(key.get(), common_name, nullptr);
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  Require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");
  return TestCert{ToPem(cert.get()), ToPem(key.get())};
}

TestCert MakeLeaf(const TestCert& ca, const std::vector<std::string>& dns_names) {
  BioPtr cert_bio(BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size())));
  X509Ptr ca_cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Require(ca_cert != nullptr, "reading the CA certificate");
  BioPtr key_bio(BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size())));
  KeyPtr ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  Require(ca_key != nullptr, "reading the CA key");
  return Leaf(dns_names, ca_cert.get(), ca_key.get(), FirstCertificate(ca.cert_pem));
}

TestCert MakeSelfSigned(const std::vector<std::string>& dns_names) {
  return Leaf(dns_names, nullptr, nullptr, "");
}

std::string FirstCertificate(const std::string& chain_pem) {
  static constexpr char kEnd[] = "-----END CERTIFICATE-----";
  size_t end = chain_pem.find(kEnd);
  if (end == std::string::npos) return "";
  end += sizeof(kEnd) - 1;
  if (end < chain_pem.size() && chain_pem[end] == '\n') ++end;
  return chain_pem.substr(0, end);
}

}  // namespace sluice::testing
