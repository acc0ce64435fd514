#pragma once
// ServerCertificates: the certificates a data plane presents, compiled once per snapshot into one
// SSL_CTX each, looked up by the SNI a client sends. Immutable after Build(), shared by every
// worker; a handshake keeps its SSL_CTX alive by reference count, so a rotation (a new snapshot)
// never disturbs connections that are already up.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace sluice::tls {

struct CertificateSource {
  std::string id;
  std::string cert_pem;  // leaf first, then the chain
  std::string key_pem;
  // Exact names, "*.example.com", or "*": the default certificate, presented when no other name
  // matches (or the client sent none).
  std::vector<std::string> snis;
};

class ServerCertificates {
 public:
  static absl::StatusOr<std::shared_ptr<const ServerCertificates>> Build(
      const std::vector<CertificateSource>& sources);
  ~ServerCertificates();
  ServerCertificates(const ServerCertificates&) = delete;
  ServerCertificates& operator=(const ServerCertificates&) = delete;

  // The context for a server name (exact match first, then a one-label wildcard), else the
  // default; null when there is neither.
  SSL_CTX* Find(std::string_view server_name) const;
  bool empty() const { return contexts_.empty(); }

 private:
  ServerCertificates() = default;
  std::vector<SSL_CTX*> contexts_;
  absl::flat_hash_map<std::string, SSL_CTX*> exact_;
  // "example.com" for "*.example.com".
  absl::flat_hash_map<std::string, SSL_CTX*> wildcard_;
  SSL_CTX* default_ = nullptr;
};

// Settings every server context shares: TLS 1.2 and 1.3 only, ALPN h2 then http/1.1, the
// server's cipher preference. Applied to the front context and to each certificate's.
void ConfigureServerContext(SSL_CTX* ctx);

// The context a listener creates its SSL objects from: it holds no certificate itself; its SNI
// callback switches each handshake to the certificate's context, found through
// `find` (called on the handshake's thread with the SSL's app data).
using CertificateLookup = SSL_CTX* (*)(void* app_data, std::string_view server_name);
SSL_CTX* NewFrontContext(CertificateLookup find);

}  // namespace sluice::tls
