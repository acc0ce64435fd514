#include "dataplane/plugins/key_auth/key_auth.h"

#include <vector>

#include "common/hash.h"

namespace sluice::plugins {
namespace {

using http::EqualsIgnoreCase;

class KeyAuth final : public PluginInstance {
 public:
  struct Settings {
    std::vector<std::string> key_names;  // lower-case
    bool hide_credentials = true;
    bool key_in_header = true;
    bool key_in_query = true;
    std::string anonymous;
  };
  explicit KeyAuth(Settings s) : s_(std::move(s)) {}

  std::string_view name() const override { return "key-auth"; }
  int priority() const override { return 1250; }

  PhaseResult OnAccess(RequestContext& ctx) const override {
    std::string key;
    for (const std::string& key_name : s_.key_names) {
      if (FindKey(ctx, key_name, &key)) break;
    }
    if (key.empty()) {
      if (const ConsumerInfo* anon = Anonymous(ctx)) {
        ctx.set_consumer(anon);
        return PhaseResult::kContinue;
      }
      return Reject(ctx, "No API key found in request: send it as 'Authorization: Bearer <key>', "
                         "'x-api-key' or 'apikey'");
    }
    const ConsumerInfo* consumer = ctx.FindConsumerByKeyHash(Sha256Hex(key));
    if (consumer == nullptr) return Reject(ctx, "Invalid API key");
    ctx.set_consumer(consumer);
    return PhaseResult::kContinue;
  }

 private:
  // Finds the key under `key_name`; removes it from the request when hide_credentials is set.
  bool FindKey(RequestContext& ctx, const std::string& key_name, std::string* key) const {
    http::HeaderMap& headers = ctx.request_headers();
    if (s_.key_in_header) {
      if (const std::string* v = headers.Get(key_name)) {
        std::string_view value = *v;
        if (key_name == "authorization") {
          constexpr std::string_view kBearer = "bearer ";
          if (value.size() <= kBearer.size() ||
              !EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
            return false;
          }
          value.remove_prefix(kBearer.size());
          while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (!value.empty()) {
          *key = std::string(value);
          if (s_.hide_credentials) headers.Remove(key_name);
          return true;
        }
      }
    }
    if (s_.key_in_query && key_name != "authorization") {
      std::string_view target = ctx.target();
      size_t q = target.find('?');
      if (q != std::string_view::npos) {
        std::string_view query = target.substr(q + 1);
        while (!query.empty()) {
          size_t amp = query.find('&');
          std::string_view pair = query.substr(0, amp);
          size_t eq = pair.find('=');
          if (eq != std::string_view::npos && pair.substr(0, eq) == key_name &&
              eq + 1 < pair.size()) {
            *key = std::string(pair.substr(eq + 1));
            if (s_.hide_credentials) ctx.RemoveQueryParam(key_name);
            return true;
          }
          if (amp == std::string_view::npos) break;
          query.remove_prefix(amp + 1);
        }
      }
    }
    return false;
  }

  const ConsumerInfo* Anonymous(RequestContext& ctx) const {
    if (s_.anonymous.empty()) return nullptr;
    return ctx.FindConsumer(s_.anonymous);
  }

  PhaseResult Reject(RequestContext& ctx, std::string_view message) const {
    http::HeaderMap extra;
    extra.Add("WWW-Authenticate", "Key realm=\"sluice\"");
    ctx.SendLocalResponse(401, "unauthorized", message, &extra);
    return PhaseResult::kStop;
  }

  Settings s_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const PluginInstance>> CreateKeyAuth(
    const config::v1::Plugin& config) {
  const config::v1::KeyAuthConfig& c = config.key_auth();
  KeyAuth::Settings s;
  for (const std::string& n : c.key_names()) {
    if (n.empty()) return absl::InvalidArgumentError("key-auth: empty key name");
    s.key_names.push_back(http::ToLower(n));
  }
  if (s.key_names.empty()) s.key_names = {"authorization", "x-api-key", "apikey"};
  s.hide_credentials = c.has_hide_credentials() ? c.hide_credentials() : true;
  s.key_in_header = c.has_key_in_header() ? c.key_in_header() : true;
  s.key_in_query = c.has_key_in_query() ? c.key_in_query() : true;
  s.anonymous = c.anonymous();
  return std::shared_ptr<const PluginInstance>(std::make_shared<KeyAuth>(std::move(s)));
}

}  // namespace sluice::plugins
