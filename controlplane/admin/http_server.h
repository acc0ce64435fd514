#pragma once
// AdminHttpServer: serves AdminApi over HTTP/1.1 with libevent's evhttp, on the caller's
// event_base (the admin loop). It only translates requests and responses.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controlplane/admin/admin_api.h"

struct event_base;
struct evhttp;

namespace sluice::controlplane {

class AdminHttpServer {
 public:
  // Binds `listen` ("host:port"). The error says why binding failed.
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(event_base* base,
                                                                const std::string& listen,
                                                                AdminApi* api);
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

 private:
  AdminHttpServer() = default;
  evhttp* http_ = nullptr;
  AdminApi* api_ = nullptr;
};

}  // namespace sluice::controlplane
