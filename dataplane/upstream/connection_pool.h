#pragma once
// ConnectionPool: a worker's connections to upstream targets, keyed by host, port and TLS
// settings. HTTP/1.1 connections are owned by the pool while idle and by their request while in
// use; HTTP/2 connections are owned by the pool for their whole life and carry many requests.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/net/worker.h"
#include "dataplane/upstream/upstream_peer.h"
#include "dataplane/upstream/upstream_stream.h"

namespace sluice {

class H1ClientConnection;
class H2ClientConnection;

class ConnectionPool {
 public:
  static constexpr size_t kMaxIdlePerTarget = 256;
  static constexpr uint32_t kIdleTimeoutMs = 60000;

  explicit ConnectionPool(Worker* worker) : worker_(worker) {}
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A stream to `peer` for `handler`. Ready at once (stream->ready()) on an idle HTTP/1.1
  // connection or an HTTP/2 connection with a free stream slot; otherwise a new connection is
  // being made and the handler gets OnUpstreamConnected. `fresh` skips idle HTTP/1.1
  // connections (a replay after a pooled one turned out to be closed).
  UpstreamStream* Acquire(const UpstreamPeer& peer, UpstreamHandler* handler,
                          const UpstreamTimeouts& timeouts, bool fresh);

  // HTTP/1.1: a connection that became idle; the pool owns it from now on.
  void Park(H1ClientConnection* conn);
  // HTTP/1.1: an idle connection that the upstream closed, or that timed out.
  void Forget(H1ClientConnection* conn);
  // HTTP/2: a connection that closed (or drained after GOAWAY); deleted once the stack unwinds.
  void Forget(H2ClientConnection* conn);
  // HTTP/2: the server's SETTINGS_MAX_CONCURRENT_STREAMS, assumed for the target's next
  // connections until their own SETTINGS arrive (so that a burst does not pile onto a new
  // connection more streams than the server will take at once).
  void NoteStreamLimit(const H2ClientConnection* conn, uint32_t limit);

  size_t idle_count() const;
  // Open HTTP/2 connections (tests and status).
  size_t h2_connection_count() const;

 private:
  struct KeyView {
    std::string_view host;
    int port;
    uint64_t tls_id;
  };
  struct Key {
    std::string host;
    int port;
    uint64_t tls_id;
    operator KeyView() const { return {host, port, tls_id}; }  // NOLINT: heterogeneous lookup
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const;
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const KeyView& a, const KeyView& b) const {
      return a.port == b.port && a.tls_id == b.tls_id && a.host == b.host;
    }
  };
  static KeyView KeyOf(const UpstreamPeer& peer);

  UpstreamStream* AcquireH2(const UpstreamPeer& peer, UpstreamHandler* handler,
                            const UpstreamTimeouts& timeouts);

  Worker* worker_;
  absl::flat_hash_map<Key, std::deque<H1ClientConnection*>, KeyHash, KeyEq> idle_;
  struct H2Target {
    std::vector<H2ClientConnection*> conns;
    uint32_t stream_limit = 100;  // nghttp2's assumption before a server's SETTINGS
  };
  absl::flat_hash_map<Key, H2Target, KeyHash, KeyEq> h2_;
};

}  // namespace sluice
