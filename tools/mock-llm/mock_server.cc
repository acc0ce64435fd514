#include "tools/mock-llm/mock_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/evhttp_method.h"
#include "common/log.h"
#include "common/strings.h"
#include "tools/mock-llm/anthropic_response.h"
#include "tools/mock-llm/deferred_response.h"
#include "tools/mock-llm/echo.h"
#include "tools/mock-llm/mock_stats.h"
#include "tools/mock-llm/openai_response.h"

namespace sluice::mock_llm {

struct MockServer::Exchange {
  evhttp_request* req = nullptr;
  evhttp_cmd_type method = EVHTTP_REQ_GET;
  std::string_view path;
  std::string_view query;
  PathCaptures captures;
  std::string_view body;
  FaultSpec faults;
  ApiDialect dialect = ApiDialect::kOpenAi;
  std::optional<ProviderApi> api;
};

namespace {

constexpr uint16_t kAnyMethod = EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH;
constexpr uint16_t kGet = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD;
constexpr uint16_t kPost = EVHTTP_REQ_POST;

// Limits generous enough that a gateway's own limits are what tests hit, not ours.
constexpr size_t kMaxHeadersBytes = 1u << 20;
constexpr size_t kMaxBodyBytes = 64u << 20;
constexpr int kIdleTimeoutSeconds = 3600;

std::string AllowHeader(uint16_t methods) {
  std::string out;
  for (unsigned bit = 1; bit <= EVHTTP_REQ_PATCH; bit <<= 1) {
    if ((methods & bit) == 0) continue;
    if (!out.empty()) out.append(", ");
    out.append(EvhttpMethodName(static_cast<evhttp_cmd_type>(bit)));
  }
  return out;
}

void SetError(ApiDialect dialect, int status, std::string_view code, std::string_view message,
              ResponsePlan* plan) {
  plan->status = status;
  plan->body = ErrorBody(dialect, status, code, message);
}

std::string_view CStr(const char* s) { return s == nullptr ? std::string_view() : s; }

// The value of `name` in a query string ("a=1&size=2"); the last occurrence wins.
std::string_view QueryParam(std::string_view query, std::string_view name) {
  std::string_view found;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) found = pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return found;
}

}  // namespace

namespace {
constexpr std::optional<ProviderApi> kOpenAiApi = ProviderApi::kOpenAi;
constexpr std::optional<ProviderApi> kAnthropicApi = ProviderApi::kAnthropic;
constexpr std::optional<ProviderApi> kAzureApi = ProviderApi::kAzure;
constexpr std::optional<ProviderApi> kNoApi;
}  // namespace

const MockServer::Endpoint MockServer::kEndpoints[] = {
    {"/v1/chat/completions", kPost, ApiDialect::kOpenAi, kOpenAiApi,
     &MockServer::HandleChatCompletions},
    {"/v1/embeddings", kPost, ApiDialect::kOpenAi, kOpenAiApi, &MockServer::HandleEmbeddings},
    {"/v1/models", kGet, ApiDialect::kOpenAi, kOpenAiApi, &MockServer::HandleModelList},
    {"/v1/models/*", kGet, ApiDialect::kOpenAi, kOpenAiApi, &MockServer::HandleModel},
    {"/v1/messages", kPost, ApiDialect::kAnthropic, kAnthropicApi,
     &MockServer::HandleAnthropicMessages},
    {"/openai/deployments/*/chat/completions", kPost, ApiDialect::kOpenAi, kAzureApi,
     &MockServer::HandleAzureChatCompletions},
    {"/openai/deployments/*/embeddings", kPost, ApiDialect::kOpenAi, kAzureApi,
     &MockServer::HandleAzureEmbeddings},
    {"/_mock/json", kGet, ApiDialect::kOpenAi, kNoApi, &MockServer::HandleJsonPayload},
    {"/_mock/health", kGet, ApiDialect::kOpenAi, kNoApi, &MockServer::HandleHealth},
    {"/_mock/stats", kGet, ApiDialect::kOpenAi, kNoApi, &MockServer::HandleStats},
    {"/_mock/stats", EVHTTP_REQ_DELETE, ApiDialect::kOpenAi, kNoApi,
     &MockServer::HandleStatsReset},
    {"/_mock/requests", kGet, ApiDialect::kOpenAi, kNoApi, &MockServer::HandleRequestLog},
    {"/_mock/requests", EVHTTP_REQ_DELETE, ApiDialect::kOpenAi, kNoApi,
     &MockServer::HandleRequestLogReset},
};

