#pragma once
// XdsServer: sluice.discovery.v1.ConfigDiscovery/Stream, following the contract at the top of
// discovery.proto. Each stream gets a SNAPSHOT on its first request, then one DELTA at a time:
// the next response goes out once the previous one was ACKed or NACKed, and carries everything
// committed meanwhile (several versions coalesce into one delta).
//
// Threads: the gRPC handler thread reads requests; one writer thread per stream builds and
// writes responses. Commits (OnCommit, on the admin loop) only update the history under a short
// lock and wake writers, so a slow data plane never holds up the admin API.
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/store/store.h"
#include "controlplane/xds/config_history.h"
#include "controlplane/xds/node_registry.h"
#include "sluice/discovery/v1/discovery.grpc.pb.h"

namespace sluice::controlplane {

class XdsServer final : public discovery::v1::ConfigDiscovery::Service, public CommitObserver {
 public:
  XdsServer(const ConfigSet& initial, NodeRegistry* nodes, size_t max_log_versions = 10000);
  ~XdsServer() override;

  grpc::Status Stream(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<discovery::v1::DiscoveryResponse,
                                               discovery::v1::DiscoveryRequest>* stream) override;

  void OnCommit(uint64_t version, const ChangeSet& change) override;

  // Cancels every stream and stops their writers; call before grpc::Server::Shutdown so it does
  // not wait for its deadline.
  void Stop();

 private:
  struct StreamState;
  void WriteLoop(StreamState* s, grpc::ServerReaderWriter<discovery::v1::DiscoveryResponse,
                                                          discovery::v1::DiscoveryRequest>* stream);
  std::string NextNonce();

  NodeRegistry* nodes_;
  absl::Mutex history_mu_;
  ConfigHistory history_ ABSL_GUARDED_BY(history_mu_);
  // Mirrors history_.version() so writers can check for news without the history lock.
  std::atomic<uint64_t> latest_version_;
  absl::Mutex streams_mu_;
  std::set<StreamState*> streams_ ABSL_GUARDED_BY(streams_mu_);
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> nonce_counter_{0};
  const std::string nonce_prefix_;
};

}  // namespace sluice::controlplane
