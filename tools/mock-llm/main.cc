// sluice-mock-llm: the mock LLM provider (OpenAI, Anthropic and Azure OpenAI APIs) that
// integration tests and benchmarks use as their upstream. See README.md, mock_server.h for the
// endpoints and fault_spec.h for the x-mock-* headers.
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/net.h"
#include "common/strings.h"
#include "tools/mock-llm/mock_server.h"
#include "tools/mock-llm/mock_stats.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:9001",
          "host:port to serve on; port 0 picks a free port (the ready line names it)");
ABSL_FLAG(std::string, log_level, "info", "debug|info|warn|error; debug logs every request");
ABSL_FLAG(int, threads, 1, "event loops sharing the port through SO_REUSEPORT");
ABSL_FLAG(std::string, openai_key, "",
          "require 'Authorization: Bearer KEY' on the OpenAI endpoints (empty: accept any)");
ABSL_FLAG(std::string, anthropic_key, "",
          "require 'x-api-key: KEY' on the Anthropic endpoints (empty: accept any)");
ABSL_FLAG(std::string, azure_key, "",
          "require 'api-key: KEY' on the Azure endpoints (empty: accept any)");
ABSL_FLAG(int, record_requests, 32,
          "how many recent requests GET /_mock/requests keeps (0: none; benchmarks may want 0)");

namespace {

using sluice::mock_llm::ListenTcp;
using sluice::mock_llm::MockServer;
using sluice::mock_llm::MockStats;

// ParseHostPort rejects port 0, which we accept to let the kernel choose.
absl::StatusOr<sluice::HostPort> ParseListenAddress(const std::string& s) {
  if (absl::EndsWith(s, ":0")) {
    auto hp = sluice::ParseHostPort(s.substr(0, s.size() - 2) + ":1");
    if (hp.ok()) hp->port = 0;
    return hp;
  }
  return sluice::ParseHostPort(s);
}

struct Loop {
  event_base* base = nullptr;
  std::unique_ptr<MockServer> server;
};

void StopAllLoops(evutil_socket_t, short, void* arg) {
  for (Loop& loop : *static_cast<std::vector<Loop>*>(arg)) event_base_loopexit(loop.base, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Sluice mock LLM: an OpenAI-, Anthropic- and Azure-compatible upstream for tests and "
      "benchmarks.\n"
      "Usage: sluice-mock-llm [--listen HOST:PORT] [--log-level LEVEL] [--threads N]\n"
      "       [--openai-key K] [--anthropic-key K] [--azure-key K] [--record-requests N]");
  sluice::ParseFlags(argc, argv);
  // A client that hangs up mid-response must not kill the server with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);

  sluice::LogLevel level;
  if (!sluice::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    fprintf(stderr, "mock-llm: invalid --log-level '%s'\n", absl::GetFlag(FLAGS_log_level).c_str());
    return 2;
  }
  sluice::SetLogLevel(level);
  const absl::StatusOr<sluice::HostPort> addr = ParseListenAddress(absl::GetFlag(FLAGS_listen));
  if (!addr.ok()) {
    fprintf(stderr, "mock-llm: invalid --listen: %s\n",
            std::string(addr.status().message()).c_str());
    return 2;
  }
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "mock-llm: --threads must be in [1, 256]\n");
    return 2;
  }

  // Loops other than the first are stopped from the signal handler's thread.
  evthread_use_pthreads();
  event_config* config = event_config_new();
  // Token delays of a few milliseconds are measured by benchmarks; millisecond-rounded epoll
  // timeouts would add up to 1 ms of jitter to each.
  event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
  // evhttp toggles read/write interest several times per request; batching those into one
  // epoll_ctl per fd per loop iteration measured 20-100% more keep-alive requests per second.
  // (The changelist's known problem is dup()ed fds, which this server never has.)
  event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);

  const int record_requests = absl::GetFlag(FLAGS_record_requests);
  if (record_requests < 0 || record_requests > 100000) {
    fprintf(stderr, "mock-llm: --record-requests must be in [0, 100000]\n");
    return 2;
  }
  sluice::mock_llm::ProviderKeys keys;
  keys.openai = absl::GetFlag(FLAGS_openai_key);
  keys.anthropic = absl::GetFlag(FLAGS_anthropic_key);
  keys.azure = absl::GetFlag(FLAGS_azure_key);

  MockStats stats(static_cast<size_t>(record_requests));
  std::vector<Loop> loops(threads);
  int port = addr->port;
  for (Loop& loop : loops) {
    loop.base = event_base_new_with_config(config);
    if (loop.base == nullptr) {
      fprintf(stderr, "mock-llm: event_base_new failed\n");
      return 1;
    }
    absl::StatusOr<evconnlistener*> listener =
        ListenTcp(loop.base, addr->host, port, threads > 1, &port);
    if (!listener.ok()) {
      fprintf(stderr, "mock-llm: %s\n", std::string(listener.status().message()).c_str());
      return 1;
    }
    absl::StatusOr<std::unique_ptr<MockServer>> server =
        MockServer::Create(loop.base, *listener, &stats, keys);
    if (!server.ok()) {
      fprintf(stderr, "mock-llm: %s\n", std::string(server.status().message()).c_str());
      return 1;
    }
    loop.server = std::move(*server);
  }
  event_config_free(config);

  event* sigterm = evsignal_new(loops[0].base, SIGTERM, &StopAllLoops, &loops);
  event* sigint = evsignal_new(loops[0].base, SIGINT, &StopAllLoops, &loops);
  evsignal_add(sigterm, nullptr);
  evsignal_add(sigint, nullptr);

  const bool v6 = addr->host.find(':') != std::string::npos;
  fprintf(stderr, "mock-llm listening on %s%s%s:%d\n", v6 ? "[" : "", addr->host.c_str(),
          v6 ? "]" : "", port);
  fflush(stderr);

  std::vector<std::thread> workers;
  for (size_t i = 1; i < loops.size(); ++i) {
    workers.emplace_back([base = loops[i].base] { event_base_dispatch(base); });
  }
  event_base_dispatch(loops[0].base);
  for (std::thread& t : workers) t.join();

  event_free(sigterm);
  event_free(sigint);
  for (Loop& loop : loops) {
    loop.server.reset();
    event_base_free(loop.base);
  }
  LOG_INFO("mock-llm stopped");
  return 0;
}
