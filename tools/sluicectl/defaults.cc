#include "tools/sluicectl/defaults.h"

#include <initializer_list>
#include <string>

#include "absl/strings/ascii.h"
#include "common/net.h"

namespace sluice::sluicectl {

namespace {

constexpr double kDefaultTimeoutMs = 60000;
constexpr double kDefaultMaxRequestBodyBytes = 8 * 1024 * 1024;

JsonValue StringList(std::initializer_list<std::string_view> items) {
  JsonValue v;
  auto* list = v.mutable_list_value();
  for (std::string_view s : items) *list->add_values() = StringValue(s);
  return v;
}

JsonValue EmptyObject() {
  JsonValue v;
  v.mutable_struct_value();
  return v;
}

double DefaultPortFor(std::string_view protocol) {
  return protocol == "https" || protocol == "grpcs" ? 443 : 80;
}

}  // namespace

JsonObject FieldDefaults(EntityKind kind, const JsonObject& entity) {
  JsonObject d;
  auto& f = *d.mutable_fields();
  switch (kind) {
    case EntityKind::kService: {
      std::string protocol = StringMember(entity, "protocol");
      if (protocol.empty()) protocol = "http";
      f["name"] = StringValue("");
      f["protocol"] = StringValue("http");
      f["port"] = NumberValue(DefaultPortFor(protocol));
      f["path"] = StringValue("");
      f["retries"] = NumberValue(5);
      f["connect_timeout"] = NumberValue(kDefaultTimeoutMs);
      f["write_timeout"] = NumberValue(kDefaultTimeoutMs);
      f["read_timeout"] = NumberValue(kDefaultTimeoutMs);
      f["enabled"] = BoolValue(true);
      f["tags"] = StringList({});
      f["tls_verify"] = BoolValue(true);
      f["ca_certificates"] = StringList({});
      f["client_certificate"] = NullValue();
      break;
    }
    case EntityKind::kRoute:
      f["name"] = StringValue("");
      for (const char* list : {"protocols", "methods", "hosts", "paths", "tags"})
        f[list] = StringList({});
      f["headers"] = EmptyObject();
      f["strip_path"] = BoolValue(true);
      f["preserve_host"] = BoolValue(false);
      f["regex_priority"] = NumberValue(0);
      f["service"] = NullValue();
      f["max_request_body_bytes"] = NumberValue(kDefaultMaxRequestBodyBytes);
      break;
    case EntityKind::kUpstream:
      f["algorithm"] = StringValue("round-robin");
      f["tags"] = StringList({});
      break;
    case EntityKind::kTarget:
      f["weight"] = NumberValue(100);
      f["tags"] = StringList({});
      break;
    case EntityKind::kConsumer:
      f["username"] = StringValue("");
      f["custom_id"] = StringValue("");
      f["tags"] = StringList({});
      break;
    case EntityKind::kPlugin:
      f["enabled"] = BoolValue(true);
      f["tags"] = StringList({});
      for (const char* ref : {"service", "route", "consumer"}) f[ref] = NullValue();
      break;
    case EntityKind::kCredential:
      break;
    case EntityKind::kCertificate:
      f["name"] = StringValue("");
      f["snis"] = StringList({});
      f["tags"] = StringList({});
      break;
    case EntityKind::kCaCertificate:
      f["name"] = StringValue("");
      f["tags"] = StringList({});
      break;
    case EntityKind::kProvider: {
      const std::string kind_name = StringMember(entity, "kind");
      std::string base_url;
      if (kind_name == "openai") base_url = "https://api.openai.com";
      if (kind_name == "anthropic") base_url = "https://api.anthropic.com";
      f["base_url"] = StringValue(base_url);
      f["auth"] = ObjectValue(NestedDefaults(kind, "auth"));
      f["azure_api_version"] = StringValue("");
      f["anthropic_version"] = StringValue(kind_name == "anthropic" ? "2023-06-01" : "");
      f["connect_timeout"] = NumberValue(5000);
      f["read_timeout"] = NumberValue(120000);
      f["tags"] = StringList({});
      break;
    }
    case EntityKind::kModel:
      f["provider"] = NullValue();
      f["model"] = StringValue("");
      f["price"] = ObjectValue(NestedDefaults(kind, "price"));
      f["context_window"] = NumberValue(0);
      f["fallbacks"] = StringList({});
      f["split"] = StringList({});
      f["tags"] = StringList({});
      break;
  }
  return d;
}

JsonObject NestedDefaults(EntityKind kind, std::string_view field) {
  JsonObject d;
  auto& f = *d.mutable_fields();
  if (kind == EntityKind::kProvider && field == "auth") {
    f["secret"] = StringValue("");
    f["header"] = StringValue("");
  } else if (kind == EntityKind::kModel && field == "price") {
    f["input_per_mtok"] = NumberValue(0);
    f["output_per_mtok"] = NumberValue(0);
  }
  return d;
}

JsonObject PluginConfigDefaults(std::string_view plugin_name) {
  JsonObject d;
  if (plugin_name == "key-auth") {
    auto& f = *d.mutable_fields();
    f["key_names"] = StringList({"authorization", "x-api-key", "apikey"});
    f["hide_credentials"] = BoolValue(true);
    f["key_in_header"] = BoolValue(true);
    f["key_in_query"] = BoolValue(true);
    f["anonymous"] = StringValue("");
  }
  return d;
}

bool ExpandServiceUrl(JsonObject* service) {
  const std::string url = StringMember(*service, "url");
  if (url.empty()) return true;
  auto& fields = *service->mutable_fields();
  for (const char* part : {"protocol", "host", "port", "path"}) {
    auto it = fields.find(part);
    if (it != fields.end() && !IsNull(it->second)) return false;
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0 ||
      url.find_first_of("?#") != std::string::npos)
    return false;
  const std::string protocol = absl::AsciiStrToLower(url.substr(0, scheme_end));
  const std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return false;
  absl::StatusOr<HostPort> hp =
      ParseHostPort(authority, static_cast<int>(DefaultPortFor(protocol)));
  if (!hp.ok()) return false;
  fields.erase("url");
  fields["protocol"] = StringValue(protocol);
  fields["host"] = StringValue(hp->host);
  fields["port"] = NumberValue(hp->port);
  fields["path"] = StringValue(slash == std::string_view::npos ? "" : rest.substr(slash));
  return true;
}

}  // namespace sluice::sluicectl
