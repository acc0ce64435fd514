#include "dataplane/ai/provider_request_builder.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::ai {

namespace {

bool ConsumePrefixIgnoreCase(std::string_view* s, std::string_view prefix) {
  if (s->size() < prefix.size() ||
      !absl::EqualsIgnoreCase(Sv(s->substr(0, prefix.size())), Sv(prefix))) {
    return false;
  }
  s->remove_prefix(prefix.size());
  return true;
}

std::string_view TrimTrailingSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Headers of the client that must not reach a provider: its credentials for the gateway, and
// vendor headers that name the client's own account or pin an API version we choose instead.
constexpr std::string_view kClientOnlyHeaders[] = {
    "authorization",       "proxy-authorization", "x-api-key",         "api-key",
    "openai-organization", "openai-project",      "anthropic-version",
};

}  // namespace

std::string PercentEncodeSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<ProviderRequestBuilder> ProviderRequestBuilder::Create(ProviderEndpoint endpoint) {
  ProviderRequestBuilder b;
  std::string_view url = endpoint.base_url;
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("provider base_url '", Sv(endpoint.base_url), "': ", Sv(why)));
  };
  if (ConsumePrefixIgnoreCase(&url, "https://")) {
    b.tls_ = true;
  } else if (!ConsumePrefixIgnoreCase(&url, "http://")) {
    return invalid("must start with http:// or https://");
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return invalid("must not have a query or fragment");
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : url.substr(slash);
  if (authority.empty()) return invalid("has no host");
  if (authority.find('@') != std::string_view::npos) return invalid("must not hold credentials");
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("has junk after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return invalid("has no host");
  b.port_ = b.tls_ ? 443 : 80;
  if (!port.empty()) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(Sv(port), &p) || p == 0 || p > 65535) {
      return invalid("has an invalid port");
    }
    b.port_ = static_cast<uint16_t>(p);
  }
  b.host_ = std::string(host);
  b.authority_ = std::string(authority);
  if (!port.empty() && b.port_ == (b.tls_ ? 443 : 80)) {
    b.authority_ = std::string(authority.substr(0, authority.size() - port.size() - 1));
  }

  path = TrimTrailingSlashes(path);
  switch (endpoint.kind) {
    case ProviderKind::kOpenAI:
    case ProviderKind::kOpenAICompatible:
      b.path_prefix_ = path.empty() ? "/v1" : std::string(path);
      break;
    case ProviderKind::kAzureOpenAI:
      b.path_prefix_ = std::string(path);
      // Azure's v1 API (".../openai/v1") takes OpenAI's paths with the model in the body.
      b.azure_deployments_ = !EndsWith(path, "/openai/v1");
      b.api_version_query_ =
          absl::StrCat("?api-version=", PercentEncodeSegment(endpoint.azure_api_version.empty()
                                                                 ? kDefaultAzureApiVersion
                                                                 : endpoint.azure_api_version));
      break;
    case ProviderKind::kAnthropic:
      if (EndsWith(path, "/v1")) path.remove_suffix(3);
      b.path_prefix_ = std::string(path);
      if (endpoint.anthropic_version.empty()) endpoint.anthropic_version = kDefaultAnthropicVersion;
      break;
  }
  b.endpoint_ = std::move(endpoint);
  return b;
}

absl::StatusOr<UpstreamRequest> ProviderRequestBuilder::Build(Operation op,
                                                              std::string_view model) const {
  UpstreamRequest req;
  req.method = op == Operation::kListModels ? "GET" : "POST";
  req.body_format = wire_format();
  if (endpoint_.kind == ProviderKind::kAnthropic) {
    switch (op) {
      case Operation::kChatCompletions:
      case Operation::kMessages:
        req.path = absl::StrCat(path_prefix_, "/v1/messages");
        return req;
      case Operation::kListModels:
        req.path = absl::StrCat(path_prefix_, "/v1/models");
        return req;
      case Operation::kEmbeddings:
        return absl::UnimplementedError("Anthropic providers have no embeddings endpoint");
    }
  }
  std::string_view suffix;
  switch (op) {
    case Operation::kChatCompletions:
    case Operation::kMessages:
      suffix = "/chat/completions";
      break;
    case Operation::kEmbeddings:
      suffix = "/embeddings";
      break;
    case Operation::kListModels:
      suffix = "/models";
      break;
  }
  if (!azure_deployments_) {
    req.path = absl::StrCat(path_prefix_, Sv(suffix));
    return req;
  }
  if (op == Operation::kListModels) {
    req.path = absl::StrCat(path_prefix_, "/openai/models", api_version_query_);
    return req;
  }
  if (model.empty()) return absl::InvalidArgumentError("Azure OpenAI needs a deployment name");
  req.path = absl::StrCat(path_prefix_, "/openai/deployments/", PercentEncodeSegment(model),
                          Sv(suffix), api_version_query_);
  return req;
}

void ProviderRequestBuilder::RewriteHeaders(http::HeaderMap* headers) const {
  for (std::string_view name : kClientOnlyHeaders) headers->Remove(name);
  if (endpoint_.kind != ProviderKind::kAnthropic) {
    headers->Remove("anthropic-beta");
    headers->Remove("anthropic-dangerous-direct-browser-access");
  }
  headers->Set("host", authority_);
  headers->Set("accept-encoding", "identity");
  switch (endpoint_.kind) {
    case ProviderKind::kOpenAI:
    case ProviderKind::kOpenAICompatible:
      // A local server (Ollama, vLLM without --api-key) may need no key at all.
      if (!endpoint_.secret.empty()) {
        headers->Set("authorization", absl::StrCat("Bearer ", endpoint_.secret));
      }
      break;
    case ProviderKind::kAzureOpenAI:
      headers->Set("api-key", endpoint_.secret);
      break;
    case ProviderKind::kAnthropic:
      headers->Set("x-api-key", endpoint_.secret);
      headers->Set("anthropic-version", endpoint_.anthropic_version);
      break;
  }
  for (const auto& [name, value] : endpoint_.header_overrides) headers->Set(name, value);
}

}  // namespace sluice::ai
