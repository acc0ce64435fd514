#include "controlplane/admin/tls_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace sluice::controlplane {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct PemBlock {
  std::string name;  // "CERTIFICATE", "PRIVATE KEY", ...
  std::string der;
};

// The reason of the last OpenSSL error, and an empty error queue for the next caller.
std::string TakeOpenSslReason() {
  unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

// Every PEM block of `pem`, in order. Text between blocks is allowed (bundles often carry
// "subject=..." lines), as OpenSSL itself allows it.
absl::StatusOr<std::vector<PemBlock>> ReadPemBlocks(std::string_view pem) {
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory reading PEM");
  std::vector<PemBlock> blocks;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) break;
    PemBlock block{name, std::string(reinterpret_cast<const char*>(data),
                                     static_cast<size_t>(length))};
    const bool has_header = header != nullptr && *header != '\0';
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (has_header) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("the ", block.name,
                       " block is encrypted (it has PEM headers); give it unencrypted"));
    }
    blocks.push_back(std::move(block));
  }
  // Running out of blocks ends with "no start line"; anything else is a malformed block.
  const unsigned long e = ERR_peek_last_error();
  const bool at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
  if (e != 0 && !at_end) {
    return absl::InvalidArgumentError(
        absl::StrCat("is not valid PEM (", TakeOpenSslReason(), ")"));
  }
  ERR_clear_error();
  return blocks;
}

absl::StatusOr<X509Ptr> ParseCertificate(const PemBlock& block, size_t index) {
  const auto* p = reinterpret_cast<const unsigned char*>(block.der.data());
  const auto* end = p + block.der.size();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(block.der.size())));
  if (x == nullptr || p != end) {
    std::string reason = TakeOpenSslReason();
    return absl::InvalidArgumentError(absl::StrCat("certificate ", index + 1,
                                                   " is not a valid X.509 certificate (",
                                                   reason, ")"));
  }
  return x;
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(std::string_view pem) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(pem);
  if (!blocks.ok()) return blocks.status();
  std::vector<X509Ptr> certs;
  for (const PemBlock& block : *blocks) {
    if (block.name != "CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("holds a ", block.name,
                       " block; only certificates (-----BEGIN CERTIFICATE-----) belong here"));
    }
    absl::StatusOr<X509Ptr> x = ParseCertificate(block, certs.size());
    if (!x.ok()) return x.status();
    certs.push_back(std::move(*x));
  }
  if (certs.empty())
    return absl::InvalidArgumentError("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  return certs;
}

std::string SubjectOf(X509* x) {
  char buf[256];
  const char* s = X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
  return s != nullptr ? s : "?";
}

}  // namespace

absl::Status CheckCertificateChain(std::string_view pem) {
  return ParseCertificates(pem).status();
}

absl::Status CheckPrivateKeyMatches(std::string_view cert_pem, std::string_view key_pem) {
  absl::StatusOr<std::vector<PemBlock>> blocks = ReadPemBlocks(key_pem);
  if (!blocks.ok()) return blocks.status();
  const PemBlock* key_block = nullptr;
  for (const PemBlock& block : *blocks) {
    if (block.name == "EC PARAMETERS") continue;  // `openssl ecparam -genkey` writes it first
    if (block.name == "ENCRYPTED PRIVATE KEY") {
      return absl::InvalidArgumentError(
          "is an encrypted private key; give it unencrypted (openssl pkey -in KEY)");
    }
    const bool is_key = block.name == "PRIVATE KEY" || block.name == "RSA PRIVATE KEY" ||
                        block.name == "EC PRIVATE KEY";
    if (!is_key) {
      return absl::InvalidArgumentError(absl::StrCat(
          "holds a ", block.name, " block; only the private key (-----BEGIN PRIVATE KEY-----)"));
    }
    if (key_block != nullptr) return absl::InvalidArgumentError("holds more than one private key");
    key_block = &block;
  }
  if (key_block == nullptr)
    return absl::InvalidArgumentError("holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
  const auto* p = reinterpret_cast<const unsigned char*>(key_block->der.data());
  PkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(key_block->der.size())));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("is not a valid private key (", TakeOpenSslReason(), ")"));
  }
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificates(cert_pem);
  if (!certs.ok()) return certs.status();
  const int matches = X509_check_private_key(certs->front().get(), key.get());
  ERR_clear_error();
  if (matches != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("does not belong to the certificate (", SubjectOf(certs->front().get()),
                     "): the first certificate in cert must be the one this key signs for"));
  }
  return absl::OkStatus();
}

absl::Status CheckCaCertificates(std::string_view pem) {
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificates(pem);
  if (!certs.ok()) return certs.status();
  for (size_t i = 0; i < certs->size(); ++i) {
    X509* x = (*certs)[i].get();
    // 1: basicConstraints CA:TRUE (and keyCertSign when keyUsage is present). Version-1 roots and
    // certificates without basicConstraints are refused.
    if (X509_check_ca(x) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", i + 1, " (", SubjectOf(x),
                       ") is not a CA certificate: it lacks basicConstraints CA:TRUE"));
    }
  }
  ERR_clear_error();
  return absl::OkStatus();
}

}  // namespace sluice::controlplane
