#pragma once
// StreamSocket: a non-blocking TCP socket on a worker's loop, with an input and an output buffer.
//
// It exists instead of libevent's bufferevent for the request path's syscall budget:
//  * the read event stays registered (level-triggered) and is only removed for backpressure, so
//    a request costs no epoll_ctl;
//  * reads go straight into the input buffer (no FIONREAD ioctl before each read);
//  * writes are not sent one by one: Write() queues bytes and asks the worker to flush the socket
//    once the current callback stack has returned, so a response head and its body leave in one
//    writev. Only a write that would block registers a write event.
#include <event2/buffer.h>
#include <event2/event.h>

#include <cstdint>
#include <string>

#include "dataplane/net/worker.h"

struct evdns_getaddrinfo_request;
typedef struct ssl_st SSL;

namespace sluice {

class StreamSocket {
 public:
  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // New bytes are in input().
    virtual void OnReadable() = 0;
    // The peer closed its side (EOF) or the socket failed; `error` is 0 for a clean EOF.
    virtual void OnClosed(int error) = 0;
    // Queued output dropped to the low watermark or below after having been above it.
    virtual void OnDrained() {}
    // For Connect(): the connection is up (error 0) or failed (errno value, or -1 for a name
    // that did not resolve).
    virtual void OnConnected(int error) {}
    // StartTls(): the handshake finished (ALPN and the peer's certificate are known). A failed
    // handshake reports OnClosed(EPROTO) instead, with tls_error() saying why.
    virtual void OnTlsEstablished() {}
  };

  static constexpr size_t kLowWatermark = 64 * 1024;

  // Wraps an accepted socket; reading starts at once.
  StreamSocket(Worker* worker, evutil_socket_t fd, Callbacks* callbacks);
  // Starts connecting to host:port (numeric or resolved through the worker's DNS).
  StreamSocket(Worker* worker, const std::string& host, int port, Callbacks* callbacks);
  ~StreamSocket();
  StreamSocket(const StreamSocket&) = delete;
  StreamSocket& operator=(const StreamSocket&) = delete;

  void set_callbacks(Callbacks* c) { callbacks_ = c; }
  evbuffer* input() { return input_; }
  evbuffer* output() { return output_; }
  evutil_socket_t fd() const { return fd_; }
  bool connected() const { return connected_; }
  bool closed() const { return closed_; }

  // Queues bytes; they are sent when the loop is back from the current callback.
  void Write(const void* data, size_t len);
  // Call after adding to output() directly.
  void ScheduleFlush();
  size_t BufferedOutput() const {
    return evbuffer_get_length(output_) + (tls_out_ != nullptr ? evbuffer_get_length(tls_out_) : 0);
  }

  void SetReadEnabled(bool enabled);
  bool read_enabled() const { return read_enabled_; }

  // Wraps the byte stream in TLS from now on. Takes ownership of `ssl`, which the caller has put
  // in connect or accept state and configured (SNI, verification, ALPN). input() and Write()
  // carry plaintext; records go through memory BIOs, so the socket I/O (one readv, batched
  // writev) stays exactly as for cleartext.
  void StartTls(SSL* ssl);
  bool tls() const { return ssl_ != nullptr; }
  bool tls_established() const { return tls_established_; }
  const SSL* ssl() const { return ssl_; }
  const std::string& tls_error() const { return tls_error_; }

  // Closes the descriptor; pending output is dropped. No callback is called afterwards.
  void Close();

  // Worker use: sends what is queued.
  void Flush();

 private:
  static void OnReadEvent(evutil_socket_t, short, void* arg);
  static void OnWriteEvent(evutil_socket_t, short, void* arg);
  static void OnResolved(int result, evutil_addrinfo* res, void* arg);
  static void OnErrorEvent(evutil_socket_t, short, void* arg);
  void ReportConnectError(int err);
  void StartConnect(const sockaddr* addr, socklen_t len);
  void FinishConnect();
  void HandleRead();
  // TLS: moves ciphertext in/out of the memory BIOs and decrypts into input_. Returns false when
  // the connection failed (OnClosed was called).
  bool TlsDecrypt(bool* got_data, bool* peer_closed);
  void TlsEncrypt();
  void TlsFail();
  void DrainTlsOutput();
  // The buffer that goes to the socket: output_ for cleartext, the records for TLS.
  evbuffer* wire_out() { return ssl_ != nullptr ? tls_out_ : output_; }

  Worker* worker_;
  Callbacks* callbacks_;
  evutil_socket_t fd_ = -1;
  evbuffer* input_;
  evbuffer* output_;
  event* read_ev_ = nullptr;
  event* write_ev_ = nullptr;
  event* error_ev_ = nullptr;
  int connect_error_ = 0;
  ::evdns_getaddrinfo_request* dns_request_ = nullptr;
  int port_ = 0;
  bool connected_ = false;
  bool connecting_ = false;
  bool read_enabled_ = true;
  bool write_pending_ = false;  // a write event is registered
  bool above_watermark_ = false;
  bool flush_queued_ = false;
  bool closed_ = false;

  SSL* ssl_ = nullptr;
  evbuffer* tls_out_ = nullptr;
  bool tls_established_ = false;
  std::string tls_error_;

  friend class Worker;
};

}  // namespace sluice