absl::StatusOr<evconnlistener*> ListenTcp(event_base* base, const std::string& host, int port,
                                          bool reuse_port, int* bound_port) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_str = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
  if (reuse_port) flags |= LEV_OPT_REUSEABLE_PORT;
  evconnlistener* listener =
      evconnlistener_new_bind(base, nullptr, nullptr, flags, 1024, found->ai_addr,
                              static_cast<int>(found->ai_addrlen));
  freeaddrinfo(found);
  if (listener == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", std::strerror(errno)));
  }
  const evutil_socket_t fd = evconnlistener_get_fd(listener);
  // Linux copies TCP_NODELAY to accepted sockets: small responses leave without Nagle delays.
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    evconnlistener_free(listener);
    return absl::InternalError(absl::StrCat("getsockname: ", std::strerror(errno)));
  }
  *bound_port = ntohs(addr.ss_family == AF_INET6
                          ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return listener;
}

MockServer::MockServer(event_base* base, MockStats* stats, ProviderKeys keys)
    : base_(base), stats_(stats), keys_(std::move(keys)) {}

MockServer::~MockServer() {
  // Frees every connection, which also ends (and frees) any response still in flight.
  if (http_ != nullptr) evhttp_free(http_);
}

absl::StatusOr<std::unique_ptr<MockServer>> MockServer::Create(event_base* base,
                                                              evconnlistener* listener,
                                                              MockStats* stats,
                                                              ProviderKeys keys) {
  std::unique_ptr<MockServer> server(new MockServer(base, stats, std::move(keys)));
  server->http_ = evhttp_new(base);
  if (server->http_ == nullptr) {
    evconnlistener_free(listener);
    return absl::InternalError("evhttp_new failed");
  }
  evhttp_set_allowed_methods(server->http_, kAnyMethod);
  evhttp_set_default_content_type(server->http_, "application/json");
  evhttp_set_max_headers_size(server->http_, kMaxHeadersBytes);
  evhttp_set_max_body_size(server->http_, kMaxBodyBytes);
  evhttp_set_timeout(server->http_, kIdleTimeoutSeconds);
  evhttp_set_gencb(server->http_, &MockServer::OnRequest, server.get());
  if (evhttp_bind_listener(server->http_, listener) == nullptr) {
    evconnlistener_free(listener);
    return absl::InternalError("evhttp_bind_listener failed");
  }
  return server;
}

void MockServer::OnRequest(evhttp_request* req, void* self) {
  static_cast<MockServer*>(self)->Dispatch(req);
}

