// sluice-dataplane: the stateless proxy. See docs/dataplane.md.
#include <event2/event.h>
#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/flags.h"
#include "common/log.h"
#include "dataplane/net/listener.h"
#include "dataplane/tls/server_certificates.h"
#include <openssl/ssl.h>
#include "dataplane/net/worker.h"
#include "dataplane/observability/status_server.h"
#include "dataplane/xds/xds_client.h"

ABSL_FLAG(std::string, controlplane, "127.0.0.1:8005", "control plane xDS address host:port");
ABSL_FLAG(std::string, listen, "0.0.0.0:8000",
          "proxy listener address (HTTP/1.1, and HTTP/2 with prior knowledge)");
ABSL_FLAG(std::string, tls_listen, "",
          "TLS proxy listener address (HTTP/1.1 and HTTP/2 by ALPN; certificates from the "
          "control plane's /certificates); empty: none");
ABSL_FLAG(std::string, status_listen, "127.0.0.1:8100", "status listener address (/status, /ready)");
ABSL_FLAG(std::string, node_id, "", "this data plane's id (default: hostname-pid)");
ABSL_FLAG(std::string, cache_file, "",
          "file where the last applied config is saved and read back at start (empty: none)");
ABSL_FLAG(int, workers, 0, "event-loop threads (0: one per CPU core)");
ABSL_FLAG(int, drain_seconds, 30,
          "on SIGTERM, how long requests in flight may take to finish before the process exits");
ABSL_FLAG(int, headers_timeout_ms, 10000,
          "time a client has to send a request's headers; beyond: 408 request_timeout");
ABSL_FLAG(int, body_idle_timeout_ms, 30000,
          "longest pause while a request body arrives; beyond: 408 request_timeout");
