#include "dataplane/upstream/upstream_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/hash.h"

namespace sluice {

namespace {

std::string LastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

absl::Status LoadCas(SSL_CTX* ctx, const std::vector<std::string>& pems) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const std::string& pem : pems) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    int count = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);  // a duplicate is not an error worth refusing
      X509_free(cert);
      ++count;
    }
    ERR_clear_error();  // the end of the PEM data reads as an error
    BIO_free(bio);
    if (count == 0) return absl::InvalidArgumentError("a CA certificate holds no PEM certificate");
  }
  return absl::OkStatus();
}

absl::Status LoadClientCertificate(SSL_CTX* ctx, const UpstreamTlsOptions& o) {
  BIO* bio = BIO_new_mem_buf(o.client_cert_pem.data(), static_cast<int>(o.client_cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate: not a PEM certificate (", LastSslError(), ")"));
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
  ERR_clear_error();
  BIO_free(bio);
  if (!ok) return absl::InvalidArgumentError("client certificate: unusable chain");
  bio = BIO_new_mem_buf(o.client_key_pem.data(), static_cast<int>(o.client_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate: not a PEM private key (", LastSslError(), ")"));
  }
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client certificate: the key does not match the certificate (", LastSslError(), ")"));
  }
  return absl::OkStatus();
}

uint64_t Digest(const UpstreamTlsOptions& o) {
  std::string material = o.verify ? "v1" : "v0";
  for (const std::string& pem : o.ca_pems) absl::StrAppend(&material, "|ca:", pem.size(), ":", pem);
  absl::StrAppend(&material, "|cert:", o.client_cert_pem.size(), ":", o.client_cert_pem,
                  "|key:", o.client_key_pem);
  std::string raw = Sha256Raw(material);
  uint64_t id = 0;
  memcpy(&id, raw.data(), sizeof id);
  return id == 0 ? 1 : id;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const UpstreamTlsContext>> UpstreamTlsContext::Build(
    const UpstreamTlsOptions& options) {
  // A config change that leaves the TLS settings alone reuses the context still in use (loading
  // the system CA store is not free).
  static absl::Mutex mu;
  static auto* built = new absl::flat_hash_map<uint64_t, std::weak_ptr<const UpstreamTlsContext>>();
  uint64_t id = Digest(options);
  absl::MutexLock lock(&mu);
  if (auto it = built->find(id); it != built->end()) {
    if (auto live = it->second.lock()) return live;
  }
  absl::erase_if(*built, [](const auto& entry) { return entry.second.expired(); });
  auto c = BuildNew(options, id);
  if (c.ok()) (*built)[id] = *c;
  return c;
}

absl::StatusOr<std::shared_ptr<const UpstreamTlsContext>> UpstreamTlsContext::BuildNew(
    const UpstreamTlsOptions& options, uint64_t id) {
  std::shared_ptr<UpstreamTlsContext> c(new UpstreamTlsContext());
  c->verify_ = options.verify;
  c->id_ = id;
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ctx_ == nullptr) return absl::InternalError("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(c->ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (options.verify) {
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
    if (options.ca_pems.empty()) {
      if (SSL_CTX_set_default_verify_paths(c->ctx_) != 1) {
        return absl::InternalError(
            absl::StrCat("cannot load the system CA store: ", LastSslError()));
      }
    } else {
      absl::Status s = LoadCas(c->ctx_, options.ca_pems);
      if (!s.ok()) return s;
    }
  } else {
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (!options.client_cert_pem.empty()) {
    absl::Status s = LoadClientCertificate(c->ctx_, options);
    if (!s.ok()) return s;
  }
  return std::shared_ptr<const UpstreamTlsContext>(std::move(c));
}

UpstreamTlsContext::~UpstreamTlsContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

SSL* UpstreamTlsContext::NewSsl(std::string_view host, UpstreamProtocol protocol) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_connect_state(ssl);
  std::string name(host);
  bool ip = IsIpAddress(name);
  // RFC 6066 §3: SNI carries host names only, never an address literal.
  if (!ip) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, name.data(), name.size());
    }
  }
  static constexpr unsigned char kH2[] = {2, 'h', '2'};
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (protocol == UpstreamProtocol::kHttp2) {
    SSL_set_alpn_protos(ssl, kH2, sizeof kH2);
  } else {
    SSL_set_alpn_protos(ssl, kHttp11, sizeof kHttp11);
  }
  return ssl;
}

}  // namespace sluice
