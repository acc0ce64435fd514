#pragma once
// Turns "this client operation, for this provider" into the upstream request line and headers:
// the provider's path scheme (Azure deployments, an OpenAI-compatible server's API root), its
// authentication, and none of the client's own credentials. Built once per provider when the
// snapshot is compiled; Build and RewriteHeaders run per request.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dataplane/ai/provider_endpoint.h"
#include "dataplane/http/headers.h"

namespace sluice::ai {

// What the client asked for.
enum class Operation {
  kChatCompletions,  // POST /v1/chat/completions
  kMessages,         // POST /v1/messages
  kEmbeddings,       // POST /v1/embeddings
  kListModels,       // GET /v1/models
};

struct UpstreamRequest {
  std::string_view method;  // "POST" or "GET"
  std::string path;         // path and query
  // The format the provider wants the body in (chat and messages are served by the provider's
  // own chat endpoint, so the body may need translating).
  WireFormat body_format = WireFormat::kOpenAI;
};

class ProviderRequestBuilder {
 public:
  // Fails if base_url is not an http(s) URL with a host.
  static absl::StatusOr<ProviderRequestBuilder> Create(ProviderEndpoint endpoint);

  // `model` is the provider's model name (for Azure, the deployment). Fails for an operation the
  // provider has no endpoint for (embeddings on Anthropic).
  absl::StatusOr<UpstreamRequest> Build(Operation op, std::string_view model) const;

  // Makes the client's headers fit for the provider: drops the client's credentials
  // (Authorization, x-api-key, api-key) and vendor headers that would act on the client's own
  // account, sets Host, the provider's authentication, `Accept-Encoding: identity` (the AI path
  // reads the body for usage) and the configured overrides. Content-Length is the caller's.
  void RewriteHeaders(http::HeaderMap* headers) const;

  ProviderKind kind() const { return endpoint_.kind; }
  WireFormat wire_format() const { return ProviderWireFormat(endpoint_.kind); }
  bool tls() const { return tls_; }
  const std::string& host() const { return host_; }  // for DNS and SNI (IPv6 without brackets)
  uint16_t port() const { return port_; }
  const std::string& authority() const { return authority_; }  // the Host header

 private:
  ProviderRequestBuilder() = default;

  ProviderEndpoint endpoint_;
  bool tls_ = false;
  std::string host_;
  uint16_t port_ = 0;
  std::string authority_;
  std::string path_prefix_;         // base path, no trailing '/'
  bool azure_deployments_ = false;  // Azure's /openai/deployments/{d}/... scheme
  std::string api_version_query_;   // "?api-version=..." for Azure
};

// Percent-encodes everything but RFC 3986 unreserved characters (a path segment from config).
std::string PercentEncodeSegment(std::string_view s);

}  // namespace sluice::ai
