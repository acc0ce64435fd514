// fuzz_h2_server: the data plane's HTTP/2 server side — ConnectionStarter (preface detection),
// the real H2ServerConnection and ProxyStream on a real Worker loop — fed from a socketpair.
//
// Input layout:
//   byte 0, byte 1    where the client bytes are cut into up to 3 writes (n * len / 256; 0: none)
//   client bytes      HTTP/2 frames, sent after the harness's own connection preface and empty
//                     SETTINGS frame (so the fuzzer spends its time on frames)
//   ["\n@@upstream@@\n" upstream bytes]
//                     optional: the in-process upstream answers every request head it receives
//                     with these bytes verbatim instead of its echo response
//
// The routes and the upstream are fuzz_h1_request's (proxy_fuzz_support.h).
//
// Checked beyond "no crash" (a broken check aborts, so libFuzzer records the input):
//  * what a request handler (ProxyStream) gets is a well-formed request: lower-case token names,
//    no connection-specific fields, no CR/LF/NUL in values, a body never longer than the
//    content-length the client announced and complete only when it has that length, no call
//    after the stream was reset;
//  * what reaches the upstream parses as HTTP/1.1 requests, each one carries the tag the harness
//    put on exactly one handed-over stream (nothing smuggled, none duplicated, never more
//    requests than streams), with one Host, and a body no longer than the client announced;
//  * what the server sends is valid HTTP/2: it is fed to an nghttp2 client session that mirrors
//    the client's state (streams opened, ended, reset, SETTINGS sent); that session must find
//    nothing to reject (no GOAWAY or RST_STREAM of its own) unless the server had already sent a
//    GOAWAY with an error;
//  * the server never closes the connection on its own without a GOAWAY first;
//  * once the client half-closes (and the upstream goes away), the connection closes, no
//    handler is left alive and the worker holds no connection.
#include <nghttp2/nghttp2.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/log.h"
#include "common/strings.h"
#include "dataplane/http/codec.h"
#include "dataplane/http/connection_starter.h"
#include "dataplane/http/headers.h"
#include "dataplane/net/worker.h"
#include "dataplane/proxy/proxy_stream.h"
#include "test/fuzz/proxy_fuzz_support.h"

