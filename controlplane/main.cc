// sluice-controlplane: stores the configuration (RocksDB), serves the admin REST API and streams
// the configuration to data planes over gRPC.
#include <event2/event.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "controlplane/admin/admin_api.h"
#include "controlplane/admin/http_server.h"
#include "controlplane/store/store.h"
#include "controlplane/xds/node_registry.h"
#include "controlplane/xds/xds_server.h"

ABSL_FLAG(std::string, admin_listen, "127.0.0.1:8001", "admin REST API address host:port");
ABSL_FLAG(std::string, xds_listen, "127.0.0.1:8005", "config stream (gRPC) address host:port");
ABSL_FLAG(std::string, data_dir, "./sluice-data", "RocksDB directory (created if missing)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");

namespace {

// Abseil spells flags with underscores; our documented spelling uses dashes
// (--admin-listen). Accept both by rewriting the flag names before parsing.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a.compare(0, 2, "--") == 0) {
      size_t end = a.find('=');
      if (end == std::string::npos) end = a.size();
      for (size_t j = 2; j < end; ++j)
        if (a[j] == '-') a[j] = '_';
    }
    if (a == "--") {
      // Everything after "--" is positional; keep it as given.
      for (; i < argc; ++i) args.emplace_back(argv[i]);
      break;
    }
    args.push_back(std::move(a));
  }
  return args;
}

void OnSignal(evutil_socket_t sig, short, void* arg) {
  LOG_INFO("received signal ", sig, ", shutting down");
  event_base_loopexit(static_cast<event_base*>(arg), nullptr);
}

int Fail(const std::string& message) {
  LOG_ERROR(message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Sluice control plane: stores the configuration and streams it to data planes.\n"
      "Usage: sluice-controlplane [--admin-listen HOST:PORT] [--xds-listen HOST:PORT] "
      "[--data-dir DIR] [--log-level LEVEL]");
  std::vector<std::string> args = NormalizeFlagNames(argc, argv);
  std::vector<char*> arg_ptrs;
  for (auto& a : args) arg_ptrs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());

  sluice::LogLevel level;
  if (!sluice::ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    fprintf(stderr, "invalid --log-level '%s' (use debug, info, warn or error)\n",
            absl::GetFlag(FLAGS_log_level).c_str());
    return 1;
  }
  sluice::SetLogLevel(level);
  signal(SIGPIPE, SIG_IGN);

  using namespace sluice::controlplane;
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(data_dir);
  if (!store.ok()) return Fail(std::string(store.status().message()));
  LOG_INFO("store opened at ", data_dir, ": version ", (*store)->version(), ", ",
           (*store)->config().size(), " resources");

  NodeRegistry nodes;
  XdsServer xds((*store)->config(), &nodes);
  (*store)->SetObserver(&xds);

  const std::string xds_listen = absl::GetFlag(FLAGS_xds_listen);
  grpc::ServerBuilder builder;
  int xds_port = 0;
  builder.AddListeningPort(xds_listen, grpc::InsecureServerCredentials(), &xds_port);
  builder.RegisterService(&xds);
  // Without this a second control plane could share the port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Notice dead data planes: ping every 10 s, drop the stream after 5 s without an answer.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Let data planes keep their own keepalive as short as 5 s without being sent GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || xds_port == 0)
    return Fail("cannot listen on --xds-listen " + xds_listen + " (address in use or invalid?)");
  LOG_INFO("xds listening on ", xds_listen);

  event_base* base = event_base_new();
  if (base == nullptr) return Fail("event_base_new failed");
  AdminApi api(store->get(), &nodes);
  const std::string admin_listen = absl::GetFlag(FLAGS_admin_listen);
  absl::StatusOr<std::unique_ptr<AdminHttpServer>> http =
      AdminHttpServer::Start(base, admin_listen, &api);
  if (!http.ok()) {
    xds.Stop();
    grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    event_base_free(base);
    return Fail(std::string(http.status().message()));
  }
  LOG_INFO("admin API listening on ", admin_listen);

  event* sigterm = evsignal_new(base, SIGTERM, &OnSignal, base);
  event* sigint = evsignal_new(base, SIGINT, &OnSignal, base);
  event_add(sigterm, nullptr);
  event_add(sigint, nullptr);

  event_base_dispatch(base);

  http->reset();
  event_free(sigterm);
  event_free(sigint);
  event_base_free(base);
  (*store)->SetObserver(nullptr);
  xds.Stop();
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc_server->Wait();
  store->reset();
  LOG_INFO("stopped");
  return 0;
}
