#include "controlplane/admin/normalize.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/net.h"
#include "common/strings.h"
#include "controlplane/admin/plugin_schemas.h"

namespace sluice::controlplane {

namespace {

constexpr uint32_t kDefaultTimeoutMs = 60000;
constexpr uint32_t kDefaultRetries = 5;
constexpr uint32_t kDefaultTargetWeight = 100;
constexpr int kDefaultTargetPort = 8000;

void ServiceDefaults(config::v1::Service* s) {
  if (s->protocol().empty()) s->set_protocol("http");
  if (s->port() == 0) s->set_port(DefaultPortFor(s->protocol()));
  if (!s->has_retries()) s->set_retries(kDefaultRetries);
  if (!s->has_connect_timeout()) s->set_connect_timeout(kDefaultTimeoutMs);
  if (!s->has_write_timeout()) s->set_write_timeout(kDefaultTimeoutMs);
  if (!s->has_read_timeout()) s->set_read_timeout(kDefaultTimeoutMs);
  if (!s->has_enabled()) s->set_enabled(true);
  if (!s->has_tls_verify()) s->set_tls_verify(true);
}

constexpr uint32_t kDefaultProviderConnectTimeoutMs = 5000;
constexpr uint32_t kDefaultProviderReadTimeoutMs = 120000;

void ProviderDefaults(config::v1::Provider* p) {
  if (p->base_url().empty()) p->set_base_url(std::string(DefaultProviderBaseUrl(p->kind())));
  while (p->base_url().size() > 1 && p->base_url().back() == '/')
    p->mutable_base_url()->pop_back();
  if (p->kind() == "anthropic" && p->anthropic_version().empty())
    p->set_anthropic_version(std::string(kDefaultAnthropicVersion));
  if (!p->has_connect_timeout()) p->set_connect_timeout(kDefaultProviderConnectTimeoutMs);
  if (!p->has_read_timeout()) p->set_read_timeout(kDefaultProviderReadTimeoutMs);
  p->mutable_auth();  // present even when empty, so every provider has the same JSON shape
}

void TargetDefaults(config::v1::Target* t) {
  if (!t->has_weight()) t->set_weight(kDefaultTargetWeight);
  // "host" alone means port 8000 (Kong's default). Bare IPv6 is left for validation to reject.
  const std::string& target = t->target();
  if (target.empty()) return;
  bool bracketed = target[0] == '[';
  bool has_port = bracketed ? target.find("]:") != std::string::npos
                            : target.find(':') != std::string::npos;
  if (!has_port) t->set_target(absl::StrCat(target, ":", kDefaultTargetPort));
}

}  // namespace

std::string_view DefaultProviderBaseUrl(std::string_view kind) {
  if (kind == "openai") return "https://api.openai.com";
  if (kind == "anthropic") return "https://api.anthropic.com";
  return "";
}

uint32_t DefaultPortFor(std::string_view protocol) {
  return protocol == "https" || protocol == "grpcs" ? 443 : 80;
}

void ExpandServiceUrl(config::v1::Service* s, FieldErrors* errors) {
  if (s->url().empty()) return;
  const std::string url = s->url();
  s->clear_url();
  if (!s->protocol().empty() || !s->host().empty() || s->port() != 0 || !s->path().empty()) {
    errors->emplace("url", "give either url or protocol/host/port/path, not both");
    return;
  }
  constexpr char kShape[] = "must look like http://host:port/path";
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) {
    errors->emplace("url", kShape);
    return;
  }
  if (url.find_first_of("?#") != std::string::npos) {
    errors->emplace("url", "must not have a query string or fragment");
    return;
  }
  std::string protocol = absl::AsciiStrToLower(url.substr(0, scheme_end));
  std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    errors->emplace("url", "must not carry user information (user@host)");
    return;
  }
  auto hp = ParseHostPort(authority, static_cast<int>(DefaultPortFor(protocol)));
  if (!hp.ok()) {
    errors->emplace("url", absl::StrCat(kShape, " (", hp.status().message(), ")"));
    return;
  }
  s->set_protocol(protocol);
  s->set_host(hp->host);
  s->set_port(static_cast<uint32_t>(hp->port));
  s->set_path(std::string(path));
}

void ApplyDefaults(Resource* r) {
  switch (r->resource_case()) {
    case Resource::kService: ServiceDefaults(r->mutable_service()); break;
    case Resource::kRoute: {
      auto* route = r->mutable_route();
      if (!route->has_strip_path()) route->set_strip_path(true);
      if (!route->has_preserve_host()) route->set_preserve_host(false);
      if (!route->has_max_request_body_bytes()) route->set_max_request_body_bytes(8 * 1024 * 1024);
      break;
    }
    case Resource::kUpstream:
      if (r->upstream().algorithm().empty()) r->mutable_upstream()->set_algorithm("round-robin");
      break;
    case Resource::kTarget: TargetDefaults(r->mutable_target()); break;
    case Resource::kPlugin: {
      auto* p = r->mutable_plugin();
      if (!p->has_enabled()) p->set_enabled(true);
      if (const PluginSchema* schema = FindPluginSchema(p->name())) {
        if (schema->apply_defaults != nullptr) schema->apply_defaults(p);
      }
      break;
    }
    case Resource::kCertificate:
      for (std::string& sni : *r->mutable_certificate()->mutable_snis())
        absl::AsciiStrToLower(&sni);
      break;
    case Resource::kProvider: ProviderDefaults(r->mutable_provider()); break;
    case Resource::kModel: r->mutable_model()->mutable_price(); break;  // same shape for all
    default: break;
  }
}

}  // namespace sluice::controlplane