namespace sluice {
namespace {

using fuzz::Fail;

constexpr std::string_view kUpstreamMarker = "\n@@upstream@@\n";
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// An empty SETTINGS frame.
constexpr std::string_view kEmptySettings{"\0\0\0\4\0\0\0\0\0", 9};
// Put on every request handed to a ProxyStream, so the upstream's requests can be traced back.
constexpr std::string_view kTagHeader = "x-sluice-fuzz-stream";

// Frame types and flags (RFC 9113 §6).
constexpr uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4,
                  kGoaway = 0x7, kContinuation = 0x9;
constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4, kPadded = 0x8,
                  kPriority = 0x20;
// The server's limits the shadow decoding must follow (SETTINGS_MAX_FRAME_SIZE is the default;
// H2ServerConnection allows 8 CONTINUATION frames per header block).
constexpr size_t kServerMaxFrame = 16384;
constexpr int kMaxContinuations = 8;

std::string Hex(std::string_view bytes, size_t max = 512) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  if (bytes.size() > max) out.append("...");
  return out;
}

uint32_t Be24(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }
uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// ---------------------------------------------------------------------------------------------
// What the client's bytes do to the client's own state, read the way the server reads them.

struct ClientAction {
  enum Kind { kOpen, kEnd, kReset, kSettings, kGoaway };
  // Offset in the client bytes where the frame that causes it ends.
  size_t end = 0;
  Kind kind = kOpen;
  int32_t stream = 0;
  std::string method;   // kOpen
  bool end_stream = false;  // kOpen
};

// Splits the client bytes into frames as the server does, decoding header blocks with an HPACK
// decoder of its own (same table size as the server's), until the first frame that the server
// must treat as a connection error.
//
// A stream opens with the first bytes of its HEADERS frame: nghttp2 decodes a header block as it
// arrives and may reset the stream before the frame is complete (a real client would have sent
// all of it by then). Its method is known once the block is complete.
std::vector<ClientAction> ReadClientFrames(std::string_view bytes) {
  std::vector<ClientAction> actions;
  nghttp2_hd_inflater* inflater = nullptr;
  nghttp2_hd_inflate_new(&inflater);
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t off = 0;
  int32_t last_opened = 0;
  bool in_block = false;
  int32_t block_stream = 0;
  bool block_end_stream = false;
  // Index in `actions` of the kOpen the current block belongs to, or -1.
  int64_t block_open = -1;
  int continuations = 0;
  std::string block;

  // Returns false when the block does not decode (the server fails the connection too).
  auto complete_block = [&](size_t end) {
    in_block = false;
    std::string method;
    const auto* in = reinterpret_cast<const uint8_t*>(block.data());
    size_t left = block.size();
    // Each pass consumes input or emits a field; the bound only guards against a decoder that
    // would do neither.
    for (size_t pass = 0; pass <= 2 * block.size() + 16; ++pass) {
      nghttp2_nv nv;
      int flags = 0;
      ssize_t n = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
      if (n < 0) return false;
      in += n;
      left -= static_cast<size_t>(n);
      if (flags & NGHTTP2_HD_INFLATE_EMIT) {
        std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
        if (name == ":method") method.assign(reinterpret_cast<const char*>(nv.value), nv.valuelen);
      }
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater);
        break;
      }
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
    }
    if (block_open >= 0) {
      actions[static_cast<size_t>(block_open)].method = method;
    } else if (block_end_stream) {
      actions.push_back({end, ClientAction::kEnd, block_stream, "", false});
    }
    return true;
  };

  while (off + 9 <= bytes.size()) {
    uint32_t len = Be24(b + off);
    uint8_t type = b[off + 3];
    uint8_t flags = b[off + 4];
    auto stream = static_cast<int32_t>(Be32(b + off + 5) & 0x7fffffffu);
    if (len > kServerMaxFrame) break;
    if (in_block && type != kContinuation) break;
    if (type == kHeaders && stream != 0) {
      block_open = -1;
      if ((stream & 1) == 1 && stream > last_opened) {
        last_opened = stream;
        block_open = static_cast<int64_t>(actions.size());
        actions.push_back({off + 9, ClientAction::kOpen, stream, "", (flags & kEndStream) != 0});
      }
    }
    if (off + 9 + len > bytes.size()) break;
    std::string_view payload = bytes.substr(off + 9, len);
    size_t end = off + 9 + len;
    off = end;
    if (type == kData) {
      if (stream == 0) break;
      if (flags & kEndStream) actions.push_back({end, ClientAction::kEnd, stream, "", false});
    } else if (type == kHeaders) {
      if (stream == 0) break;
      size_t start = 0, pad = 0;
      if (flags & kPadded) {
        if (payload.empty()) break;
        pad = static_cast<uint8_t>(payload[0]);
        start = 1;
      }
      if (flags & kPriority) start += 5;
      if (start + pad > payload.size()) break;
      block.assign(payload.substr(start, payload.size() - start - pad));
      in_block = true;
      block_stream = stream;
      block_end_stream = (flags & kEndStream) != 0;
      continuations = 0;
      if ((flags & kEndHeaders) && !complete_block(end)) break;
    } else if (type == kContinuation) {
      if (!in_block || stream != block_stream || ++continuations > kMaxContinuations) break;
      block.append(payload);
      if ((flags & kEndHeaders) && !complete_block(end)) break;
    } else if (type == kRstStream) {
      if (stream == 0) break;
      actions.push_back({end, ClientAction::kReset, stream, "", false});
    } else if (type == kSettings) {
      if (stream != 0 || len % 6 != 0) break;
      if ((flags & kAck) == 0) actions.push_back({end, ClientAction::kSettings, 0, "", false});
    } else if (type == kGoaway) {
      actions.push_back({end, ClientAction::kGoaway, 0, "", false});
    }
  }
  nghttp2_hd_inflate_del(inflater);
  return actions;
}

// ---------------------------------------------------------------------------------------------
// The client's view: an nghttp2 client session that opens, ends and resets the streams the
// fuzzed bytes do (its own output is thrown away) and validates everything the server sends.

