#pragma once
// ProxyListener: accepts client connections on one address for one worker (cleartext, or TLS
// when options.tls_front is set) and hands each to a ConnectionStarter, which picks HTTP/1.1 or
// HTTP/2 and passes the socket on to a connection that proxies its requests.
#include <event2/listener.h>

#include <string>

#include "absl/status/statusor.h"
#include "dataplane/http/connection_starter.h"
#include "dataplane/net/worker.h"

namespace sluice {

class ProxyListener {
 public:
  static absl::StatusOr<std::unique_ptr<ProxyListener>> Bind(Worker* worker,
                                                             const std::string& address,
                                                             http::ServerOptions options);
  ~ProxyListener();
  int port() const { return port_; }

 private:
  ProxyListener(Worker* worker, http::ServerOptions options);
  static void OnAccept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  static void OnError(evconnlistener* l, void* arg);

  Worker* worker_;
  http::ServerOptions options_;
  http::ConnectionStarter::StreamFactory factory_;
  evconnlistener* listener_ = nullptr;
  int port_ = 0;
};

// Resolves "host:port" (numeric host) into a socket address.
absl::Status ParseSocketAddress(const std::string& address, sockaddr_storage* out, int* len);

}  // namespace sluice
