#include "dataplane/net/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/net.h"
#include "dataplane/proxy/proxy_stream.h"

namespace sluice {

absl::Status ParseSocketAddress(const std::string& address, sockaddr_storage* out, int* len) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", address, "': ", hp.status().message()));
  }
  std::string text = absl::StrCat(hp->host.find(':') != std::string::npos ? "[" : "", hp->host,
                                  hp->host.find(':') != std::string::npos ? "]" : "", ":",
                                  hp->port);
  *len = sizeof(sockaddr_storage);
  memset(out, 0, sizeof *out);
  if (evutil_parse_sockaddr_port(text.c_str(), reinterpret_cast<sockaddr*>(out), len) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid address '", address, "': the host must be an IP address"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProxyListener>> ProxyListener::Bind(Worker* worker,
                                                                   const std::string& address,
                                                                   http::ServerOptions options) {
  sockaddr_storage ss;
  int len = 0;
  if (auto s = ParseSocketAddress(address, &ss, &len); !s.ok()) return s;
  auto l = std::unique_ptr<ProxyListener>(new ProxyListener(worker, options));
  l->listener_ = evconnlistener_new_bind(worker->base(), &OnAccept, l.get(),
                                         LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE,
                                         1024,
                                         reinterpret_cast<sockaddr*>(&ss), len);
  if (l->listener_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", strerror(errno)));
  }
  evconnlistener_set_error_cb(l->listener_, &OnError);
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(evconnlistener_get_fd(l->listener_), reinterpret_cast<sockaddr*>(&bound), &blen);
  l->port_ = ntohs(bound.ss_family == AF_INET6
                       ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return l;
}

ProxyListener::ProxyListener(Worker* worker, http::ServerOptions options)
    : worker_(worker),
      options_(options),
      factory_([worker](http::ResponseEncoder* enc) {
        return std::make_unique<ProxyStream>(worker, enc);
      }) {}

ProxyListener::~ProxyListener() {
  if (listener_ != nullptr) evconnlistener_free(listener_);
}

void ProxyListener::OnAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int,
                             void* arg) {
  auto* self = static_cast<ProxyListener*>(arg);
  char ip[INET6_ADDRSTRLEN] = "";
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(addr)->sin_addr, ip, sizeof ip);
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(addr)->sin6_addr, ip, sizeof ip);
  }
  Worker* worker = self->worker_;
  if (worker->AtConnectionLimit()) {
    // Best effort, without waiting: the socket buffer of a new connection takes this at once.
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: 81\r\nConnection: close\r\n\r\n"
        "{\"code\":\"too_many_connections\",\"message\":\"connection limit reached; retry later\"}";
    ssize_t n = send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    evutil_closesocket(fd);
    return;
  }
  // The connection owns itself and is destroyed (deferred) when it closes.
  http::ConnectionStarter::Start(worker, fd, http::ConnectionInfo{ip, self->port_, false},
                                 self->factory_, self->options_);
}

void ProxyListener::OnError(evconnlistener*, void*) {
  // EMFILE and friends: log and keep listening; accept resumes when descriptors free up.
  LOG_ERROR("accept failed: ", strerror(errno));
}

}  // namespace sluice
