#pragma once
// Where an upstream connection goes and how it speaks: the pool keys its connections by this.
#include <cstdint>
#include <string_view>

namespace sluice {

class UpstreamTlsContext;

enum class UpstreamProtocol : uint8_t {
  kHttp1,  // HTTP/1.1, one request at a time per connection, keep-alive pooling
  kHttp2,  // HTTP/2 (prior knowledge in cleartext, ALPN "h2" over TLS), multiplexed
};

struct UpstreamPeer {
  std::string_view host;
  int port = 0;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  // Null for cleartext. Owned by the snapshot; a connection keeps only the SSL it made from it.
  const UpstreamTlsContext* tls = nullptr;
};

}  // namespace sluice