ABSL_FLAG(int, keepalive_timeout_ms, 75000, "idle keep-alive client connections close after this");
ABSL_FLAG(int64_t, max_connections, 32768,
          "open client connections beyond which new ones get 503 too_many_connections");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace {
struct Shutdown {
  std::vector<std::unique_ptr<sluice::Worker>>* workers;
  uint32_t drain_ms;
  bool draining = false;
};

void OnSignal(evutil_socket_t sig, short, void* arg) {
  auto* shutdown = static_cast<Shutdown*>(arg);
  if (sig == SIGINT || shutdown->draining) {
    // Ctrl-C, or a second signal: stop now.
    LOG_INFO("received signal ", sig, ", stopping now");
    for (auto& w : *shutdown->workers) w->Stop();
    return;
  }
  shutdown->draining = true;
  LOG_INFO("received signal ", sig, ", draining: no new connections, finishing requests in flight "
           "for up to ", shutdown->drain_ms / 1000, " s");
  for (auto& w : *shutdown->workers) w->Drain(shutdown->drain_ms);
}
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Sluice data plane: proxies HTTP traffic with config from the "
                               "control plane.\nUsage: sluice-dataplane --controlplane HOST:PORT "
                               "--listen HOST:PORT [--status-listen ...] [--cache-file FILE]");
  sluice::ParseFlags(argc, argv);
  sluice::LogLevel level;
  if (!sluice::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    fprintf(stderr, "invalid --log-level (use debug, info, warn or error)\n");
    return 2;
  }
  sluice::SetLogLevel(level);
  signal(SIGPIPE, SIG_IGN);

  std::string node_id = absl::GetFlag(FLAGS_node_id);
  if (node_id.empty()) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    node_id = absl::StrCat(host, "-", getpid());
  }

  int workers = absl::GetFlag(FLAGS_workers);
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (workers > 256) {
    fprintf(stderr, "--workers must be between 1 and 256\n");
    return 2;
  }
  // One event loop per worker, each with its own SO_REUSEPORT listener: the kernel spreads new
  // connections over them and no connection ever moves between threads.
  std::vector<std::unique_ptr<sluice::Worker>> pool;
  sluice::ConnectionBudget budget;
  budget.max = absl::GetFlag(FLAGS_max_connections);
  if (budget.max <= 0 || absl::GetFlag(FLAGS_drain_seconds) < 0) {
    fprintf(stderr, "--max-connections must be positive and --drain-seconds not negative\n");
    return 2;
  }
  for (int i = 0; i < workers; ++i) {
    pool.push_back(std::make_unique<sluice::Worker>(i));
    pool.back()->SetConnectionBudget(&budget);
  }
  sluice::XdsClient xds({absl::GetFlag(FLAGS_controlplane), node_id, absl::GetFlag(FLAGS_cache_file)},
                        [&pool](std::shared_ptr<const sluice::Snapshot> s) {
                          uint64_t version = s->version();
                          for (auto& w : pool) w->Publish(s);
                          // The ACK that follows means "served by every worker".
                          for (auto& w : pool) {
                            if (!w->WaitAdopted(version, 5000)) {
                              LOG_WARN("worker ", w->index(), " has not adopted version ",
                                       version, " after 5 s");
                            }
                          }
                        });
  xds.LoadCache();

  sluice::http::H1Limits limits;
  for (auto [flag, field] : {std::pair{absl::GetFlag(FLAGS_headers_timeout_ms), &limits.headers_timeout_ms},
                             std::pair{absl::GetFlag(FLAGS_body_idle_timeout_ms), &limits.body_idle_timeout_ms},
                             std::pair{absl::GetFlag(FLAGS_keepalive_timeout_ms), &limits.keepalive_timeout_ms}}) {
    if (flag <= 0) {
      fprintf(stderr, "timeouts must be positive\n");
      return 2;
    }
    *field = static_cast<uint32_t>(flag);
  }
  sluice::http::ServerOptions plain_options;
  plain_options.limits = limits;
  sluice::http::ServerOptions tls_options = plain_options;
  const std::string tls_listen = absl::GetFlag(FLAGS_tls_listen);
  if (!tls_listen.empty()) {
    // One front context for the process; each handshake switches to its certificate's context.
    tls_options.tls_front =
        sluice::tls::NewFrontContext(&sluice::http::ConnectionStarter::FindCertificate);
    if (tls_options.tls_front == nullptr) {
      LOG_ERROR("cannot create the TLS context");
      return 1;
    }
    // It lives as long as the process (handshakes may still run while the loops wind down);
    // held by a static so that leak checkers see it as reachable, not lost.
    [[maybe_unused]] static SSL_CTX* process_tls_front = nullptr;
    process_tls_front = tls_options.tls_front;
  }
  std::vector<std::unique_ptr<sluice::ProxyListener>> listeners;
  // The drain hooks below keep pointers to the elements.
  listeners.reserve(pool.size() * 2);
  for (auto& w : pool) {
    std::vector<std::pair<std::string, const sluice::http::ServerOptions*>> binds = {
        {absl::GetFlag(FLAGS_listen), &plain_options}};
    if (!tls_listen.empty()) binds.emplace_back(tls_listen, &tls_options);
    for (const auto& [address, options] : binds) {
      auto listener = sluice::ProxyListener::Bind(w.get(), address, *options);
      if (!listener.ok()) {
        LOG_ERROR(std::string(listener.status().message()));
        return 1;
      }
      listeners.push_back(*std::move(listener));
      // Closing (not just pausing) the listener takes this process out of the SO_REUSEPORT
      // group, so a new data plane on the same port receives the new connections.
      w->OnDrain([l = &listeners.back()] { l->reset(); });
    }
  }
  sluice::Worker& main_worker = *pool[0];
  std::vector<sluice::Worker*> worker_ptrs;
  for (auto& w : pool) worker_ptrs.push_back(w.get());
  auto status =
      sluice::StatusServer::Start(worker_ptrs, absl::GetFlag(FLAGS_status_listen), &xds, node_id);
  if (!status.ok()) {
    LOG_ERROR(std::string(status.status().message()));
    return 1;
  }
  Shutdown shutdown{&pool, static_cast<uint32_t>(absl::GetFlag(FLAGS_drain_seconds)) * 1000};
  event* sigterm = evsignal_new(main_worker.base(), SIGTERM, &OnSignal, &shutdown);
  event* sigint = evsignal_new(main_worker.base(), SIGINT, &OnSignal, &shutdown);
  evsignal_add(sigterm, nullptr);
  evsignal_add(sigint, nullptr);

  xds.Start();
  std::vector<std::thread> threads;
  for (size_t i = 1; i < pool.size(); ++i) {
    threads.emplace_back([w = pool[i].get()] { w->Run(); });
  }
  LOG_INFO("proxy listening on ", absl::GetFlag(FLAGS_listen),
           tls_listen.empty() ? "" : " and TLS on ", tls_listen, " (", workers, " workers, status on ",
           absl::GetFlag(FLAGS_status_listen), ", node id ", node_id, ", control plane ",
           absl::GetFlag(FLAGS_controlplane), ")");
  main_worker.Run();

  for (auto& t : threads) t.join();
  xds.Stop();
  event_free(sigterm);
  event_free(sigint);
  listeners.clear();
  status->reset();
  LOG_INFO("stopped");
  return 0;
}
