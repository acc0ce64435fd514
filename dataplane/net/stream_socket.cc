#include "dataplane/net/stream_socket.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace sluice {

namespace {
// One read takes at most this much; a busy connection simply gets another read event.
constexpr size_t kReadChunk = 16 * 1024;

void SetNoDelay(evutil_socket_t fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
}  // namespace

StreamSocket::StreamSocket(Worker* worker, evutil_socket_t fd, Callbacks* callbacks)
    : worker_(worker), callbacks_(callbacks), fd_(fd) {
  input_ = evbuffer_new();
  output_ = evbuffer_new();
  evutil_make_socket_nonblocking(fd_);
  SetNoDelay(fd_);
  connected_ = true;
  read_ev_ = event_new(worker_->base(), fd_, EV_READ | EV_PERSIST, &OnReadEvent, this);
  write_ev_ = event_new(worker_->base(), fd_, EV_WRITE, &OnWriteEvent, this);
  event_add(read_ev_, nullptr);
}

StreamSocket::StreamSocket(Worker* worker, const std::string& host, int port,
                           Callbacks* callbacks)
    : worker_(worker), callbacks_(callbacks), port_(port) {
  input_ = evbuffer_new();
  output_ = evbuffer_new();
  connecting_ = true;
  // Numeric addresses (the common case for targets) connect without a resolver round trip.
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    StartConnect(reinterpret_cast<sockaddr*>(in4), sizeof *in4);
    return;
  }
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    StartConnect(reinterpret_cast<sockaddr*>(in6), sizeof *in6);
    return;
  }
  evutil_addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  std::string port_text = std::to_string(port);
  // The callback may run before evdns_getaddrinfo returns (cached answers, immediate errors).
  dns_request_ = evdns_getaddrinfo(worker_->dns(), host.c_str(), port_text.c_str(), &hints,
                                   &OnResolved, this);
}

StreamSocket::~StreamSocket() {
  Close();
  evbuffer_free(input_);
  evbuffer_free(output_);
  if (tls_out_ != nullptr) evbuffer_free(tls_out_);
}

void StreamSocket::StartTls(SSL* ssl) {
  ssl_ = ssl;
  tls_out_ = evbuffer_new();
  // Memory BIOs: OpenSSL never touches the descriptor, so reads and writes keep our batching.
  SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (!SSL_is_server(ssl_) && connected_) {
    bool got = false, peer_closed = false;
    TlsDecrypt(&got, &peer_closed);  // sends the ClientHello
  }
}

void StreamSocket::DrainTlsOutput() {
  BIO* wbio = SSL_get_wbio(ssl_);
  char* data = nullptr;
  long n = BIO_get_mem_data(wbio, &data);
  if (n > 0) {
    evbuffer_add(tls_out_, data, static_cast<size_t>(n));
    (void)BIO_reset(wbio);
  }
}

void StreamSocket::TlsFail() {
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    tls_error_ = buf;
  } else {
    tls_error_ = "TLS protocol error";
  }
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    tls_error_ += ": ";
    tls_error_ += X509_verify_cert_error_string(verify);
  }
  ERR_clear_error();
  // The alert OpenSSL queued tells the peer why; send it without waiting.
  DrainTlsOutput();
  while (evbuffer_get_length(tls_out_) > 0) {
    evbuffer_iovec v;
    if (evbuffer_peek(tls_out_, -1, nullptr, &v, 1) < 1) break;
    ssize_t n = send(fd_, v.iov_base, v.iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    evbuffer_drain(tls_out_, static_cast<size_t>(n));
  }
  evbuffer_drain(tls_out_, evbuffer_get_length(tls_out_));
  event_del(read_ev_);
  callbacks_->OnClosed(EPROTO);
}

bool StreamSocket::TlsDecrypt(bool* got_data, bool* peer_closed) {
  ERR_clear_error();
  if (!tls_established_) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        TlsFail();
        return false;
      }
      DrainTlsOutput();
      if (evbuffer_get_length(tls_out_) > 0) ScheduleFlush();
      return true;
    }
    tls_established_ = true;
    DrainTlsOutput();
    callbacks_->OnTlsEstablished();
    if (closed_) return false;
    // Plaintext queued while the handshake ran (a client's request) can go now.
    ScheduleFlush();
  }
  for (;;) {
    evbuffer_iovec vec;
    if (evbuffer_reserve_space(input_, kReadChunk, &vec, 1) < 1) break;
    int n = SSL_read(ssl_, vec.iov_base, static_cast<int>(vec.iov_len));
    if (n > 0) {
      vec.iov_len = static_cast<size_t>(n);
      evbuffer_commit_space(input_, &vec, 1);
      *got_data = true;
      continue;
    }
    evbuffer_commit_space(input_, &vec, 0);
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      *peer_closed = true;
      break;
    }
    TlsFail();
    return false;
  }
  // Post-handshake messages (session tickets, key updates) and alerts.
  DrainTlsOutput();
  if (evbuffer_get_length(tls_out_) > 0) ScheduleFlush();
  return true;
}

