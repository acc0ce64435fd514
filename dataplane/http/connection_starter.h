#pragma once
// ConnectionStarter: a new client connection until its protocol is known. Over TLS it runs the
// handshake (SNI picks the certificate from the worker's snapshot) and reads ALPN; in cleartext
// it looks at the first bytes for the HTTP/2 client preface (prior knowledge). Then it hands the
// socket to an H1ServerConnection or an H2ServerConnection and goes away.
//
// Being a separate, small object also keeps connections that never send anything cheap.
#include <memory>

#include "dataplane/http/h1_server_connection.h"
#include "dataplane/http/h2_server_connection.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace sluice::http {

struct ServerOptions {
  H1Limits limits;
  H2Settings h2;
  // Non-null: the listener terminates TLS with this front context (see tls::NewFrontContext).
  SSL_CTX* tls_front = nullptr;
};

class ConnectionStarter final : public Deferrable, public Drainable, public StreamSocket::Callbacks {
 public:
  using StreamFactory = H1ServerConnection::StreamFactory;

  // Takes ownership of `fd`; owns itself until it hands over or closes.
  static void Start(Worker* worker, evutil_socket_t fd, ConnectionInfo info,
                    const StreamFactory& factory, const ServerOptions& options);

  // The SNI callback's certificate lookup (tls::CertificateLookup) for a handshake started here.
  static SSL_CTX* FindCertificate(void* app_data, std::string_view server_name);

  ~ConnectionStarter() override;
  // A connection accepted moments ago is most likely sending its first request right now: it is
  // not closed, but handed over already draining (that request is answered, then it closes).
  void Drain() override {}

 private:
  ConnectionStarter(Worker* worker, evutil_socket_t fd, ConnectionInfo info,
                    const StreamFactory& factory, const ServerOptions& options);
  void OnReadable() override;
  void OnClosed(int error) override { Close(); }
  void OnTlsEstablished() override;
  static void OnTimeout(evutil_socket_t, short, void* arg);
  void HandOver(bool h2);
  void Close();

  Worker* worker_;
  std::unique_ptr<StreamSocket> sock_;
  ConnectionInfo info_;
  StreamFactory factory_;
  ServerOptions options_;
  event* timer_ = nullptr;
  bool done_ = false;
};

}  // namespace sluice::http
