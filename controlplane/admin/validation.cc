#include "controlplane/admin/validation.h"

#include <arpa/inet.h>

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "common/net.h"
#include "common/strings.h"
#include "controlplane/admin/json_codec.h"
#include "controlplane/admin/plugin_schemas.h"
#include "controlplane/admin/tls_material.h"
#include "re2/re2.h"

namespace sluice::controlplane {

namespace {

namespace cfg = config::v1;

constexpr uint32_t kMaxTimeoutMs = 2147483646;
constexpr uint32_t kMaxRetries = 32767;
constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxPemBytes = 64 * 1024;
constexpr size_t kMaxSecretBytes = 8 * 1024;
constexpr uint32_t kMaxSplitWeight = 65535;

void Add(FieldErrors* errors, std::string key, std::string message) {
  errors->emplace(std::move(key), std::move(message));
}

std::string Indexed(std::string_view field, int i) { return absl::StrCat(Sv(field), "[", i, "]"); }

bool HasSpaceOrControl(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return true;
  return false;
}

bool IsIpv6(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

bool IsUpperToken(std::string_view s) {
  if (s.empty() || !absl::ascii_isupper(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!(absl::ascii_isupper(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return false;
  }
  return true;
}

void CheckId(const std::string& id, FieldErrors* errors) {
  if (!id.empty() && !LooksLikeUuid(id)) Add(errors, "id", "must be a UUID");
}

void CheckName(const std::string& name, FieldErrors* errors) {
  if (name.empty()) return;
  bool ok = name.size() <= kMaxNameLength;
  for (char c : name) ok = ok && (IsTokenChar(c) || c == '.' || c == '~');
  if (!ok) {
    Add(errors, "name",
        "may contain only letters, digits, '.', '-', '_' and '~' (at most 128 characters)");
  }
}

void CheckTags(const google::protobuf::RepeatedPtrField<std::string>& tags,
               FieldErrors* errors) {
  for (int i = 0; i < tags.size(); ++i) {
    const std::string& t = tags[i];
    if (t.empty() || t.size() > kMaxNameLength || HasSpaceOrControl(t) ||
        t.find(',') != std::string::npos || t.find('/') != std::string::npos) {
      Add(errors, Indexed("tags", i),
          "must be 1 to 128 printable characters without spaces, ',' or '/'");
    }
  }
}

void CheckRef(const cfg::Ref& ref, std::string_view field, FieldErrors* errors) {
  if (ref.id().empty()) Add(errors, std::string(field), "required");
}

void CheckTimeout(bool has, uint32_t value, std::string_view field, FieldErrors* errors) {
  if (has && (value < 1 || value > kMaxTimeoutMs))
    Add(errors, std::string(field), "must be between 1 and 2147483646 (milliseconds)");
}

// A plain path: starts with '/', no spaces, control characters, query or fragment.
bool IsPlainPath(std::string_view p) {
  return !p.empty() && p[0] == '/' && !HasSpaceOrControl(p) &&
         p.find_first_of("?#") == std::string_view::npos;
}

void ValidateService(const cfg::Service& s, FieldErrors* errors) {
  CheckId(s.id(), errors);
  CheckName(s.name(), errors);
  static const char* const kProtocols[] = {"http", "https", "grpc", "grpcs", "http2"};
  bool known = false;
  for (const char* p : kProtocols) known = known || s.protocol() == p;
  if (!known) Add(errors, "protocol", "must be one of http, https, grpc, grpcs, http2");
  if (s.host().empty()) {
    Add(errors, "host", "required (or give url)");
  } else if (!IsValidHost(s.host())) {
    Add(errors, "host", "must be a host name, an IP address or an upstream name");
  }
  if (s.port() < 1 || s.port() > 65535) Add(errors, "port", "must be between 1 and 65535");
  if (!s.path().empty() && !IsPlainPath(s.path()))
    Add(errors, "path", "must start with / and contain no spaces, '?' or '#'");
  if (s.has_retries() && s.retries() > kMaxRetries)
    Add(errors, "retries", "must be between 0 and 32767");
  CheckTimeout(s.has_connect_timeout(), s.connect_timeout(), "connect_timeout", errors);
  CheckTimeout(s.has_write_timeout(), s.write_timeout(), "write_timeout", errors);
  CheckTimeout(s.has_read_timeout(), s.read_timeout(), "read_timeout", errors);
  std::set<std::string> cas;
  for (int i = 0; i < s.ca_certificates_size(); ++i) {
    if (!cas.insert(s.ca_certificates(i)).second)
      Add(errors, Indexed("ca_certificates", i), "lists the same CA certificate twice");
  }
  CheckTags(s.tags(), errors);
}

// "api.example.com", "*.example.com", "api.example.*", each optionally with ":port".
bool IsRouteHost(std::string_view h) {
  size_t colon = h.rfind(':');
  if (colon != std::string_view::npos && h.find(':') == colon) {
    int port = 0;
    std::string_view digits = h.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return false;
    for (char c : digits) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return false;
    h = h.substr(0, colon);
  }
  if (h.size() > 2 && h.substr(0, 2) == "*.") return IsValidHostName(h.substr(2));
  if (h.size() > 2 && h.substr(h.size() - 2) == ".*") return IsValidHostName(h.substr(0, h.size() - 2));
  return IsValidHost(h);
}

void ValidatePath(const std::string& p, const std::string& key, FieldErrors* errors) {
  if (!p.empty() && p[0] == '~') {
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(p.substr(1), options);
    if (p.size() == 1) {
      Add(errors, key, "an empty regex matches everything; use \"/\" instead");
    } else if (!re.ok()) {
      Add(errors, key, absl::StrCat("invalid regex: ", re.error()));
    }
    return;
  }
  std::string_view plain = p;
  if (!plain.empty() && plain[0] == '=') plain.remove_prefix(1);
  if (plain.empty() || plain[0] != '/') {
    Add(errors, key, "must start with / (prefix), =/ (exact) or ~ (regex)");
  } else if (!IsPlainPath(plain)) {
    Add(errors, key, "must not contain spaces, control characters, '?' or '#'");
  }
}

void ValidateRoute(const cfg::Route& r, FieldErrors* errors) {
  CheckId(r.id(), errors);
  CheckName(r.name(), errors);
  if (r.paths().empty() && r.hosts().empty() && r.methods().empty() && r.headers().empty())
    Add(errors, "paths", "a route needs at least one of paths, hosts, methods or headers");
  for (int i = 0; i < r.paths_size(); ++i) ValidatePath(r.paths(i), Indexed("paths", i), errors);
  for (int i = 0; i < r.hosts_size(); ++i) {
    if (!IsRouteHost(r.hosts(i))) {
      Add(errors, Indexed("hosts", i),
          "must be a host name, optionally with one '*' label at its start or end and a :port");
    }
  }
  for (int i = 0; i < r.methods_size(); ++i) {
    if (!IsUpperToken(r.methods(i)))
      Add(errors, Indexed("methods", i), "must be an upper-case HTTP method such as GET");
  }
  for (int i = 0; i < r.protocols_size(); ++i) {
    if (r.protocols(i) != "http" && r.protocols(i) != "https")
      Add(errors, Indexed("protocols", i), "must be http or https");
  }
  for (const auto& [name, values] : r.headers()) {
    const std::string key = absl::StrCat("headers.", name);
    bool token = !name.empty();
    for (char c : name) token = token && IsTokenChar(c);
    if (!token) {
      Add(errors, key, "header names contain only letters, digits, '-' and '_'");
    } else if (absl::AsciiStrToLower(name) == "host") {
      Add(errors, key, "match the Host header with hosts instead");
    } else if (values.values().empty()) {
      Add(errors, key, "needs at least one accepted value");
    }
    for (int i = 0; i < values.values_size(); ++i) {
      const auto& v = values.values(i);
      if (v.kind_case() != google::protobuf::Value::kStringValue || v.string_value().empty())
        Add(errors, Indexed(key, i), "must be a non-empty string");
    }
  }
  CheckRef(r.service(), "service", errors);
  CheckTags(r.tags(), errors);
}

void ValidateUpstream(const cfg::Upstream& u, FieldErrors* errors) {
  CheckId(u.id(), errors);
  if (u.name().empty()) {
    Add(errors, "name", "required: the host name services use to address this upstream");
  } else if (!IsValidHostName(u.name())) {
    Add(errors, "name", "must be a host name (services address the upstream by it)");
  }
  if (u.algorithm() != "round-robin") Add(errors, "algorithm", "must be round-robin");
  CheckTags(u.tags(), errors);
}

void ValidateTarget(const cfg::Target& t, FieldErrors* errors) {
  CheckId(t.id(), errors);
  CheckRef(t.upstream(), "upstream", errors);
  const std::string& target = t.target();
  auto hp = ParseHostPort(target);
  bool bare_v6 = !target.empty() && target[0] != '[' &&
                 target.find(':') != target.rfind(':');
  if (target.empty()) {
    Add(errors, "target", "required: host:port");
  } else if (bare_v6 || !hp.ok() || !IsValidHost(hp->host)) {
    Add(errors, "target", "must be host:port (an IPv6 address in brackets: [::1]:8000)");
  }
  if (t.has_weight() && t.weight() > 65535) Add(errors, "weight", "must be between 0 and 65535");
  CheckTags(t.tags(), errors);
}

void ValidateConsumer(const cfg::Consumer& c, FieldErrors* errors) {
  CheckId(c.id(), errors);
  if (c.username().empty() && c.custom_id().empty())
    Add(errors, "username", "username or custom_id is required");
  if (HasSpaceOrControl(c.username()) || c.username().size() > 256)
    Add(errors, "username", "must be at most 256 printable characters without spaces");
  if (HasSpaceOrControl(c.custom_id()) || c.custom_id().size() > 256)
    Add(errors, "custom_id", "must be at most 256 printable characters without spaces");
  CheckTags(c.tags(), errors);
}

void ValidateCredential(const cfg::KeyAuthCredential& k, FieldErrors* errors) {
  CheckId(k.id(), errors);
  CheckRef(k.consumer(), "consumer", errors);
  if (!k.key().empty() && (k.key().size() > 1024 || HasSpaceOrControl(k.key())))
    Add(errors, "key", "must be at most 1024 printable characters without spaces");
  bool hex = k.key_hash().size() == 64;
  for (char c : k.key_hash()) hex = hex && (absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                                            (c >= 'a' && c <= 'f'));
  if (!hex) Add(errors, "key_hash", "must be the lower-case hex SHA-256 of the key");
  CheckTags(k.tags(), errors);
}

void ValidatePlugin(const cfg::Plugin& p, FieldErrors* errors) {
  CheckId(p.id(), errors);
  const PluginSchema* schema = FindPluginSchema(p.name());
  if (p.name().empty()) {
    Add(errors, "name", absl::StrCat("required: one of ", KnownPluginNames()));
  } else if (schema == nullptr) {
    Add(errors, "name", absl::StrCat("unknown plugin '", p.name(), "'; known plugins: ",
                                     KnownPluginNames()));
  } else {
    if (FindPluginSchemaByConfig(p) != schema) Add(errors, "config", "required");
    else if (schema->validate != nullptr) schema->validate(p, errors);
  }
  CheckTags(p.tags(), errors);
}

// A name a certificate is served for: a host name, or "*." and a host name, or "*" alone (the
// default certificate, served when no other name matches or the client sends no SNI). Never an
// IP address, which clients do not send as SNI (RFC 6066 section 3).
bool IsSni(std::string_view sni) {
  if (sni == "*") return true;
  if (sni.size() > 2 && sni.substr(0, 2) == "*.") sni.remove_prefix(2);
  if (sni.empty() || sni.back() == '.' || sni.find('*') != std::string_view::npos) return false;
  in_addr v4;
  if (inet_pton(AF_INET, std::string(sni).c_str(), &v4) == 1) return false;
  for (char c : sni)
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) return false;
  return IsValidHostName(sni);
}

void CheckPem(const std::string& pem, std::string_view field, std::string_view what,
              FieldErrors* errors, absl::Status (*check)(std::string_view)) {
  const std::string key(field);
  if (pem.empty()) {
    Add(errors, key, absl::StrCat("required: ", Sv(what)));
  } else if (pem.size() > kMaxPemBytes) {
    Add(errors, key, "must be at most 65536 bytes");
  } else if (absl::Status st = check(pem); !st.ok()) {
    Add(errors, key, std::string(st.message()));
  }
}

void ValidateCertificate(const cfg::Certificate& c, FieldErrors* errors) {
  CheckId(c.id(), errors);
  CheckName(c.name(), errors);
  CheckPem(c.cert(), "cert", "the PEM certificate, leaf first, then its chain", errors,
           &CheckCertificateChain);
  if (c.key().empty()) {
    Add(errors, "key", "required: the PEM private key of the certificate");
  } else if (c.key() == kRedacted) {
    Add(errors, "key", "\"<redacted>\" keeps a stored key, and there is none; give the PEM key");
  } else if (c.key().size() > kMaxPemBytes) {
    Add(errors, "key", "must be at most 65536 bytes");
  } else if (errors->count("cert") == 0) {
    if (absl::Status st = CheckPrivateKeyMatches(c.cert(), c.key()); !st.ok())
      Add(errors, "key", std::string(st.message()));
  }
  std::set<std::string> seen;
  for (int i = 0; i < c.snis_size(); ++i) {
    if (!IsSni(c.snis(i))) {
      Add(errors, Indexed("snis", i),
          "must be a host name, *. and a host name, or * (the default certificate), in lower "
          "case (not an IP address)");
    } else if (!seen.insert(c.snis(i)).second) {
      Add(errors, Indexed("snis", i), "listed twice");
    }
  }
  CheckTags(c.tags(), errors);
}

void ValidateCaCertificate(const cfg::CaCertificate& c, FieldErrors* errors) {
  CheckId(c.id(), errors);
  CheckName(c.name(), errors);
  CheckPem(c.cert(), "cert", "one or more PEM CA certificates", errors, &CheckCaCertificates);
  CheckTags(c.tags(), errors);
}

// http(s)://host[:port][/path], nothing else.
bool IsBaseUrl(std::string_view url) {
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
  } else {
    return false;
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) return false;
  size_t slash = rest.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  auto hp = ParseHostPort(rest.substr(0, slash), 443);
  return hp.ok() && IsValidHost(hp->host) && (path.empty() || IsPlainPath(path));
}

// "2024-06-01", optionally with a suffix such as "-preview".
bool IsDatedVersion(std::string_view v) {
  if (v.size() < 10 || v.size() > 64 || HasSpaceOrControl(v)) return false;
  for (size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? v[i] != '-' : !absl::ascii_isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return v.size() == 10 || v[10] == '-';
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

void ValidateProvider(const cfg::Provider& p, FieldErrors* errors) {
  CheckId(p.id(), errors);
  if (p.name().empty()) Add(errors, "name", "required: models reference the provider by it");
  CheckName(p.name(), errors);
  static const char* const kKinds[] = {"openai", "azure-openai", "anthropic", "openai-compatible"};
  bool known = false;
  for (const char* k : kKinds) known = known || p.kind() == k;
  if (!known)
    Add(errors, "kind", "must be one of openai, azure-openai, anthropic, openai-compatible");
  if (p.base_url().empty()) {
    if (known) {
      Add(errors, "base_url", absl::StrCat("required for kind ", p.kind(),
                                           ": the provider's URL, https://host[/path]"));
    }
  } else if (!IsBaseUrl(p.base_url())) {
    Add(errors, "base_url", "must be http(s)://host[:port][/path], without query or fragment");
  }
  const std::string& secret = p.auth().secret();
  if (secret == kRedacted) {
    Add(errors, "auth.secret",
        "\"<redacted>\" keeps a stored secret, and there is none; give the provider's key");
  } else if (secret.size() > kMaxSecretBytes || HasControl(secret)) {
    Add(errors, "auth.secret", "must be at most 8192 characters, without control characters");
  }
  const std::string& header = p.auth().header();
  bool token = true;
  for (char c : header) token = token && IsTokenChar(c);
  const std::string lower = absl::AsciiStrToLower(header);
  if (!token) {
    Add(errors, "auth.header", "must be a header name: letters, digits, '-' and '_'");
  } else if (lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
             lower == "connection" || lower == "te" || lower == "upgrade") {
    Add(errors, "auth.header", "cannot carry the secret in a header that frames the request");
  }
  if (p.kind() == "azure-openai") {
    if (p.azure_api_version().empty()) {
      Add(errors, "azure_api_version", "required for azure-openai, e.g. \"2024-06-01\"");
    } else if (!IsDatedVersion(p.azure_api_version())) {
      Add(errors, "azure_api_version", "must look like 2024-06-01 (or 2024-08-01-preview)");
    }
  } else if (!p.azure_api_version().empty()) {
    Add(errors, "azure_api_version", "only for kind azure-openai");
  }
  if (p.kind() == "anthropic") {
    if (!IsDatedVersion(p.anthropic_version()))
      Add(errors, "anthropic_version", "must look like 2023-06-01");
  } else if (!p.anthropic_version().empty()) {
    Add(errors, "anthropic_version", "only for kind anthropic");
  }
  CheckTimeout(p.has_connect_timeout(), p.connect_timeout(), "connect_timeout", errors);
  CheckTimeout(p.has_read_timeout(), p.read_timeout(), "read_timeout", errors);
  CheckTags(p.tags(), errors);
}

// Clients send it as `model`: besides the name characters, ':', '/', '@' and '+' appear in
// common model names ("llama3:8b", "meta-llama/Llama-3-8B").
bool IsModelName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    if (!(IsTokenChar(c) || c == '.' || c == '~' || c == ':' || c == '/' || c == '@' || c == '+'))
      return false;
  }
  return true;
}

void CheckPrice(double x, std::string_view field, FieldErrors* errors) {
  if (!(x >= 0) || !std::isfinite(x))
    Add(errors, std::string(field), "must be a number of dollars per million tokens, 0 or more");
}

void ValidateModel(const cfg::Model& m, FieldErrors* errors) {
  CheckId(m.id(), errors);
  if (m.name().empty()) {
    Add(errors, "name", "required: the model name clients send");
  } else if (!IsModelName(m.name())) {
    Add(errors, "name",
        "may contain only letters, digits and . - _ ~ : / @ + (at most 128 characters)");
  }
  CheckPrice(m.price().input_per_mtok(), "price.input_per_mtok", errors);
  CheckPrice(m.price().output_per_mtok(), "price.output_per_mtok", errors);
  if (m.split_size() > 0) {
    constexpr char kEither[] = "give either provider and model, or split";
    if (!m.provider().id().empty()) Add(errors, "provider", kEither);
    if (!m.model().empty()) Add(errors, "model", kEither);
    if (m.price().input_per_mtok() != 0 || m.price().output_per_mtok() != 0)
      Add(errors, "price", "a split model is priced by the model it picks");
    if (m.context_window() != 0)
      Add(errors, "context_window", "a split model has the context window of the model it picks");
    std::set<std::string> seen;
    uint64_t total = 0;
    for (int i = 0; i < m.split_size(); ++i) {
      const auto& e = m.split(i);
      const std::string key = Indexed("split", i);
      if (e.model().id().empty()) {
        Add(errors, key + ".model", "required: {\"name\": ...} or {\"id\": ...}");
      } else if (e.model().id() == m.id()) {
        Add(errors, key + ".model", "a model cannot split to itself");
      } else if (!seen.insert(e.model().id()).second) {
        Add(errors, key + ".model", "listed twice");
      }
      if (e.weight() > kMaxSplitWeight) Add(errors, key + ".weight", "must be between 0 and 65535");
      total += e.weight();
    }
    if (total == 0) Add(errors, "split", "needs an entry with a weight above 0");
  } else {
    if (m.provider().id().empty())
      Add(errors, "provider", "required: the provider serving this model (or give split)");
    if (m.model().empty()) {
      Add(errors, "model",
          "required: the provider's model name (for azure-openai the deployment name)");
    } else if (m.model().size() > 256 || HasSpaceOrControl(m.model())) {
      Add(errors, "model", "must be at most 256 printable characters without spaces");
    }
  }
  std::set<std::string> seen;
  for (int i = 0; i < m.fallbacks_size(); ++i) {
    const std::string& id = m.fallbacks(i).id();
    if (id.empty()) {
      Add(errors, Indexed("fallbacks", i), "required: {\"name\": ...} or {\"id\": ...}");
    } else if (id == m.id()) {
      Add(errors, Indexed("fallbacks", i), "a model cannot fall back to itself");
    } else if (!seen.insert(id).second) {
      Add(errors, Indexed("fallbacks", i), "listed twice");
    }
  }
  CheckTags(m.tags(), errors);
}

}  // namespace

bool IsValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);  // a fully qualified name
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    size_t end = dot == std::string_view::npos ? host.size() : dot;
    std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!IsTokenChar(c)) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool IsValidHost(std::string_view host) { return IsValidHostName(host) || IsIpv6(host); }

void ValidateResource(const Resource& r, FieldErrors* errors) {
  switch (r.resource_case()) {
    case Resource::kService: ValidateService(r.service(), errors); break;
    case Resource::kRoute: ValidateRoute(r.route(), errors); break;
    case Resource::kUpstream: ValidateUpstream(r.upstream(), errors); break;
    case Resource::kTarget: ValidateTarget(r.target(), errors); break;
    case Resource::kConsumer: ValidateConsumer(r.consumer(), errors); break;
    case Resource::kKeyAuthCredential: ValidateCredential(r.key_auth_credential(), errors); break;
    case Resource::kPlugin: ValidatePlugin(r.plugin(), errors); break;
    case Resource::kCertificate: ValidateCertificate(r.certificate(), errors); break;
    case Resource::kCaCertificate: ValidateCaCertificate(r.ca_certificate(), errors); break;
    case Resource::kProvider: ValidateProvider(r.provider(), errors); break;
    case Resource::kModel: ValidateModel(r.model(), errors); break;
    case Resource::RESOURCE_NOT_SET: Add(errors, "@body", "empty resource"); break;
  }
}

}  // namespace sluice::controlplane
