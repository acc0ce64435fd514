// sluice-dataplane: the stateless proxy. See docs/dataplane.md.
#include <event2/event.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/flags.h"
#include "common/log.h"
#include "dataplane/net/listener.h"
#include "dataplane/net/worker.h"
#include "dataplane/observability/status_server.h"
#include "dataplane/xds/xds_client.h"

ABSL_FLAG(std::string, controlplane, "127.0.0.1:8005", "control plane xDS address host:port");
ABSL_FLAG(std::string, listen, "0.0.0.0:8000", "proxy listener address");
ABSL_FLAG(std::string, status_listen, "127.0.0.1:8100", "status listener address (/status, /ready)");
ABSL_FLAG(std::string, node_id, "", "this data plane's id (default: hostname-pid)");
ABSL_FLAG(std::string, cache_file, "",
          "file where the last applied config is saved and read back at start (empty: none)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace {
void OnSignal(evutil_socket_t sig, short, void* arg) {
  LOG_INFO("received signal ", sig, ", shutting down");
  static_cast<sluice::Worker*>(arg)->Stop();
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

  sluice::Worker worker(0);
  sluice::XdsClient xds({absl::GetFlag(FLAGS_controlplane), node_id, absl::GetFlag(FLAGS_cache_file)},
                        [&worker](std::shared_ptr<const sluice::Snapshot> s) {
                          worker.Publish(std::move(s));
                        });
  xds.LoadCache();

  auto listener = sluice::ProxyListener::Bind(&worker, absl::GetFlag(FLAGS_listen), {});
  if (!listener.ok()) {
    LOG_ERROR(std::string(listener.status().message()));
    return 1;
  }
  auto status = sluice::StatusServer::Start(&worker, absl::GetFlag(FLAGS_status_listen), &xds, node_id);
  if (!status.ok()) {
    LOG_ERROR(std::string(status.status().message()));
    return 1;
  }
  event* sigterm = evsignal_new(worker.base(), SIGTERM, &OnSignal, &worker);
  event* sigint = evsignal_new(worker.base(), SIGINT, &OnSignal, &worker);
  evsignal_add(sigterm, nullptr);
  evsignal_add(sigint, nullptr);

  xds.Start();
  LOG_INFO("proxy listening on ", absl::GetFlag(FLAGS_listen), " (status on ",
           absl::GetFlag(FLAGS_status_listen), ", node id ", node_id, ", control plane ",
           absl::GetFlag(FLAGS_controlplane), ")");
  worker.Run();

  xds.Stop();
  event_free(sigterm);
  event_free(sigint);
  LOG_INFO("stopped");
  return 0;
}