void MockServer::Dispatch(evhttp_request* req) {
  stats_->requests.fetch_add(1, std::memory_order_relaxed);
  Exchange ex;
  ex.req = req;
  ex.method = evhttp_request_get_command(req);
  // evhttp rejects request lines it cannot parse, but authority-form targets (CONNECT) and "*"
  // may come without a path.
  if (const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req); uri != nullptr) {
    ex.path = CStr(evhttp_uri_get_path(uri));
    ex.query = CStr(evhttp_uri_get_query(uri));
  }
  if (ex.path.empty()) ex.path = "/";
  evbuffer* input = evhttp_request_get_input_buffer(req);
  if (const size_t len = evbuffer_get_length(input); len > 0) {
    ex.body = std::string_view(reinterpret_cast<const char*>(evbuffer_pullup(input, -1)), len);
  }

  const Endpoint* endpoint = nullptr;
  uint16_t allowed = 0;
  for (const Endpoint& candidate : kEndpoints) {
    if (!MatchPathPattern(candidate.path_pattern, ex.path, &ex.captures)) continue;
    allowed |= candidate.methods;
    if ((candidate.methods & ex.method) != 0) {
      endpoint = &candidate;
      break;
    }
  }
  if (endpoint != nullptr) {
    ex.dialect = endpoint->dialect;
    ex.api = endpoint->api;
    if (ex.api.has_value()) stats_->CountRequest(*ex.api);
  }

  ResponsePlan plan;
  absl::Status faults_ok = absl::OkStatus();
  const evkeyvalq* headers = evhttp_request_get_input_headers(req);
  for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
    if (!IsMockHeader(h->key)) continue;
    faults_ok = ApplyFaultHeader(h->key, h->value, &ex.faults);
    if (!faults_ok.ok()) break;
  }

  std::optional<CredentialFailure> denied;
  if (faults_ok.ok() && ex.api.has_value()) {
    CredentialHeaders credentials;
    auto find = [headers](const char* name) -> std::optional<std::string_view> {
      const char* value = evhttp_find_header(headers, name);
      if (value == nullptr) return std::nullopt;
      return std::string_view(value);
    };
    credentials.authorization = find("Authorization");
    credentials.x_api_key = find("x-api-key");
    credentials.anthropic_version = find("anthropic-version");
    credentials.api_key = find("api-key");
    denied = CheckCredentials(*ex.api, keys_, credentials);
  }

  if (!faults_ok.ok()) {
    SetError(ex.dialect, 400, "invalid_mock_header", std::string(faults_ok.message()), &plan);
  } else {
    if (denied.has_value()) {
      SetError(ex.dialect, denied->status, denied->code, denied->message, &plan);
    } else if (ex.faults.status.has_value()) {
      const int status = *ex.faults.status;
      SetError(ex.dialect, status, status == 429 ? "rate_limit_exceeded" : "mock_injected_status",
               absl::StrCat("sluice-mock-llm: injected status ", status), &plan);
      if (!ex.faults.retry_after.empty()) {
        plan.headers.emplace_back("Retry-After", ex.faults.retry_after);
      }
    } else if (endpoint != nullptr) {
      (this->*(endpoint->handler))(ex, &plan);
    } else if (allowed != 0) {
      SetError(ex.dialect, 405, "method_not_allowed",
               absl::StrCat(EvhttpMethodName(ex.method), " is not allowed on ", Sv(ex.path)),
               &plan);
      plan.headers.emplace_back("Allow", AllowHeader(allowed));
    } else {
      HandleEcho(ex, &plan);
    }
    plan.delay_ms = ex.faults.delay_ms;
    plan.chunk_delay_ms = ex.faults.chunk_delay_ms;
    plan.drop_after = ex.faults.drop_after;
  }
  LOG_DEBUG(EvhttpMethodName(ex.method), " ", Sv(CStr(evhttp_request_get_uri(req))), " -> ",
            plan.status, plan.stream != nullptr ? " (stream)" : "");
  if (stats_->request_log.enabled() && ex.path.substr(0, 7) != "/_mock/") Record(ex, plan.status);
  SendResponse(base_, req, std::move(plan));
}

void MockServer::Record(const Exchange& ex, int status) {
  RecordedRequest record;
  if (ex.api.has_value()) record.api = std::string(ProviderApiName(*ex.api));
  record.status = status;
  record.method = EvhttpMethodName(ex.method);
  record.uri = std::string(CStr(evhttp_request_get_uri(ex.req)));
  record.version = absl::StrCat("HTTP/", static_cast<int>(ex.req->major), ".",
                                static_cast<int>(ex.req->minor));
  const evkeyvalq* headers = evhttp_request_get_input_headers(ex.req);
  for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
    record.headers.emplace_back(h->key, h->value);
  }
  record.body = std::string(ex.body);
  stats_->request_log.Record(std::move(record));
}

void MockServer::HandleChatCompletions(const Exchange& ex, ResponsePlan* plan) {
  ServeChatCompletions(ex, {}, plan);
}

void MockServer::HandleEmbeddings(const Exchange& ex, ResponsePlan* plan) {
  ServeEmbeddings(ex, {}, plan);
}

bool MockServer::RequireAzureApiVersion(const Exchange& ex, ResponsePlan* plan) {
  if (!QueryParam(ex.query, "api-version").empty()) return true;
  // What Azure answers without an api-version: the resource does not exist.
  SetError(ex.dialect, 404, "404",
           "Resource not found: the api-version query parameter is required", plan);
  return false;
}

void MockServer::HandleAzureChatCompletions(const Exchange& ex, ResponsePlan* plan) {
  if (RequireAzureApiVersion(ex, plan)) ServeChatCompletions(ex, ex.captures.values[0], plan);
}

