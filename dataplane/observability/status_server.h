#pragma once
// The data plane's status listener (--status-listen): GET /status and GET /ready, for operators
// and load balancers. Runs on a worker's loop, so it reads that worker's snapshot directly.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/net/worker.h"
#include "dataplane/xds/xds_client.h"

struct evhttp;
struct evhttp_request;

namespace sluice {

class StatusServer {
 public:
  // Serves on `workers[0]`'s loop; reports what every worker has adopted.
  static absl::StatusOr<std::unique_ptr<StatusServer>> Start(const std::vector<Worker*>& workers,
                                                             const std::string& address,
                                                             const XdsClient* xds,
                                                             std::string node_id);
  ~StatusServer();

 private:
  StatusServer() = default;
  static void Handle(evhttp_request* req, void* arg);

  std::vector<Worker*> workers_;
  const XdsClient* xds_ = nullptr;
  std::string node_id_;
  evhttp* http_ = nullptr;
  int64_t started_unix_ = 0;
};

}  // namespace sluice
