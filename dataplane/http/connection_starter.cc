#include "dataplane/http/connection_starter.h"

#include <event2/buffer.h>
#include <openssl/ssl.h>

#include <cstring>

#include "common/log.h"
#include "dataplane/tls/server_certificates.h"

namespace sluice::http {

namespace {
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceLen = sizeof kPreface - 1;
}  // namespace

void ConnectionStarter::Start(Worker* worker, evutil_socket_t fd, ConnectionInfo info,
                              const StreamFactory& factory, const ServerOptions& options) {
  new ConnectionStarter(worker, fd, std::move(info), factory, options);
}

ConnectionStarter::ConnectionStarter(Worker* worker, evutil_socket_t fd, ConnectionInfo info,
                                     const StreamFactory& factory, const ServerOptions& options)
    : worker_(worker), info_(std::move(info)), factory_(factory), options_(options) {
  sock_ = std::make_unique<StreamSocket>(worker_, fd, this);
  worker_->AddConnection(this);
  timer_ = evtimer_new(worker_->base(), &OnTimeout, this);
  // The handshake and the first request head share the headers timeout (slowloris over TLS).
  uint32_t ms = options_.limits.headers_timeout_ms;
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(timer_, &tv);
  if (options_.tls_front != nullptr) {
    info_.tls = true;
    SSL* ssl = SSL_new(options_.tls_front);
    SSL_set_accept_state(ssl);
    SSL_set_app_data(ssl, this);
    sock_->StartTls(ssl);
  }
}

ConnectionStarter::~ConnectionStarter() {
  if (timer_ != nullptr) event_free(timer_);
}

SSL_CTX* ConnectionStarter::FindCertificate(void* app_data, std::string_view server_name) {
  auto* self = static_cast<ConnectionStarter*>(app_data);
  const std::shared_ptr<const Snapshot>& snap = self->worker_->snapshot();
  if (snap == nullptr || snap->certificates() == nullptr) return nullptr;
  return snap->certificates()->Find(server_name);
}

void ConnectionStarter::OnTimeout(evutil_socket_t, short, void* arg) {
  static_cast<ConnectionStarter*>(arg)->Close();
}

void ConnectionStarter::OnTlsEstablished() {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(sock_->ssl(), &proto, &len);
  HandOver(len == 2 && memcmp(proto, "h2", 2) == 0);
}

void ConnectionStarter::OnReadable() {
  if (done_ || sock_->tls()) return;  // over TLS, ALPN decides (OnTlsEstablished)
  evbuffer* in = sock_->input();
  size_t have = evbuffer_get_length(in);
  size_t n = have < kPrefaceLen ? have : kPrefaceLen;
  const char* head = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ev_ssize_t>(n)));
  if (memcmp(head, kPreface, n) != 0) {
    HandOver(false);
  } else if (n == kPrefaceLen) {
    HandOver(true);
  }
  // Otherwise a prefix of the preface: wait for the rest.
}

void ConnectionStarter::HandOver(bool h2) {
  if (done_) return;
  done_ = true;
  evtimer_del(timer_);
  worker_->RemoveConnection(this);
  Drainable* conn;
  if (h2) {
    conn = new H2ServerConnection(worker_, std::move(sock_), info_, factory_, options_.limits,
                                  options_.h2);
  } else {
    conn = new H1ServerConnection(worker_, std::move(sock_), info_, factory_, options_.limits);
  }
  if (worker_->draining()) conn->Drain();
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

void ConnectionStarter::Close() {
  if (done_) return;
  done_ = true;
  evtimer_del(timer_);
  if (sock_->tls() && !sock_->tls_error().empty()) {
    LOG_DEBUG("TLS handshake from ", info_.client_ip, " failed: ", sock_->tls_error());
  }
  sock_->Close();
  worker_->RemoveConnection(this);
  worker_->DeferDelete(std::unique_ptr<Deferrable>(this));
}

}  // namespace sluice::http
