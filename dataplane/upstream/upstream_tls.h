#pragma once
// UpstreamTlsContext: the client side of upstream TLS for one distinct set of settings (verify or
// not, trusted CAs, client certificate), compiled into an SSL_CTX once, when the snapshot is
// built. The request path only creates SSL objects from it. TLS 1.2 and 1.3 only.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/upstream/upstream_peer.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace sluice {

struct UpstreamTlsOptions {
  // Verify the upstream's chain and that its certificate names the host we connect to.
  bool verify = true;
  // PEM CA certificates to trust; empty: the system CA store.
  std::vector<std::string> ca_pems;
  // Client certificate (leaf first, then its chain) and key, for upstreams that require mTLS.
  std::string client_cert_pem;
  std::string client_key_pem;
};

class UpstreamTlsContext {
 public:
  static absl::StatusOr<std::shared_ptr<const UpstreamTlsContext>> Build(
      const UpstreamTlsOptions& options);
  ~UpstreamTlsContext();
  UpstreamTlsContext(const UpstreamTlsContext&) = delete;
  UpstreamTlsContext& operator=(const UpstreamTlsContext&) = delete;

  // A digest of the options (never 0): equal settings in two snapshots give the same id, so
  // pooled connections survive a config change that does not touch them.
  uint64_t id() const { return id_; }
  bool verify() const { return verify_; }

  // A client SSL in connect state for `host`: SNI (unless `host` is an IP address), the name or
  // address the certificate must match (when verifying), ALPN "h2" or "http/1.1". Null on
  // allocation failure.
  SSL* NewSsl(std::string_view host, UpstreamProtocol protocol) const;

 private:
  UpstreamTlsContext() = default;
  static absl::StatusOr<std::shared_ptr<const UpstreamTlsContext>> BuildNew(
      const UpstreamTlsOptions& options, uint64_t id);
  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
  uint64_t id_ = 0;
};

}  // namespace sluice
