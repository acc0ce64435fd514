#pragma once
// XdsClient: keeps one gRPC stream to the control plane open (reconnecting with backoff), applies
// each snapshot or delta, compiles it, publishes it to the workers, saves it to the cache file,
// and ACKs it — or NACKs it and keeps the config it has.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "common/config_set.h"
#include "dataplane/config/snapshot.h"

namespace grpc {
class ClientContext;
}

namespace sluice {

class XdsClient {
 public:
  struct Options {
    std::string controlplane;  // host:port
    std::string node_id;
    std::string cache_file;    // empty: no cache
  };
  struct Status {
    uint64_t version = 0;
    bool connected = false;
    std::string last_error;
    int64_t last_update_unix = 0;
    int64_t connected_since_unix = 0;
  };
  using PublishFn = std::function<void(std::shared_ptr<const Snapshot>)>;

  XdsClient(Options options, PublishFn publish);
  ~XdsClient();

  // Loads and publishes the cache file, if there is a valid one. Logs and ignores a bad one.
  void LoadCache();
  void Start();
  void Stop();
  Status status() const;

 private:
  void Run();
  // One stream, until it fails or Stop(). Returns true if it received at least one response.
  bool RunStream();
  // Applies a response; returns an empty string on success, else the reason to NACK.
  std::string Apply(const discovery::v1::DiscoveryResponse& response);
  void Adopt(ConfigSet config, std::shared_ptr<const Snapshot> snapshot);

  Options options_;
  PublishFn publish_;
  ConfigSet config_;  // xDS thread only (and LoadCache before Start)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace sluice