class Mirror {
 public:
  Mirror() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &OnFrameSend);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, &OnInvalidFrame);
    nghttp2_session_callbacks_set_error_callback2(cbs, &OnError);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &OnHeader);
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    // The fuzzed client may open more streams than the server allows; the server refuses the
    // extra ones, and the mirror must have opened them to read those refusals.
    nghttp2_option_set_peer_max_concurrent_streams(opt, 0xffffffffu);
    nghttp2_session_client_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    // The harness's empty SETTINGS frame.
    SubmitSettings();
    // Flow control is the server's to respect towards the real client, whose windows the mirror
    // does not track exactly: the mirror accepts as much as HTTP/2 allows.
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, NGHTTP2_MAX_WINDOW_SIZE);
    Send();
  }
  ~Mirror() { nghttp2_session_del(session_); }
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  void Apply(const ClientAction& a) {
    switch (a.kind) {
      case ClientAction::kOpen: {
        if (nghttp2_session_set_next_stream_id(session_, a.stream) != 0) return;
        // The method matters for the response's validity (HEAD: no body; CONNECT: no length).
        std::string method = a.method == "HEAD" || a.method == "CONNECT" ? a.method : "GET";
        const nghttp2_nv nva[] = {Nv(":method", method), Nv(":scheme", "http"),
                                  Nv(":path", "/"), Nv(":authority", "fuzz")};
        nghttp2_data_provider prd;
        prd.source.ptr = this;
        prd.read_callback = &ReadBody;
        int32_t id = nghttp2_submit_request(session_, nullptr, nva, 4,
                                            a.end_stream ? nullptr : &prd, nullptr);
        if (id == a.stream && !a.end_stream) open_bodies_.insert(id);
        break;
      }
      case ClientAction::kEnd:
        if (open_bodies_.count(a.stream) != 0) {
          ended_.insert(a.stream);
          nghttp2_session_resume_data(session_, a.stream);
        }
        break;
      case ClientAction::kReset:
        own_resets_.insert(a.stream);
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, a.stream, NGHTTP2_CANCEL);
        break;
      case ClientAction::kSettings:
        SubmitSettings();
        break;
      case ClientAction::kGoaway:
        break;
    }
    Send();
  }

  // Server bytes; whole frames go to the session one at a time.
  void Receive(const char* data, size_t len) {
    pending_.append(data, len);
    size_t off = 0;
    while (error_.empty() && pending_.size() - off >= 9) {
      auto* f = reinterpret_cast<uint8_t*>(pending_.data() + off);
      size_t frame_len = 9 + Be24(f);
      if (pending_.size() - off < frame_len) break;
      uint8_t type = f[3];
      if (type == kGoaway && frame_len >= 17) {
        server_goaway_ = true;
        if (Be32(f + 13) != NGHTTP2_NO_ERROR) server_goaway_error_ = true;
      }
      if (type == kSettings && (f[4] & kAck) == 0) {
        // The mirror keeps opening what the client opens (see the constructor).
        for (size_t e = 9; e + 6 <= frame_len; e += 6) {
          if (f[e] == 0 && f[e + 1] == NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) {
            f[e + 2] = f[e + 3] = f[e + 4] = f[e + 5] = 0xff;
          }
        }
      }
      ++frames_;
      if (frame_log_.size() < 4096) {
        static const char* names[] = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
                                      "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE",
                                      "CONTINUATION"};
        frame_log_ += std::string(type < 10 ? names[type] : "?") + " stream " +
                      std::to_string(Be32(f + 5) & 0x7fffffffu) + " flags " +
                      std::to_string(f[4]) + " length " + std::to_string(frame_len - 9) + "\n";
      }
      ssize_t n = nghttp2_session_mem_recv(session_, f, frame_len);
      if (n < 0) Error(std::string("mem_recv failed: ") + nghttp2_strerror(static_cast<int>(n)));
      off += frame_len;
      Send();
    }
    pending_.erase(0, off);
  }

  // The first thing the mirror rejected ("" if nothing), and whether the server had sent a
  // GOAWAY with an error code by then (which excuses it: the connection is over).
  const std::string& error() const { return error_; }
  bool excused() const { return excused_; }
  bool server_goaway() const { return server_goaway_; }
  uint64_t frames() const { return frames_; }
  // The response fields received so far, "stream name: value" a line.
  const std::string& fields() const { return fields_; }
  // The frames received so far, one a line.
  const std::string& frame_log() const { return frame_log_; }

 private:
  static nghttp2_nv Nv(std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
  }

  void SubmitSettings() {
    const nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, NGHTTP2_MAX_WINDOW_SIZE},
        {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, (1u << 24) - 1},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, 3);
  }

  // Throws away what the mirror would send, but sees it: a GOAWAY or RST_STREAM the mirror
  // produces by itself means it found the server's frames invalid.
  void Send() {
    for (int i = 0; i < 10000; ++i) {
      const uint8_t* out = nullptr;
      if (nghttp2_session_mem_send(session_, &out) <= 0) break;
    }
  }

  void Error(std::string what) {
    if (!error_.empty()) return;
    error_ = std::move(what);
    if (!last_detail_.empty()) error_ += " (" + last_detail_ + ")";
    excused_ = server_goaway_error_;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t*, size_t,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<Mirror*>(user);
    if (self->ended_.count(stream_id) == 0) return NGHTTP2_ERR_DEFERRED;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }

  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Mirror*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
      self->Error("the client session sends GOAWAY " +
                  std::string(nghttp2_http2_strerror(frame->goaway.error_code)));
    } else if (frame->hd.type == NGHTTP2_RST_STREAM &&
               self->own_resets_.count(frame->hd.stream_id) == 0) {
      self->Error("the client session resets stream " + std::to_string(frame->hd.stream_id) +
                  " with " + nghttp2_http2_strerror(frame->rst_stream.error_code));
    }
    return 0;
  }

  static int OnInvalidFrame(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                            void* user) {
    auto* self = static_cast<Mirror*>(user);
    self->last_detail_ = "invalid frame type " + std::to_string(frame->hd.type) + " on stream " +
                         std::to_string(frame->hd.stream_id) + ": " + nghttp2_strerror(lib_error);
    return 0;
  }

  static int OnError(nghttp2_session*, int, const char* msg, size_t len, void* user) {
    static_cast<Mirror*>(user)->last_detail_.assign(msg, len);
    return 0;
  }

  // Only the fields nghttp2 accepts reach here; a rejected one is in the error message.
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<Mirror*>(user);
    if (self->fields_.size() > 8192) return 0;
    self->fields_ += std::to_string(frame->hd.stream_id) + " " +
                     std::string(reinterpret_cast<const char*>(name), namelen) + ": " +
                     std::string(reinterpret_cast<const char*>(value), valuelen) + "\n";
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  std::string pending_;
  std::set<int32_t> open_bodies_;
  std::set<int32_t> ended_;
  std::set<int32_t> own_resets_;
  std::string error_;
  std::string last_detail_;
  std::string fields_;
  std::string frame_log_;
  bool excused_ = false;
  bool server_goaway_ = false;
  bool server_goaway_error_ = false;
  uint64_t frames_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The handler side: a ProxyStream behind a wrapper that checks what the codec hands over.

