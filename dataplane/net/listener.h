#pragma once
// ProxyListener: accepts client connections on one address for one worker and hands each to an
// HTTP/1.1 connection that proxies its requests.
#include <event2/listener.h>

#include <string>

#include "absl/status/statusor.h"
#include "dataplane/http/h1_server_connection.h"
#include "dataplane/net/worker.h"

namespace sluice {

class ProxyListener {
 public:
  static absl::StatusOr<std::unique_ptr<ProxyListener>> Bind(Worker* worker,
                                                             const std::string& address,
                                                             http::H1Limits limits);
  ~ProxyListener();
  int port() const { return port_; }

 private:
  ProxyListener(Worker* worker, http::H1Limits limits) : worker_(worker), limits_(limits) {}
  static void OnAccept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  static void OnError(evconnlistener* l, void* arg);

  Worker* worker_;
  http::H1Limits limits_;
  evconnlistener* listener_ = nullptr;
  int port_ = 0;
};

// Resolves "host:port" (numeric host) into a socket address.
absl::Status ParseSocketAddress(const std::string& address, sockaddr_storage* out, int* len);

}  // namespace sluice