void StreamSocket::TlsEncrypt() {
  // Up to one full record per SSL_write: small pieces (a head, then a body) would each become a
  // record of their own otherwise.
  constexpr size_t kRecord = 16 * 1024;
  ERR_clear_error();
  while (evbuffer_get_length(output_) > 0) {
    size_t take = std::min(evbuffer_get_length(output_), kRecord);
    const unsigned char* data = evbuffer_pullup(output_, static_cast<ev_ssize_t>(take));
    int n = SSL_write(ssl_, data, static_cast<int>(take));
    if (n <= 0) {
      // A memory BIO never blocks: this is a broken session. The read side reports the failure.
      ERR_clear_error();
      evbuffer_drain(output_, evbuffer_get_length(output_));
      break;
    }
    evbuffer_drain(output_, static_cast<size_t>(n));
  }
  DrainTlsOutput();
}

void StreamSocket::OnResolved(int result, evutil_addrinfo* res, void* arg) {
  if (result == EVUTIL_EAI_CANCEL) {
    if (res != nullptr) evutil_freeaddrinfo(res);
    return;  // Close() cancelled the lookup; the socket may be gone
  }
  auto* self = static_cast<StreamSocket*>(arg);
  self->dns_request_ = nullptr;
  if (result != 0 || res == nullptr) {
    if (res != nullptr) evutil_freeaddrinfo(res);
    LOG_WARN("cannot resolve upstream host: ", evutil_gai_strerror(result));
    self->ReportConnectError(-1);
    return;
  }
  self->StartConnect(res->ai_addr, static_cast<socklen_t>(res->ai_addrlen));
  evutil_freeaddrinfo(res);
}

void StreamSocket::StartConnect(const sockaddr* addr, socklen_t len) {
  fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  int err = 0;
  if (fd_ < 0) {
    err = errno;
  } else {
    SetNoDelay(fd_);
    read_ev_ = event_new(worker_->base(), fd_, EV_READ | EV_PERSIST, &OnReadEvent, this);
    write_ev_ = event_new(worker_->base(), fd_, EV_WRITE, &OnWriteEvent, this);
    if (connect(fd_, addr, len) == 0) {
      // Loopback may connect at once; still report from the loop.
    } else if (errno != EINPROGRESS) {
      err = errno;
    }
  }
  if (err != 0) {
    ReportConnectError(err);
    return;
  }
  // Writable means the connect finished, one way or the other.
  write_pending_ = true;
  event_add(write_ev_, nullptr);
}

void StreamSocket::ReportConnectError(int err) {
  // From the loop, never from inside the constructor: callers are not ready for re-entry.
  connect_error_ = err;
  if (error_ev_ == nullptr) error_ev_ = evtimer_new(worker_->base(), &OnErrorEvent, this);
  timeval zero{0, 0};
  evtimer_add(error_ev_, &zero);
}

void StreamSocket::OnErrorEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<StreamSocket*>(arg);
  self->connecting_ = false;
  self->callbacks_->OnConnected(self->connect_error_);
}

void StreamSocket::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  connecting_ = false;
  if (err != 0) {
    callbacks_->OnConnected(err);
    return;
  }
  connected_ = true;
  if (read_enabled_) event_add(read_ev_, nullptr);
  if (ssl_ != nullptr) {
    bool got = false, peer_closed = false;
    if (!TlsDecrypt(&got, &peer_closed)) return;  // sends the ClientHello
  }
  callbacks_->OnConnected(0);
  if (!closed_ && BufferedOutput() > 0) Flush();
}

void StreamSocket::Write(const void* data, size_t len) {
  if (closed_ || len == 0) return;
  evbuffer_add(output_, data, len);
  ScheduleFlush();
}

void StreamSocket::ScheduleFlush() {
  if (closed_ || flush_queued_ || write_pending_ || !connected_) return;
  flush_queued_ = true;
  worker_->QueueFlush(this);
}