void MockServer::HandleAzureEmbeddings(const Exchange& ex, ResponsePlan* plan) {
  if (RequireAzureApiVersion(ex, plan)) ServeEmbeddings(ex, ex.captures.values[0], plan);
}

void MockServer::ServeChatCompletions(const Exchange& ex, std::string_view deployment,
                                      ResponsePlan* plan) {
  absl::StatusOr<ChatRequest> request = parser_.ParseChat(ex.body, deployment.empty());
  if (!request.ok()) {
    return SetError(ex.dialect, 400, "invalid_request", std::string(request.status().message()),
                    plan);
  }
  absl::StatusOr<std::optional<ToolCall>> tool_call =
      ChooseToolCall(ex.faults.tool_call, ex.faults.tool_args, request->tools,
                     request->tool_choice, "call_");
  if (!tool_call.ok()) {
    return SetError(ex.dialect, 400, "invalid_request", std::string(tool_call.status().message()),
                    plan);
  }
  const ProviderApi api = ex.api.value_or(ProviderApi::kOpenAi);
  CompletionPlan completion =
      PlanCompletion(ChooseCompletionLength(ex.faults.tokens, request->max_tokens),
                     request->stop, std::move(*tool_call));
  CompletionMeta meta{NewCompletionId(),
                      deployment.empty() ? std::move(request->model) : std::string(deployment),
                      static_cast<int64_t>(time(nullptr))};
  const Usage usage{request->prompt_tokens, completion.completion_tokens};
  if (!request->stream) {
    plan->body = FormatChatCompletion(meta, completion, usage);
    if (!ex.faults.drop_after.has_value()) {
      stats_->AddUsage(api, usage.prompt_tokens, usage.completion_tokens);
    }
    return;
  }
  plan->content_type = "text/event-stream";
  plan->headers.emplace_back("Cache-Control", "no-cache");
  OpenAiChatStream::Options options;
  options.meta = std::move(meta);
  options.plan = std::move(completion);
  options.include_usage = request->include_usage;
  options.usage = usage;
  options.stats = stats_;
  options.api = api;
  plan->stream = std::make_unique<OpenAiChatStream>(std::move(options));
}

void MockServer::ServeEmbeddings(const Exchange& ex, std::string_view deployment,
                                 ResponsePlan* plan) {
  absl::StatusOr<EmbeddingsRequest> request = parser_.ParseEmbeddings(ex.body, deployment.empty());
  if (!request.ok()) {
    return SetError(ex.dialect, 400, "invalid_request", std::string(request.status().message()),
                    plan);
  }
  if (!deployment.empty()) request->model = std::string(deployment);
  plan->body = FormatEmbeddings(*request);
  if (!ex.faults.drop_after.has_value()) {
    stats_->AddUsage(ex.api.value_or(ProviderApi::kOpenAi), request->prompt_tokens, 0);
  }
}

void MockServer::HandleAnthropicMessages(const Exchange& ex, ResponsePlan* plan) {
  absl::StatusOr<MessagesRequest> request = anthropic_parser_.ParseMessages(ex.body);
  if (!request.ok()) {
    return SetError(ex.dialect, 400, "invalid_request", std::string(request.status().message()),
                    plan);
  }
  absl::StatusOr<std::optional<ToolCall>> tool_call =
      ChooseToolCall(ex.faults.tool_call, ex.faults.tool_args, request->tools,
                     request->tool_choice, "toolu_");
  if (!tool_call.ok()) {
    return SetError(ex.dialect, 400, "invalid_request", std::string(tool_call.status().message()),
                    plan);
  }
  // max_tokens is required here, so it only shortens the natural length (header or 16).
  CompletionPlan completion = PlanCompletion(
      ChooseCompletionLength(ex.faults.tokens.value_or(kDefaultCompletionTokens),
                             request->max_tokens),
      request->stop_sequences, std::move(*tool_call));
  MessageMeta meta{NewMockId("msg_"), std::move(request->model)};
  const MessageUsage usage{request->prompt_tokens, completion.completion_tokens};
  if (!request->stream) {
    plan->body = FormatMessage(meta, completion, usage);
    if (!ex.faults.drop_after.has_value()) {
      stats_->AddUsage(ProviderApi::kAnthropic, usage.input_tokens, usage.output_tokens);
    }
    return;
  }
  plan->content_type = "text/event-stream";
  plan->headers.emplace_back("Cache-Control", "no-cache");
  AnthropicMessageStream::Options options;
  options.meta = std::move(meta);
  options.plan = std::move(completion);
  options.usage = usage;
  options.stats = stats_;
  plan->stream = std::make_unique<AnthropicMessageStream>(std::move(options));
}

