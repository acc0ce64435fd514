#pragma once
// H2ServerConnection: one client connection speaking HTTP/2 (nghttp2), over TLS (ALPN "h2") or
// cleartext with prior knowledge. Each stream is a request handed to its own StreamHandler, so
// many requests share the connection; responses are multiplexed back as their bytes arrive.
//
// Memory stays bounded whatever the client does: request bodies are acknowledged (stream
// WINDOW_UPDATE) only while the handler accepts more, response bytes wait in a per-stream buffer
// that the handler keeps under its watermark, and no frame is produced while the socket already
// holds more than kMaxSocketOutput for a client that does not read.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/http/codec.h"
#include "dataplane/http/h1_server_connection.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"

namespace sluice::http {

struct H2Settings {
  uint32_t max_concurrent_streams = 100;
  // Per stream, as advertised in SETTINGS_INITIAL_WINDOW_SIZE.
  uint32_t initial_window_size = 64 * 1024;
  // The connection-level receive window.
  uint32_t connection_window_size = 1024 * 1024;
};

class H2ServerConnection final : public Deferrable,
                                 public Drainable,
                                 public StreamSocket::Callbacks {
 public:
  using StreamFactory = H1ServerConnection::StreamFactory;
  static constexpr size_t kMaxSocketOutput = 1024 * 1024;

  // Takes over `sock`; bytes already in its input (the client preface, read while the protocol
  // was being detected) are processed at once.
  H2ServerConnection(Worker* worker, std::unique_ptr<StreamSocket> sock, ConnectionInfo info,
                     StreamFactory factory, H1Limits limits, H2Settings settings);
  ~H2ServerConnection() override;

  // Drainable: GOAWAY, finish the streams in flight, then close.
  void Drain() override;

 private:
  class Stream;

  // StreamSocket::Callbacks
  void OnReadable() override;
  void OnClosed(int error) override;
  void OnDrained() override;

  static void OnTimer(evutil_socket_t, short, void* arg);
  static void OnResume(evutil_socket_t, short, void* arg);
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnDataChunkRecv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                             const uint8_t* data, size_t len, void* user);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static ssize_t ReadResponseData(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                  size_t length, uint32_t* flags, nghttp2_data_source* source,
                                  void* user);

  void ProcessInput();
  // Ends the connection after a fatal nghttp2 error (`lib_error`), with a GOAWAY.
  void Fail(int lib_error);
  // Serialises pending frames into the socket (until the socket holds kMaxSocketOutput).
  void SendPending();
  void StartRequest(Stream* s, bool end_stream);
  void UpdateTimer();
  void CloseNow();
  void MaybeFinishClose();

  Worker* worker_;
  std::unique_ptr<StreamSocket> sock_;
  ConnectionInfo info_;
  StreamFactory factory_;
  H1Limits limits_;
  H2Settings settings_;
  nghttp2_session* session_ = nullptr;
  event* timer_ev_ = nullptr;
  event* resume_ev_ = nullptr;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  // Streams whose response buffer fell below the low watermark during a send.
  std::vector<int32_t> drained_;
  uint64_t requests_started_ = 0;
  bool sending_ = false;
  bool draining_ = false;
  // A fatal protocol error: the GOAWAY is on its way out and the connection closes after it.
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace sluice::http