void StreamSocket::Flush() {
  flush_queued_ = false;
  if (closed_ || !connected_) return;
  size_t before = BufferedOutput();
  if (ssl_ != nullptr && tls_established_) TlsEncrypt();
  evbuffer* out = wire_out();
  while (evbuffer_get_length(out) > 0) {
    int n = evbuffer_write(out, fd_);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_pending_) {
        write_pending_ = true;
        event_add(write_ev_, nullptr);
      }
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    // EPIPE, ECONNRESET...: the read side reports the close; stop writing.
    evbuffer_drain(out, evbuffer_get_length(out));
    break;
  }
  size_t after = BufferedOutput();
  if (after > kLowWatermark) above_watermark_ = true;
  if (after < before && after <= kLowWatermark) {
    above_watermark_ = false;
    callbacks_->OnDrained();
  }
}

void StreamSocket::OnWriteEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<StreamSocket*>(arg);
  self->write_pending_ = false;
  if (self->connecting_) {
    self->FinishConnect();
    return;
  }
  self->Flush();
}

void StreamSocket::SetReadEnabled(bool enabled) {
  if (enabled == read_enabled_) return;
  read_enabled_ = enabled;
  if (closed_ || !connected_) return;
  if (enabled) {
    event_add(read_ev_, nullptr);
  } else {
    event_del(read_ev_);
  }
}

void StreamSocket::OnReadEvent(evutil_socket_t, short, void* arg) {
  static_cast<StreamSocket*>(arg)->HandleRead();
}

void StreamSocket::HandleRead() {
  if (ssl_ != nullptr) {
    char buf[kReadChunk];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      int err = errno;
      event_del(read_ev_);
      callbacks_->OnClosed(err);
      return;
    }
    if (n == 0) {
      event_del(read_ev_);
      callbacks_->OnClosed(0);
      return;
    }
    BIO_write(SSL_get_rbio(ssl_), buf, static_cast<int>(n));
    bool got = false, peer_closed = false;
    if (!TlsDecrypt(&got, &peer_closed)) return;
    if (got) callbacks_->OnReadable();
    if (peer_closed && !closed_) {
      event_del(read_ev_);
      callbacks_->OnClosed(0);
    }
    return;
  }
  evbuffer_iovec vec[2];
  int nvec = evbuffer_reserve_space(input_, kReadChunk, vec, 2);
  if (nvec <= 0) return;
  iovec iov[2];
  for (int i = 0; i < nvec; ++i) {
    iov[i].iov_base = vec[i].iov_base;
    iov[i].iov_len = vec[i].iov_len;
  }
  ssize_t n = readv(fd_, iov, nvec);
  if (n < 0) {
    evbuffer_commit_space(input_, vec, 0);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    int err = errno;
    event_del(read_ev_);
    callbacks_->OnClosed(err);
    return;
  }
  if (n == 0) {
    evbuffer_commit_space(input_, vec, 0);
    event_del(read_ev_);
    callbacks_->OnClosed(0);
    return;
  }
  size_t left = static_cast<size_t>(n);
  for (int i = 0; i < nvec; ++i) {
    size_t take = left < vec[i].iov_len ? left : vec[i].iov_len;
    vec[i].iov_len = take;
    left -= take;
  }
  evbuffer_commit_space(input_, vec, nvec);
  callbacks_->OnReadable();
}

void StreamSocket::Close() {
  if (closed_) return;
  closed_ = true;
  if (dns_request_ != nullptr) {
    evdns_getaddrinfo_cancel(dns_request_);
    dns_request_ = nullptr;
  }
  if (flush_queued_) worker_->CancelFlush(this);
  if (read_ev_ != nullptr) event_free(read_ev_);
  if (write_ev_ != nullptr) event_free(write_ev_);
  if (error_ev_ != nullptr) event_free(error_ev_);
  read_ev_ = write_ev_ = error_ev_ = nullptr;
  if (ssl_ != nullptr) {
    if (tls_established_ && fd_ >= 0) {
      // close_notify, best effort: a peer waiting for it should not see a truncation.
      ERR_clear_error();
      SSL_shutdown(ssl_);
      ERR_clear_error();
      BIO* wbio = SSL_get_wbio(ssl_);
      char* data = nullptr;
      long n = BIO_get_mem_data(wbio, &data);
      if (n > 0 && evbuffer_get_length(tls_out_) == 0) {
        ssize_t sent = send(fd_, data, static_cast<size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)sent;
      }
    }
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) evutil_closesocket(fd_);
  fd_ = -1;
}

}  // namespace sluice
