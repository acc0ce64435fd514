#pragma once
// The mock LLM's HTTP server on one event loop: evhttp, an endpoint table, and the handlers.
// Run several (one per thread, sharing the port with SO_REUSEPORT) to serve from more cores.
//
// Every request first has its x-mock-* fault headers applied (see fault_spec.h), then provider
// endpoints check credentials (credentials.h); an injected status short-circuits the endpoint;
// the timing faults (delay, token delay, drop) apply to whatever is answered. A path no
// endpoint claims gets the echo. Requests outside /_mock/ are kept in the stats' request log.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tools/mock-llm/anthropic_request.h"
#include "tools/mock-llm/api_errors.h"
#include "tools/mock-llm/credentials.h"
#include "tools/mock-llm/endpoint_table.h"
#include "tools/mock-llm/fault_spec.h"
#include "tools/mock-llm/mock_stats.h"
#include "tools/mock-llm/openai_request.h"

struct event_base;
struct evconnlistener;
struct evhttp;
struct evhttp_request;

namespace sluice::mock_llm {

struct ResponsePlan;

// Binds host:port (port 0 picks one) and returns a listener for MockServer, with the bound port.
absl::StatusOr<evconnlistener*> ListenTcp(event_base* base, const std::string& host, int port,
                                          bool reuse_port, int* bound_port);

class MockServer {
 public:
  // Takes ownership of `listener`. `stats` is shared by every server and outlives them.
  static absl::StatusOr<std::unique_ptr<MockServer>> Create(event_base* base,
                                                            evconnlistener* listener,
                                                            MockStats* stats,
                                                            ProviderKeys keys = {});
  ~MockServer();
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

 private:
  struct Exchange;
  using Handler = void (MockServer::*)(const Exchange&, ResponsePlan*);
  struct Endpoint {
    const char* path_pattern;  // see endpoint_table.h
    uint16_t methods;          // evhttp_cmd_type mask
    ApiDialect dialect;        // shape of this endpoint's error bodies
    // Provider endpoints: credentials, and the /_mock/stats bucket. None for /_mock/*.
    std::optional<ProviderApi> api;
    Handler handler;
  };
  static const Endpoint kEndpoints[];

  MockServer(event_base* base, MockStats* stats, ProviderKeys keys);
  static void OnRequest(evhttp_request* req, void* self);
  void Dispatch(evhttp_request* req);
  void Record(const Exchange& ex, int status);

  void HandleChatCompletions(const Exchange& ex, ResponsePlan* plan);
  void HandleEmbeddings(const Exchange& ex, ResponsePlan* plan);
  void HandleAzureChatCompletions(const Exchange& ex, ResponsePlan* plan);
  void HandleAzureEmbeddings(const Exchange& ex, ResponsePlan* plan);
  // `deployment`: Azure's, which names the model in the response; empty for OpenAI.
  void ServeChatCompletions(const Exchange& ex, std::string_view deployment, ResponsePlan* plan);
  void ServeEmbeddings(const Exchange& ex, std::string_view deployment, ResponsePlan* plan);
  bool RequireAzureApiVersion(const Exchange& ex, ResponsePlan* plan);
  void HandleModelList(const Exchange& ex, ResponsePlan* plan);
  void HandleModel(const Exchange& ex, ResponsePlan* plan);
  void HandleAnthropicMessages(const Exchange& ex, ResponsePlan* plan);
  void HandleJsonPayload(const Exchange& ex, ResponsePlan* plan);
  void HandleHealth(const Exchange& ex, ResponsePlan* plan);
  void HandleStats(const Exchange& ex, ResponsePlan* plan);
  void HandleStatsReset(const Exchange& ex, ResponsePlan* plan);
  void HandleRequestLog(const Exchange& ex, ResponsePlan* plan);
  void HandleRequestLogReset(const Exchange& ex, ResponsePlan* plan);
  void HandleEcho(const Exchange& ex, ResponsePlan* plan);

  event_base* const base_;
  MockStats* const stats_;
  const ProviderKeys keys_;
  evhttp* http_ = nullptr;
  OpenAiRequestParser parser_;
  AnthropicRequestParser anthropic_parser_;
  std::string json_payload_;  // last /_mock/json body; benchmarks ask for one size repeatedly
};

}  // namespace sluice::mock_llm
