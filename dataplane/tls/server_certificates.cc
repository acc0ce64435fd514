#include "dataplane/tls/server_certificates.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::tls {

namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static constexpr unsigned char kOurs[] = "\x02h2\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kOurs, sizeof kOurs - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    // No protocol in common: carry on without ALPN (HTTP/1.1), as clients without ALPN do.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

struct FrontState {
  CertificateLookup find;
};

int OnServerName(SSL* ssl, int* alert, void* arg) {
  auto* front = static_cast<FrontState*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX* ctx = front->find(SSL_get_app_data(ssl), name == nullptr ? "" : name);
  if (ctx == nullptr) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

absl::StatusOr<SSL_CTX*> CompileOne(const CertificateSource& src) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError(OpenSslError());
  ConfigureServerContext(ctx);
  auto fail = [&](std::string_view what) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(
        absl::StrCat("certificate ", src.id, ": ", Sv(what), ": ", OpenSslError()));
  };
  BIO* bio = BIO_new_mem_buf(src.cert_pem.data(), static_cast<int>(src.cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return fail("cannot read the certificate");
  }
  bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  while (ok) {
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  ERR_clear_error();  // the end of the PEM chain reads as an error
  BIO_free(bio);
  if (!ok) return fail("cannot use the certificate chain");
  bio = BIO_new_mem_buf(src.key_pem.data(), static_cast<int>(src.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return fail("cannot read the private key");
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!ok || SSL_CTX_check_private_key(ctx) != 1) {
    return fail("the private key does not match the certificate");
  }
  return ctx;
}

}  // namespace

void ConfigureServerContext(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_COMPRESSION);
  // Forward-secret AEAD suites only (Mozilla's "intermediate" profile), AES-128 first: as safe
  // as AES-256 and cheaper per byte.
  SSL_CTX_set_ciphersuites(ctx,
                           "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                           "TLS_CHACHA20_POLY1305_SHA256");
  SSL_CTX_set_cipher_list(ctx,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_alpn_select_cb(ctx, &SelectAlpn, nullptr);
}

SSL_CTX* NewFrontContext(CertificateLookup find) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return nullptr;
  ConfigureServerContext(ctx);
  // Lives as long as the process (one per listener).
  auto* state = new FrontState{find};
  SSL_CTX_set_tlsext_servername_callback(ctx, &OnServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx, state);
  return ctx;
}

absl::StatusOr<std::shared_ptr<const ServerCertificates>> ServerCertificates::Build(
    const std::vector<CertificateSource>& sources) {
  std::shared_ptr<ServerCertificates> out(new ServerCertificates());
  for (const CertificateSource& src : sources) {
    auto ctx = CompileOne(src);
    if (!ctx.ok()) return ctx.status();
    out->contexts_.push_back(*ctx);
    for (const std::string& sni : src.snis) {
      std::string name = absl::AsciiStrToLower(sni);
      if (name == "*") {
        if (out->default_ == nullptr) out->default_ = *ctx;
      } else if (name.size() > 2 && name[0] == '*' && name[1] == '.') {
        out->wildcard_.emplace(name.substr(2), *ctx);
      } else {
        out->exact_.emplace(std::move(name), *ctx);
      }
    }
  }
  return std::shared_ptr<const ServerCertificates>(std::move(out));
}

ServerCertificates::~ServerCertificates() {
  for (SSL_CTX* c : contexts_) SSL_CTX_free(c);
}

SSL_CTX* ServerCertificates::Find(std::string_view server_name) const {
  if (!server_name.empty()) {
    std::string name(server_name);
    for (char& c : name) c = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (auto it = exact_.find(name); it != exact_.end()) return it->second;
    size_t dot = name.find('.');
    if (dot != std::string::npos && dot > 0) {
      if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return it->second;
    }
  }
  return default_;
}

}  // namespace sluice::tls
