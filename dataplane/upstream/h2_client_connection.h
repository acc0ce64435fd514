#pragma once
// H2ClientConnection: one HTTP/2 connection (nghttp2 client session) to a target, in cleartext
// with prior knowledge or over TLS with ALPN "h2", carrying many requests at once. Each request is
// an H2ClientStream. The pool gives a connection new streams while it has a free slot under the
// server's SETTINGS_MAX_CONCURRENT_STREAMS and has not received GOAWAY.
//
// Memory stays bounded both ways: a request body waits in its stream's buffer only until the
// server's flow-control window takes it (the proxy pauses the client above 1 MiB); response DATA
// for a stream whose client is slow is kept (not acknowledged with WINDOW_UPDATE) up to the
// stream window, so the server stops sending; no frame is produced while the socket already holds
// kMaxSocketOutput.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/http/headers.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"
#include "dataplane/upstream/upstream_peer.h"
#include "dataplane/upstream/upstream_stream.h"

namespace sluice {

class ConnectionPool;
class H2ClientConnection;

class H2ClientStream final : public UpstreamStream, public Deferrable {
 public:
  ~H2ClientStream() override;

  // UpstreamStream
  bool ready() const override;
  void SendHeaders(const UpstreamRequest& request, bool end_stream) override;
  void SendData(const char* data, size_t len, bool end_stream) override;
  size_t BufferedBytes() const override;
  void SetReadEnabled(bool enabled) override;
  void Release() override;
  void Abort() override;
  bool safe_to_retry() const override { return safe_to_retry_; }
  std::string_view error_detail() const override { return error_detail_; }

 private:
  friend class H2ClientConnection;
  H2ClientStream(Worker* worker, H2ClientConnection* conn, UpstreamHandler* handler,
                 const UpstreamTimeouts& timeouts, bool reused_connection);

  enum class TimerPhase { kNone, kWrite, kRead };
  void ArmTimer(TimerPhase phase);
  static void OnTimer(evutil_socket_t, short, void* arg);
  static void OnNotify(evutil_socket_t, short, void* arg);
  // Reports `error` to the handler from the loop (never from inside a call the proxy made).
  void FailLater(UpstreamError error, bool safe_to_retry, std::string detail);
  void NotifyDrainedLater();
  // Hands buffered response bytes, trailers and the end to the handler while reading is on.
  void Deliver();
  // The connection forgets the stream (closed by nghttp2, or the connection is gone).
  void Detach();
  void MaybeDestroy();

  Worker* worker_;
  H2ClientConnection* conn_;
  UpstreamHandler* handler_;
  UpstreamTimeouts timeouts_;
  event* timer_ = nullptr;
  event* notify_ev_ = nullptr;
  TimerPhase timer_phase_ = TimerPhase::kNone;
  int32_t id_ = -1;  // assigned by SendHeaders
  // Request body not yet taken by nghttp2 (waits for the flow-control window).
  evbuffer* body_;
  bool body_end_ = false;
  bool data_deferred_ = false;
  bool above_low_watermark_ = false;
  bool request_sent_ = false;  // END_STREAM went out
  // Response.
  int status_ = 0;
  http::HeaderMap headers_;
  http::HeaderMap trailers_;
  size_t header_bytes_ = 0;
  bool headers_delivered_ = false;
  bool has_trailers_ = false;
  evbuffer* pending_response_ = nullptr;  // DATA held while reading is off
  bool read_enabled_ = true;
  bool remote_ended_ = false;  // END_STREAM received
  bool complete_delivered_ = false;
  bool delivering_ = false;
  bool response_bytes_ = false;
  bool reused_connection_;
  // Lifecycle.
  bool closed_ = false;    // nghttp2 closed it (or never opened it), or the connection is gone
  bool released_ = false;  // the handler let go
  bool destroy_queued_ = false;
  bool failed_ = false;
  UpstreamError pending_error_ = UpstreamError::kReset;
  bool error_pending_ = false;
  bool drain_pending_ = false;
  bool safe_to_retry_ = false;
  std::string error_detail_;
};

class H2ClientConnection final : public Deferrable, public StreamSocket::Callbacks {
 public:
  static constexpr size_t kMaxSocketOutput = 1024 * 1024;
  // Response bytes a stream may hold for a slow client before the server must stop.
  static constexpr int32_t kStreamWindow = 256 * 1024;
  static constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;
  // Response head (and trailers) size, as HTTP/1.1 upstreams are held to by http-parser.
  static constexpr size_t kMaxHeaderBytes = 80 * 1024;

  // Starts connecting to `peer` (`peer.host` is copied; `peer.tls` is used only while connecting).
  H2ClientConnection(Worker* worker, ConnectionPool* pool, const UpstreamPeer& peer,
                     const UpstreamTimeouts& timeouts);
  ~H2ClientConnection() override;

  // True while the pool may add a stream: not closing, no GOAWAY, a free slot. Before the
  // server's SETTINGS arrive, `assumed_limit` stands in for its MAX_CONCURRENT_STREAMS.
  bool CanTakeStream(uint32_t assumed_limit) const;
  H2ClientStream* NewStream(UpstreamHandler* handler, const UpstreamTimeouts& timeouts);

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  uint64_t tls_id() const { return tls_id_; }
  bool connected() const { return session_ != nullptr && !closed_; }
  size_t stream_count() const { return streams_.size(); }

 private:
  friend class H2ClientStream;

  // StreamSocket::Callbacks
  void OnReadable() override;
  void OnClosed(int error) override;
  void OnDrained() override;
  void OnConnected(int error) override;
  void OnTlsEstablished() override;

  static void OnTimer(evutil_socket_t, short, void* arg);
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnDataChunkRecv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                             const uint8_t* data, size_t len, void* user);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static ssize_t ReadRequestData(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                 size_t length, uint32_t* flags, nghttp2_data_source* source,
                                 void* user);

  void StartSession();
  // Serialises pending frames into the socket; deferred while nghttp2 is calling us.
  void SendPending();
  // Fails every stream and closes; the pool forgets the connection.
  void FailAll(UpstreamError error, std::string detail);
  void RemoveStream(H2ClientStream* s);
  void MaybeFinish();
  void Close();
  H2ClientStream* StreamOf(int32_t stream_id) const;

  Worker* worker_;
  ConnectionPool* pool_;
  std::string host_;
  int port_;
  const UpstreamTlsContext* tls_;
  uint64_t tls_id_;
  std::unique_ptr<StreamSocket> sock_;
  nghttp2_session* session_ = nullptr;
  event* timer_ = nullptr;
  enum class TimerPhase { kNone, kConnect, kIdle } timer_phase_ = TimerPhase::kNone;
  // Streams that count against the server's limit: waiting for the connection, or open.
  std::vector<H2ClientStream*> streams_;
  uint64_t streams_started_ = 0;
  bool settings_received_ = false;
  bool goaway_received_ = false;
  int32_t goaway_last_stream_id_ = 0;
  // Inside nghttp2_session_mem_recv/mem_send: sending waits for the outer loop.
  bool in_nghttp2_ = false;
  bool closed_ = false;
};

}  // namespace sluice
