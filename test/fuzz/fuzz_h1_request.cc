// fuzz_h1_request: the data plane's HTTP/1.1 request path — the real H1ServerConnection and
// ProxyStream on a real Worker loop — fed from a socketpair.
//
// Input layout:
//   byte 0, byte 1    where the client bytes are cut into up to 3 writes (n * len / 256; 0: none)
//   client bytes      what the client sends
//   ["\n@@upstream@@\n" upstream bytes]
//                     optional: the in-process upstream answers every request head it receives
//                     with these bytes verbatim instead of its echo response
//
// The snapshot routes /echo, /strip, /pool, host api.example.com, ... to an upstream that
// listens on 127.0.0.1 in the same loop (it echoes the request body; "chunked", "close" and
// "nobody" in the path pick other response framings), /dead to a port nothing listens on (502),
// /auth through key-auth (401 without the key "alice-key"), and nothing else (404). The worker,
// the upstream and the loop helpers are shared with fuzz_h2_server (proxy_fuzz_support.h).
//
// Checked beyond "no crash" (a broken check aborts, so libFuzzer records the input):
//  * what reaches the upstream parses as HTTP/1.1 requests (no smuggling, no broken framing);
//  * what reaches the client parses as HTTP/1.1 responses, cut short only by a close;
//  * the upstream never receives more requests than the codec parsed (nothing smuggled inside a
//    body);
//  * once the client has half-closed and the upstream connections are gone, the connection
//    closes (nothing is left behind in the worker).
#include <http_parser.h>
#include <signal.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/log.h"
#include "dataplane/http/h1_server_connection.h"
#include "dataplane/http/headers.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/net/worker.h"
#include "dataplane/proxy/proxy_stream.h"
#include "test/fuzz/proxy_fuzz_support.h"

namespace sluice {
namespace {

constexpr std::string_view kUpstreamMarker = "\n@@upstream@@\n";

// A finding that is reported but not fixed yet can be gated behind SLUICE_FUZZ_STRICT=1 here so
// that fuzzing goes on past it (see test/fuzz/README.md). Every finding of this target is fixed
// (204/304 framing, non-3-digit status, space before colon), so all checks run.
bool Strict() { return true; }

using fuzz::Fail;

// ---------------------------------------------------------------------------------------------
// One client connection per input.

class Harness {
 public:
  Harness() {
    http_parser_settings_init(&response_settings_);
    response_settings_.on_header_field = &OnResponseHeaderField;
    response_settings_.on_header_value = &OnResponseHeaderValue;
    response_settings_.on_headers_complete = &OnResponseHeadersComplete;
    verbose_ = getenv("SLUICE_FUZZ_VERBOSE") != nullptr;
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
    // HEAD responses have no body whatever their headers say; the client-side parser cannot
    // know which responses answer a HEAD, so it is not run then.
    check_responses_ = client.find("HEAD") == std::string_view::npos;
    size_t cut1 = data[0] * client.size() / 256;
    size_t cut2 = data[1] * client.size() / 256;
    if (cut1 > cut2) std::swap(cut1, cut2);

    Open();
    std::vector<std::string_view> writes;
    if (cut1 > 0) writes.push_back(client.substr(0, cut1));
    if (cut2 > cut1) writes.push_back(client.substr(cut1, cut2 - cut1));
    writes.push_back(client.substr(cut2));
    for (std::string_view w : writes) {
      if (!fixture_.WriteAll(w)) break;
      fixture_.Pump();
    }
    fixture_.HalfCloseAndSettle(client);
    // More requests upstream than the codec parsed: bytes of one request were read as another
    // (request smuggling). Retries could repeat a request, but only on a connection the upstream
    // closed mid-request, which this upstream does only while refusing (nothing is parsed then).
    if (uint64_t upstream_requests = fixture_.upstream().TakeRequestCount();
        upstream_requests > streams_) {
      Fail("the upstream received more requests than the proxy parsed",
           std::to_string(upstream_requests) + " > " + std::to_string(streams_) + " for:\n" +
               std::string(client));
    }
    if (verbose_) fprintf(stderr, "--- the client received:\n%s\n", received_.c_str());
    fixture_.CloseClient();
  }