void MockServer::HandleModelList(const Exchange&, ResponsePlan* plan) {
  plan->body = FormatModelList();
}

void MockServer::HandleModel(const Exchange& ex, ResponsePlan* plan) {
  std::optional<std::string> model = FormatModel(ex.captures.values[0]);
  if (!model.has_value()) {
    return SetError(ex.dialect, 404, "model_not_found",
                    absl::StrCat("The model '", Sv(ex.captures.values[0]), "' does not exist"),
                    plan);
  }
  plan->body = std::move(*model);
}

void MockServer::HandleJsonPayload(const Exchange& ex, ResponsePlan* plan) {
  size_t size = 1024;
  if (const std::string_view arg = QueryParam(ex.query, "size"); !arg.empty()) {
    if (!absl::SimpleAtoi(Sv(arg), &size) || size < kMinJsonPayload || size > kMaxJsonPayload) {
      return SetError(ex.dialect, 400, "invalid_request",
                      absl::StrCat("size must be an integer in [", kMinJsonPayload, ", ",
                                   kMaxJsonPayload, "]"),
                      plan);
    }
  }
  if (json_payload_.size() != size) json_payload_ = FormatJsonPayload(size);
  plan->body = json_payload_;
}

void MockServer::HandleHealth(const Exchange&, ResponsePlan* plan) {
  plan->body = "{\"status\":\"ok\"}";
}

void MockServer::HandleStats(const Exchange&, ResponsePlan* plan) {
  auto load = [](const std::atomic<int64_t>& v) { return v.load(std::memory_order_relaxed); };
  const int64_t prompt = load(stats_->prompt_tokens);
  const int64_t completion = load(stats_->completion_tokens);
  std::string out = absl::StrCat("{\"requests\":", load(stats_->requests), ",\"prompt_tokens\":",
                                 prompt, ",\"completion_tokens\":", completion,
                                 ",\"total_tokens\":", prompt + completion, ",\"apis\":{");
  for (size_t i = 0; i < kProviderApiCount; ++i) {
    const ApiCounters& c = stats_->apis[i];
    const int64_t p = load(c.prompt_tokens), q = load(c.completion_tokens);
    absl::StrAppend(&out, i == 0 ? "" : ",", "\"",
                    Sv(ProviderApiName(static_cast<ProviderApi>(i))), "\":{\"requests\":",
                    load(c.requests), ",\"prompt_tokens\":", p, ",\"completion_tokens\":", q,
                    ",\"total_tokens\":", p + q, "}");
  }
  out.append("}}");
  plan->body = std::move(out);
}

void MockServer::HandleStatsReset(const Exchange& ex, ResponsePlan* plan) {
  stats_->Reset();
  HandleStats(ex, plan);
}

void MockServer::HandleRequestLog(const Exchange&, ResponsePlan* plan) {
  plan->body = stats_->request_log.FormatJson();
}

void MockServer::HandleRequestLogReset(const Exchange& ex, ResponsePlan* plan) {
  stats_->request_log.Clear();
  HandleRequestLog(ex, plan);
}

void MockServer::HandleEcho(const Exchange& ex, ResponsePlan* plan) {
  EchoedRequest echoed;
  echoed.method = EvhttpMethodName(ex.method);
  echoed.uri = CStr(evhttp_request_get_uri(ex.req));
  const std::string version = absl::StrCat("HTTP/", static_cast<int>(ex.req->major), ".",
                                             static_cast<int>(ex.req->minor));
  echoed.version = version;
  const evkeyvalq* headers = evhttp_request_get_input_headers(ex.req);
  for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
    echoed.headers.emplace_back(h->key, h->value);
  }
  echoed.body = ex.body;
  std::string body = FormatEcho(echoed);
  if (ex.faults.echo_chunked) {
    plan->stream = std::make_unique<SplitBodySource>(std::move(body), 4);
  } else {
    plan->body = std::move(body);
  }
}

}  // namespace sluice::mock_llm
