#pragma once
// What the request-path fuzz targets (fuzz_h1_request, fuzz_h2_server) share: a real Worker with
// a test snapshot, an HTTP/1.1 upstream listening on 127.0.0.1 in the same loop, and a client
// socket (one end of a socketpair) with the helpers that run the loop until it settles.
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <http_parser.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/config/snapshot.h"
#include "dataplane/net/worker.h"

namespace sluice::fuzz {

// Names the target in failure messages ("<name>: invariant broken: ...").
void SetHarnessName(const char* name);
// A broken invariant: prints it and aborts, so libFuzzer records the input.
[[noreturn]] void Fail(const char* what, std::string_view detail);

class Upstream;

struct UpstreamPeer {
  Upstream* owner = nullptr;
  bufferevent* bev = nullptr;
  http_parser parser;
  std::string target;
  std::string body;
  std::string received;  // for the failure message
  bool close_after_flush = false;
  // Header field being parsed (for recording); a name may arrive in pieces.
  std::string field;
  std::string value;
  bool in_value = false;
  // Index in Upstream::requests() of the request being received; -1 when not recording.
  int64_t recording = -1;
};

// A request as the upstream received it (recorded only with set_recording(true)).
struct UpstreamRequest {
  // Values of the header named by set_tag_header, in order.
  std::vector<std::string> tags;
  size_t host_headers = 0;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  uint64_t body_bytes = 0;
  bool complete = false;
};

// The in-process upstream: echoes each request's body ("chunked", "close" and "nobody" in the
// path pick other response framings), or answers every request head with scripted bytes.
class Upstream {
 public:
  explicit Upstream(event_base* base);

  int port() const { return port_; }
  uint64_t activity() const { return activity_; }
  // Whole requests received since the last call.
  uint64_t TakeRequestCount();
  void set_script(std::string_view script, bool scripted) {
    script_ = script;
    scripted_ = scripted;
  }
  // While refusing, new connections are closed as soon as they are accepted.
  void set_refusing(bool refusing) { refusing_ = refusing; }
  bool idle() const { return peers_.empty(); }
  void CloseAll();

  // Recording: every request head received from now on is kept (with the values of the header
  // `tag_header`, lower case) until TakeRequests().
  void set_recording(bool on, std::string tag_header) {
    recording_ = on;
    tag_header_ = std::move(tag_header);
  }
  std::vector<UpstreamRequest> TakeRequests();

 private:
  static void OnAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  static void OnRead(bufferevent* bev, void* arg);
  static void OnWrite(bufferevent* bev, void* arg);
  static void OnEvent(bufferevent*, short, void* arg);
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);
  static void RecordField(UpstreamPeer* peer);

  void Echo(UpstreamPeer* peer, bool head);
  void Free(UpstreamPeer* peer);

  event_base* base_;
  evconnlistener* listener_ = nullptr;
  int port_ = 0;
  http_parser_settings settings_;
  std::set<UpstreamPeer*> peers_;
  std::string script_;
  bool scripted_ = false;
  bool refusing_ = false;
  uint64_t activity_ = 0;
  uint64_t requests_ = 0;
  bool recording_ = false;
  std::string tag_header_;
  std::vector<UpstreamRequest> recorded_;
};

// The snapshot: /echo, /strip, /pool, host api.example.com, ... go to the upstream at
// `echo_port`; /dead to `dead_port` (nothing listens: 502); /auth through key-auth (401 without
// the key "alice-key"); nothing else matches (404).
std::shared_ptr<const Snapshot> BuildSnapshot(int echo_port, int dead_port);

// A worker loop with the snapshot and the upstream, and one client connection at a time.
class ProxyFixture {
 public:
  // Bytes the client received; (nullptr, 0) once at EOF.
  using ClientBytes = std::function<void(const char* data, size_t len)>;

  ProxyFixture();

  Worker& worker() { return worker_; }
  Upstream& upstream() { return upstream_; }

  // A new socketpair: returns the server's end (for the connection under test); the client's
  // end stays here.
  int OpenClient(ClientBytes on_bytes);
  // Writes all of `bytes`, letting the loop run while the server does not read. False if the
  // server closed first.
  bool WriteAll(std::string_view bytes);
  // Runs the loop until it settles: a few passes in a row change nothing visible (or a bound).
  void Pump();
  // Reads what the server sent; returns bytes read.
  size_t ReadClient();
  bool client_eof() const { return client_eof_; }
  uint64_t received_bytes() const { return received_bytes_; }

  // The client half-closes; the connection must close, with the upstream's help if a request
  // still waits on it, and the upstream pool must empty. Fails with `input` in the message.
  void HalfCloseAndSettle(std::string_view input);
  // Closes the client's end and accepts upstream connections again.
  void CloseClient();

 private:
  uint64_t Fingerprint();

  Worker worker_;
  Upstream upstream_;
  int dead_fd_ = -1;
  int client_fd_ = -1;
  bool client_eof_ = false;
  uint64_t received_bytes_ = 0;
  ClientBytes on_bytes_;
};

}  // namespace sluice::fuzz