 private:
  void Open() {
    received_.clear();
    http_parser_init(&response_parser_, HTTP_RESPONSE);
    response_parser_.data = this;
    response_has_framing_ = false;
    response_field_.clear();
    in_response_value_ = false;
    responses_unchecked_ = false;
    streams_ = 0;
    fixture_.upstream().TakeRequestCount();
    int server_fd = fixture_.OpenClient(
        [this](const char* data, size_t len) { CheckResponseBytes(data, len); });
    Worker* worker = &fixture_.worker();
    // Owns itself, as in ProxyListener::OnAccept; destroyed (deferred) when it closes.
    new http::H1ServerConnection(
        worker, std::make_unique<StreamSocket>(worker, server_fd, nullptr),
        http::ConnectionInfo{"192.0.2.10", 8000, false},
        [this, worker](http::ResponseEncoder* enc) {
          ++streams_;
          return std::make_unique<ProxyStream>(worker, enc);
        },
        http::H1Limits());
  }

  void CheckResponseBytes(const char* data, size_t len) {
    if (received_.size() < 65536) received_.append(data == nullptr ? "<EOF>" : std::string(data, len));
    if (!check_responses_ || responses_unchecked_) return;
    http_errno before = HTTP_PARSER_ERRNO(&response_parser_);
    if (before != HPE_OK) return;
    size_t n = http_parser_execute(&response_parser_, &response_settings_, data, len);
    http_errno err = HTTP_PARSER_ERRNO(&response_parser_);
    // After a 101 the bytes belong to another protocol.
    if (response_parser_.upgrade) {
      responses_unchecked_ = true;
      return;
    }
    // At EOF, a response cut short is how HTTP/1.1 reports an aborted response.
    if (data == nullptr && err == HPE_INVALID_EOF_STATE) return;
    if (err != HPE_OK || n != len) {
      Fail("the client received something that is not HTTP/1.1 responses",
           std::string(http_errno_name(err)) + " in:\n" + received_);
    }
  }

  // A field name may arrive in pieces (cut by a read); it is whole once its value starts.
  static int OnResponseHeaderField(http_parser* p, const char* at, size_t len) {
    auto* self = static_cast<Harness*>(p->data);
    if (self->in_response_value_) self->response_field_.clear();
    self->in_response_value_ = false;
    self->response_field_.append(at, len);
    return 0;
  }
  static int OnResponseHeaderValue(http_parser* p, const char*, size_t) {
    auto* self = static_cast<Harness*>(p->data);
    if (self->in_response_value_) return 0;
    self->in_response_value_ = true;
    if (http::EqualsIgnoreCase(self->response_field_, "content-length") ||
        http::EqualsIgnoreCase(self->response_field_, "transfer-encoding")) {
      self->response_has_framing_ = true;
    }
    return 0;
  }

  // RFC 9112 §6.3: 1xx, 204 and 304 responses end with their headers, whatever those say
  // (http-parser alone would read a body announced by Content-Length).
  static int OnResponseHeadersComplete(http_parser* p) {
    auto* self = static_cast<Harness*>(p->data);
    int status = p->status_code;
    // RFC 9112 §4: a status code is 3 digits; http-parser takes "HTTP/1.1 2" from an upstream.
    if ((status < 100 || status > 599) && Strict()) {
      Fail("a response status outside 100..599 reached the client", self->received_);
    }
    bool framing = self->response_has_framing_;
    self->response_has_framing_ = false;
    self->response_field_.clear();
    self->in_response_value_ = false;
    if ((status >= 100 && status < 200) || status == 204) {
      // RFC 9110 §8.6: a server MUST NOT send Content-Length in a 1xx or 204 response; a client
      // that reads one as a body length (http-parser, so older Node.js, does) desyncs.
      if (framing && Strict()) {
        Fail("a 1xx or 204 response carries Content-Length or Transfer-Encoding",
             self->received_);
      }
      return 1;
    }
    return status == 304 ? 1 : 0;
  }

  fuzz::ProxyFixture fixture_;
  bool check_responses_ = true;
  bool verbose_ = false;
  // Requests the codec handed to a ProxyStream on this input's connection.
  uint64_t streams_ = 0;
  std::string received_;  // the start of it, for failure messages
  http_parser response_parser_;
  http_parser_settings response_settings_;
  std::string response_field_;
  bool in_response_value_ = false;
  bool response_has_framing_ = false;
  bool responses_unchecked_ = false;
};

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::Harness* harness = [] {
    signal(SIGPIPE, SIG_IGN);
    sluice::SetLogLevel(sluice::LogLevel::kError);
    sluice::fuzz::SetHarnessName("fuzz_h1_request");
    return new sluice::Harness();
  }();
  if (size < 2 || size > (1u << 20)) return 0;
  harness->Run(data, size);
  return 0;
}