struct StreamRecord {
  bool has_content_length = false;
  uint64_t content_length = 0;
  uint64_t body = 0;
  std::string head;  // for failure messages
};

class Harness;

class CheckedStream final : public http::StreamHandler {
 public:
  CheckedStream(Harness* harness, uint64_t tag, std::unique_ptr<ProxyStream> inner);
  ~CheckedStream() override;

  void DecodeHeaders(http::RequestHead head) override;
  void DecodeData(const char* data, size_t len) override;
  void DecodeComplete() override;
  void OnDownstreamDrained() override { inner_->OnDownstreamDrained(); }
  void OnDownstreamReset() override {
    if (reset_) Fail("OnDownstreamReset called twice", record().head);
    reset_ = true;
    inner_->OnDownstreamReset();
  }

 private:
  StreamRecord& record();
  void CheckLive(const char* call) {
    if (reset_) Fail("a decode call after OnDownstreamReset", call);
    if (complete_) Fail("a decode call after DecodeComplete", call);
  }

  Harness* harness_;
  uint64_t tag_;
  std::unique_ptr<ProxyStream> inner_;
  bool headers_ = false;
  bool complete_ = false;
  bool reset_ = false;
};

class Harness {
 public:
  Harness() : verbose_(getenv("SLUICE_FUZZ_VERBOSE") != nullptr) {
    fixture_.upstream().set_recording(true, std::string(kTagHeader));
  }

