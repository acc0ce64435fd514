#pragma once
// The plugin interface of the request path.
//
// A plugin is a config factory plus per-request calls: the factory validates the typed config
// from the snapshot once and returns an immutable PluginInstance that every request shares (the
// request path never parses configuration). A plugin overrides only the phases it cares about.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/ai/wire_format.h"
#include "dataplane/http/headers.h"
#include "sluice/config/v1/config.pb.h"

namespace sluice::plugins {

struct ConsumerInfo {
  std::string id;
  std::string username;
  std::string custom_id;
  std::vector<std::string> tags;  // the Consumer's tags (ai-proxy routes on them)
};

// What a phase returns; drives the chain.
enum class PhaseResult {
  // Go on with the next plugin, then the next phase.
  kContinue,
  // The plugin answered the request itself (RequestContext::SendLocalResponse was called); no
  // other plugin runs in this phase or later request phases, and no upstream is contacted. The
  // log phase still runs.
  kStop,
  // The plugin started asynchronous work (a Redis call, an HTTP call). The request waits without
  // blocking the event loop until the plugin calls RequestContext::Resume() with kContinue or
  // kStop, exactly once, from the same worker thread. If the request ends first (client gone),
  // the plugin's OnCancel() is called instead and Resume() must not be called afterwards.
  kPause,
};

// The request as plugins see it. Implemented by the proxy stream.
class RequestContext {
 public:
  virtual ~RequestContext() = default;
  virtual std::string_view method() const = 0;
  // Path and query as received ("/v1/chat?x=1").
  virtual std::string_view target() const = 0;
  virtual http::HeaderMap& request_headers() = 0;
  // Removes a query parameter from the target sent upstream.
  virtual void RemoveQueryParam(std::string_view name) = 0;
  virtual std::string_view request_id() const = 0;
  virtual const ConsumerInfo* consumer() const = 0;
  virtual void set_consumer(const ConsumerInfo* consumer) = 0;
  // Looks up a key-auth credential by the SHA-256 hex of the key.
  virtual const ConsumerInfo* FindConsumerByKeyHash(std::string_view key_hash) const = 0;
  virtual const ConsumerInfo* FindConsumer(std::string_view id_or_username) const = 0;
  // Answers the request with a JSON error {"code":code,"message":message}.
  virtual void SendLocalResponse(int status, std::string_view code, std::string_view message,
                                 const http::HeaderMap* extra_headers = nullptr) = 0;
  virtual void Resume(PhaseResult result) = 0;
};

// Why a prompt policy refused an AI request; the AI path answers in the client's wire format
// with this status and stable code ("prompt_blocked", "template_invalid", "prompt_too_large"...).
struct PromptRejection {
  int status = 400;
  std::string code;
  std::string message;
};

// The client's chat request as prompt policies see it, on an ai-proxy route, once the body has
// been buffered and before the model is picked or the body is translated for a provider.
struct PromptRequest {
  // The client's wire format (OpenAI chat.completions or Anthropic Messages). A policy that
  // rewrites the body keeps this format.
  ai::WireFormat format = ai::WireFormat::kOpenAI;
  // The whole JSON body. Policies may replace it.
  std::string body;
};

class PluginInstance {
 public:
  virtual ~PluginInstance() = default;
  virtual std::string_view name() const = 0;
  // Higher runs first within a phase (authentication plugins run before everything else).
  virtual int priority() const = 0;
  // Access phase: authentication and authorization; the consumer is known afterwards.
  virtual PhaseResult OnAccess(RequestContext& ctx) const { return PhaseResult::kContinue; }
  // Transform-request phase of an AI call (prompt policies: decorate, template, guard, redact).
  // Runs in priority order after the access phase; the first rejection ends the request.
  virtual std::optional<PromptRejection> OnPrompt(const RequestContext& ctx,
                                                  PromptRequest& request) const {
    return std::nullopt;
  }
  // Called instead of the Resume() a paused plugin owes, when the request is gone.
  virtual void OnCancel(RequestContext& ctx) const {}
  // Always runs once the request is over, whatever happened.
  virtual void OnLog(const RequestContext& ctx) const {}
};

using PluginFactory =
    absl::StatusOr<std::shared_ptr<const PluginInstance>> (*)(const config::v1::Plugin& config);

// The factory for a plugin name, or nullptr for an unknown plugin.
PluginFactory FindPluginFactory(std::string_view name);

}  // namespace sluice::plugins
