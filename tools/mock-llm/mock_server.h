#pragma once
// The mock LLM's HTTP server on one event loop: evhttp, an endpoint table, and the handlers.
// Run several (one per thread, sharing the port with SO_REUSEPORT) to serve from more cores.
//
// Every request first has its x-mock-* fault headers applied (see fault_spec.h): an injected
// status short-circuits the endpoint; the timing faults (delay, token delay, drop) apply to
// whatever the endpoint answers. A path no endpoint claims gets the echo.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tools/mock-llm/api_errors.h"
#include "tools/mock-llm/endpoint_table.h"
#include "tools/mock-llm/fault_spec.h"
#include "tools/mock-llm/openai_request.h"

struct event_base;
struct evconnlistener;
struct evhttp;
struct evhttp_request;

namespace sluice::mock_llm {

struct MockStats;
struct ResponsePlan;

// Binds host:port (port 0 picks one) and returns a listener for MockServer, with the bound port.
absl::StatusOr<evconnlistener*> ListenTcp(event_base* base, const std::string& host, int port,
                                          bool reuse_port, int* bound_port);

class MockServer {
 public:
  // Takes ownership of `listener`. `stats` is shared by every server and outlives them.
  static absl::StatusOr<std::unique_ptr<MockServer>> Create(event_base* base,
                                                            evconnlistener* listener,
                                                            MockStats* stats);
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
    Handler handler;
  };
  // Issue 4 adds Anthropic (/v1/messages) and Azure (/openai/deployments/*/...) rows here.
  static const Endpoint kEndpoints[];

  MockServer(event_base* base, MockStats* stats);
  static void OnRequest(evhttp_request* req, void* self);
  void Dispatch(evhttp_request* req);

  void HandleChatCompletions(const Exchange& ex, ResponsePlan* plan);
  void HandleEmbeddings(const Exchange& ex, ResponsePlan* plan);
  void HandleModelList(const Exchange& ex, ResponsePlan* plan);
  void HandleModel(const Exchange& ex, ResponsePlan* plan);
  void HandleAnthropicMessages(const Exchange& ex, ResponsePlan* plan);
  void HandleJsonPayload(const Exchange& ex, ResponsePlan* plan);
  void HandleHealth(const Exchange& ex, ResponsePlan* plan);
  void HandleStats(const Exchange& ex, ResponsePlan* plan);
  void HandleStatsReset(const Exchange& ex, ResponsePlan* plan);
  void HandleEcho(const Exchange& ex, ResponsePlan* plan);

  event_base* const base_;
  MockStats* const stats_;
  evhttp* http_ = nullptr;
  OpenAiRequestParser parser_;
  std::string json_payload_;  // last /_mock/json body; benchmarks ask for one size repeatedly
};

}  // namespace sluice::mock_llm