  void Run(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    std::string_view client = input;
    size_t marker = input.find(kUpstreamMarker);
    if (marker != std::string_view::npos) {
      client = input.substr(0, marker);
      fixture_.upstream().set_script(input.substr(marker + kUpstreamMarker.size()), true);
    } else {
      fixture_.upstream().set_script("", false);
    }
    client_ = client;
    size_t cut1 = data[0] * client.size() / 256;
    size_t cut2 = data[1] * client.size() / 256;
    if (cut1 > cut2) std::swap(cut1, cut2);

    std::vector<ClientAction> actions = ReadClientFrames(client);
    client_goaway_ = false;
    Open();
    bool open = fixture_.WriteAll(std::string(kPreface) + std::string(kEmptySettings));
    if (open) fixture_.Pump();
    size_t next_action = 0;
    size_t cuts[] = {cut1, cut2, client.size()};
    size_t from = 0;
    for (size_t to : cuts) {
      if (!open) break;
      if (to <= from && to != client.size()) continue;
      // The client's state moves before its bytes leave (as in a real client).
      for (; next_action < actions.size() && actions[next_action].end <= to; ++next_action) {
        if (actions[next_action].kind == ClientAction::kGoaway) client_goaway_ = true;
        mirror_->Apply(actions[next_action]);
      }
      open = fixture_.WriteAll(client.substr(from, to - from));
      from = to;
      if (open) fixture_.Pump();
      CheckMirror();
    }
    // The server closing by itself must say why first (RFC 9113 §5.4.1, §6.8).
    if (fixture_.client_eof() && !mirror_->server_goaway() && !client_goaway_) {
      Fail("the server closed the connection without a GOAWAY", Describe());
    }
    fixture_.HalfCloseAndSettle(Hex(client));
    CheckMirror();
    if (live_ != 0) Fail("request handlers outlive their closed connection", Describe());
    if (fixture_.worker().connection_count() != 0) {
      Fail("the worker still counts a connection after it closed", Describe());
    }
    CheckUpstreamRequests();
    if (verbose_) {
      fprintf(stderr, "--- response fields:\n%s", mirror_->fields().c_str());
      fprintf(stderr, "--- %zu streams handed over, %llu frames from the server; mirror: %s\n",
              records_.size(), static_cast<unsigned long long>(mirror_->frames()),
              mirror_->error().empty() ? "ok" : mirror_->error().c_str());
    }
    fixture_.CloseClient();
    mirror_.reset();
  }

  StreamRecord& record(uint64_t tag) { return records_[tag]; }
  void StreamGone() { --live_; }
  std::string Describe() const { return "client bytes: " + Hex(client_); }

 private:
  void Open() {
    records_.clear();
    fixture_.upstream().TakeRequests();
    fixture_.upstream().TakeRequestCount();
    mirror_ = std::make_unique<Mirror>();
    int server_fd = fixture_.OpenClient([this](const char* data, size_t len) {
      if (data != nullptr) mirror_->Receive(data, len);
    });
    Worker* worker = &fixture_.worker();
    http::ServerOptions options;
    http::ConnectionStarter::Start(
        worker, server_fd, http::ConnectionInfo{"192.0.2.10", 8000, false},
        [this, worker](http::ResponseEncoder* enc) {
          uint64_t tag = records_.size();
          records_.emplace_back();
          ++live_;
          return std::make_unique<CheckedStream>(this, tag,
                                                 std::make_unique<ProxyStream>(worker, enc));
        },
        options);
  }

  void CheckMirror() {
    if (!mirror_->error().empty() && !mirror_->excused()) {
      Fail("the server sent the client invalid HTTP/2",
           mirror_->error() + "\nframes received:\n" + mirror_->frame_log() +
               "fields received:\n" + mirror_->fields() + Describe());
    }
  }

  void CheckUpstreamRequests() {
    std::vector<fuzz::UpstreamRequest> requests = fixture_.upstream().TakeRequests();
    uint64_t complete = fixture_.upstream().TakeRequestCount();
    if (complete > records_.size()) {
      Fail("the upstream received more requests than streams were handed over",
           std::to_string(complete) + " > " + std::to_string(records_.size()) + "; " +
               Describe());
    }
    std::set<uint64_t> seen;
    for (const fuzz::UpstreamRequest& r : requests) {
      uint64_t tag = 0;
      if (r.tags.size() != 1 || !absl::SimpleAtoi(Sv(r.tags[0]), &tag) || tag >= records_.size()) {
        Fail("the upstream received a request that is not one of the client's (smuggled)",
             Describe());
      }
      if (r.complete && !seen.insert(tag).second) {
        Fail("the upstream received a request twice", Describe());
      }
      if (r.host_headers != 1) {
        Fail("an upstream request without exactly one Host header",
             std::to_string(r.host_headers) + " Host headers; " + Describe());
      }
      const StreamRecord& s = records_[tag];
      if (s.has_content_length && r.body_bytes > s.content_length) {
        Fail("the upstream received a longer body than the client's content-length",
             std::to_string(r.body_bytes) + " > " + std::to_string(s.content_length) + "; " +
                 Describe());
      }
      if (s.has_content_length && r.has_content_length && r.content_length != s.content_length) {
        Fail("the upstream request's Content-Length differs from the client's",
             std::to_string(r.content_length) + " != " + std::to_string(s.content_length) +
                 "; " + Describe());
      }
    }
  }

  fuzz::ProxyFixture fixture_;
  std::unique_ptr<Mirror> mirror_;
  std::vector<StreamRecord> records_;
  int64_t live_ = 0;
  std::string_view client_;
  bool client_goaway_ = false;
  bool verbose_;
};

CheckedStream::CheckedStream(Harness* harness, uint64_t tag, std::unique_ptr<ProxyStream> inner)
    : harness_(harness), tag_(tag), inner_(std::move(inner)) {}

CheckedStream::~CheckedStream() {
  inner_.reset();
  harness_->StreamGone();
}

StreamRecord& CheckedStream::record() { return harness_->record(tag_); }

bool IsConnectionSpecific(std::string_view name) {
  return name == "connection" || name == "transfer-encoding" || name == "keep-alive" ||
         name == "proxy-connection" || name == "upgrade";
}

void CheckedStream::DecodeHeaders(http::RequestHead head) {
  if (headers_) Fail("DecodeHeaders called twice", harness_->Describe());
  CheckLive("DecodeHeaders");
  headers_ = true;
  StreamRecord& r = record();
  r.head = head.method + " " + head.target;
  for (const http::Header& h : head.headers.all()) r.head += "\n" + h.name + ": " + h.value;
  std::string detail = r.head + "\n" + harness_->Describe();
  if (!http::IsToken(head.method)) Fail("a request method that is not a token", detail);
  for (const http::Header& h : head.headers.all()) {
    // RFC 9113 §8.2: lower-case token names, no connection-specific fields; §8.2.1: no CR, LF
    // or NUL in values. Such requests are malformed and must not be passed on.
    if (!http::IsToken(h.name) || http::ToLower(h.name) != h.name) {
      Fail("a header name that is not a lower-case token", detail);
    }
    if (IsConnectionSpecific(h.name) ||
        (h.name == "te" && !http::EqualsIgnoreCase(h.value, "trailers"))) {
      Fail("a connection-specific header", detail);
    }
    if (h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      Fail("CR, LF or NUL in a header value", detail);
    }
  }
  if (head.headers.Count("content-length") > 1) Fail("two content-length headers", detail);
  if (const std::string* cl = head.headers.Get("content-length")) {
    r.has_content_length = absl::SimpleAtoi(Sv(*cl), &r.content_length);
    if (!r.has_content_length) Fail("a content-length that is not a number", detail);
  }
  head.headers.Remove(kTagHeader);
  head.headers.Add(std::string(kTagHeader), std::to_string(tag_));
  inner_->DecodeHeaders(std::move(head));
}

void CheckedStream::DecodeData(const char* data, size_t len) {
  if (!headers_) Fail("DecodeData before DecodeHeaders", harness_->Describe());
  CheckLive("DecodeData");
  StreamRecord& r = record();
  r.body += len;
  if (r.has_content_length && r.body > r.content_length) {
    Fail("more body than the content-length passed on",
         std::to_string(r.body) + " > " + std::to_string(r.content_length) + "\n" + r.head +
             "\n" + harness_->Describe());
  }
  inner_->DecodeData(data, len);
}

void CheckedStream::DecodeComplete() {
  if (!headers_) Fail("DecodeComplete before DecodeHeaders", harness_->Describe());
  CheckLive("DecodeComplete");
  complete_ = true;
  StreamRecord& r = record();
  if (r.has_content_length && r.body != r.content_length) {
    Fail("a body shorter than its content-length passed on as complete",
         std::to_string(r.body) + " < " + std::to_string(r.content_length) + "\n" + r.head +
             "\n" + harness_->Describe());
  }
  inner_->DecodeComplete();
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::Harness* harness = [] {
    signal(SIGPIPE, SIG_IGN);
    sluice::SetLogLevel(sluice::LogLevel::kError);
    sluice::fuzz::SetHarnessName("fuzz_h2_server");
    return new sluice::Harness();
  }();
  if (size < 2 || size > (1u << 20)) return 0;
  harness->Run(data, size);
  return 0;
}
