// Strict HTTP/1.1 (RFC 9112) through a real data plane: every malformed or ambiguous request is
// answered 400 (505 for a non-1.x version) with a JSON error whose message starts with the stable
// reason, the connection is closed, and the recording upstream (the mock's request counter) never
// sees the request. Smuggling payloads must reach the upstream as at most one request.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps the NUL

// Requests the mock has served so far; the call itself is one of them.
int64_t UpstreamRequests(const MockLlm& mock) {
  HttpResponse r = Get(mock.addr, "/_mock/stats");
  REQUIRE(r.status == 200);
  return Json::Parse(r.body).Int("/requests", -1);
}

struct RawResult {
  int status = 0;
  std::string code;
  std::string message;
  int responses = 0;
  bool closed = false;
  std::string raw;
};

// Sends `bytes` on a fresh connection and reads until the data plane closes it.
RawResult SendRaw(const std::string& proxy, const std::string& bytes) {
  RawResult r;
  RawConnection conn;
  REQUIRE(conn.Connect(proxy));
  REQUIRE(conn.Send(bytes));
  r.raw = conn.ReadUntilClose(Millis(2000));
  r.closed = conn.closed();
  for (size_t pos = r.raw.find("HTTP/1.1 "); pos != std::string::npos;
       pos = r.raw.find("HTTP/1.1 ", pos + 1)) {
    if (pos == 0 || r.raw.compare(pos - 2, 2, "\r\n") == 0) ++r.responses;
  }
  if (r.raw.rfind("HTTP/1.1 ", 0) != 0) return r;
  r.status = std::atoi(r.raw.c_str() + 9);
  size_t head_end = r.raw.find("\r\n\r\n");
  size_t cl = r.raw.find("Content-Length: ");
  if (head_end == std::string::npos || cl == std::string::npos || cl > head_end) return r;
  size_t length = std::strtoul(r.raw.c_str() + cl + 16, nullptr, 10);
  Json body = Json::Parse(r.raw.substr(head_end + 4, length));
  r.code = body.Str("/code");
  r.message = body.Str("/message");
  return r;
}

struct Vector {
  const char* name;
  std::string bytes;
  // The JSON message starts with this: "<reason>:" for the validator's rejections.
  std::string message_prefix;
  int status = 400;
  std::string code = "bad_request";
};

const std::string kHead = "POST /echo/strict HTTP/1.1\r\nHost: a\r\n";
const std::string kGetHead = "GET /echo/strict HTTP/1.1\r\nHost: a\r\n";

std::string PostWith(const std::string& rest) { return kHead + rest; }
std::string GetWith(const std::string& rest) { return kGetHead + rest; }
std::string Chunked(const std::string& body) {
  return PostWith("Transfer-Encoding: chunked\r\n\r\n" + body);
}

std::vector<Vector> RejectedVectors() {
  return {
      // Content-Length / Transfer-Encoding.
      {"CL with TE", PostWith("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "content_length_with_transfer_encoding:"},
      {"CL +5", PostWith("Content-Length: +5\r\n\r\nhello"), "invalid_content_length:"},
      {"CL 1 3", PostWith("Content-Length: 1 3\r\n\r\nabcdefghijklm"), "invalid_content_length:"},
      {"CL 13, 14", PostWith("Content-Length: 13, 14\r\n\r\nabcdefghijklmn"),
       "invalid_content_length:"},
      {"CL empty", PostWith("Content-Length: \r\n\r\n"), "invalid_content_length:"},
      {"CL differing", PostWith("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
       "duplicate_content_length:"},
      {"CL duplicated", PostWith("Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
       "duplicate_content_length:"},
      {"TE gzip", PostWith("Transfer-Encoding: gzip\r\n\r\nabc"), "transfer_encoding_not_chunked:"},
      {"TE chunked, gzip", PostWith("Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked:"},
      {"TE gzip, chunked", PostWith("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding:"},
      {"TE on two lines",
       PostWith("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding:"},
      {"TE xchunked", PostWith("Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked:"},
      {"TE space before colon", PostWith("Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
       "whitespace_before_colon:"},
      {"TE vertical tab",
       PostWith("Transfer-Encoding:\x0b"
                "chunked\r\n\r\n0\r\n\r\n"),
       "invalid_header_value:"},
      {"TE in HTTP/1.0",
       "POST /echo/strict HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "transfer_encoding_in_http10:"},
      // Header lines.
      {"obs-fold", GetWith("X-A: 1\r\n  continued\r\n\r\n"), "obs_fold:"},
      {"obs-fold before the first header",
       "GET /echo/strict HTTP/1.1\r\n X-A: 1\r\nHost: a\r\n\r\n", "obs_fold:"},
      {"empty header name", GetWith(": x\r\n\r\n"), "empty_header_name:"},
      {"space inside a name", GetWith("X A: x\r\n\r\n"), "whitespace_in_header_name:"},
      {"space before colon", GetWith("X-A : x\r\n\r\n"), "whitespace_before_colon:"},
      {"underscore in a name", GetWith("X_Api_Key: x\r\n\r\n"), "underscore_in_header_name:"},
      {"NUL in a value", GetWith("X-A: b\0c\r\n\r\n"s), "invalid_header_value:"},
      {"bare CR in a value", GetWith("X-A: b\rc\r\n\r\n"), "bare_cr:"},
      {"bare CR in the request line", "GET /echo/strict\rx HTTP/1.1\r\nHost: a\r\n\r\n",
       "bare_cr:"},
      {"bare LF line ends", "GET /echo/strict HTTP/1.1\nHost: a\n\n", "bare_lf:"},
      // Chunked bodies.
      {"chunk size overflow", Chunked("FFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"),
       "chunk_size_overflow:"},
      {"negative chunk size", Chunked("-1\r\nx\r\n0\r\n\r\n"), "invalid_chunk_size:"},
      {"0x chunk size", Chunked("0x5\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size:"},
      {"LF in a chunk extension", Chunked("5;a\nhello\r\n0\r\n\r\n"), "bare_lf:"},
      {"oversized chunk extension",
       Chunked("5;a=" + std::string(8000, 'b') + "\r\nhello\r\n0\r\n\r\n"), "chunk_line_too_long:"},
      {"chunk data not followed by CRLF", Chunked("5\r\nhelloXX0\r\n\r\n"),
       "missing_crlf_after_chunk_data:"},
      // Request line.
      {"HTTP/2.0 request line", "GET /echo/strict HTTP/2.0\r\nHost: a\r\n\r\n",
       "http_version_not_supported:", 505, "http_version_not_supported"},
      {"HTTP/0.9 request", "GET /echo/strict\r\n\r\n", "invalid_request_line:"},
      // Host (checked by the connection itself).
      {"missing Host", "GET /echo/strict HTTP/1.1\r\n\r\n", "missing Host"},
      {"duplicate Host", GetWith("Host: b\r\n\r\n"), "more than one Host"},
  };
}

TEST_CASE(
    "strict HTTP/1.1: malformed requests get 400, a closed connection, and no upstream "
    "request",
    "[dp][http1][strict]") {
  Cluster c = StartCluster();
  for (const Vector& v : RejectedVectors()) {
    INFO("vector: " << v.name);
    const int64_t before = UpstreamRequests(c.mock);
    RawResult r = SendRaw(c.dp.proxy, v.bytes);
    INFO("response: " << r.raw.substr(0, 400));
    CHECK(r.status == v.status);
    CHECK(r.code == v.code);
    CHECK(r.message.rfind(v.message_prefix, 0) == 0);
    CHECK(r.responses == 1);
    CHECK(r.closed);
    // Only the stats call itself in between.
    CHECK(UpstreamRequests(c.mock) == before + 1);
  }
  // Still serving.
  CHECK(testing::Get(c.dp.proxy, "/echo/alive").status == 200);
}

TEST_CASE("strict HTTP/1.1: valid forms still pass", "[dp][http1][strict]") {
  Cluster c = StartCluster();
  const std::vector<std::pair<const char*, std::string>> valid = {
      {"chunked", Chunked("5\r\nhello\r\n0\r\n\r\n")},
      {"CHUNKED, lower-case name",
       PostWith("transfer-encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n")},
      {"chunk extension and trailer", Chunked("5;ext=\"v\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n")},
      {"Content-Length with OWS", PostWith("Content-Length:\t5 \r\n\r\nhello")},
      {"Content-Length: 0 and repeated headers",
       PostWith("Content-Length: 0\r\nAccept: a\r\nAccept: a\r\n\r\n")},
      {"tabs and UTF-8 in values", GetWith("X-Note: caf\xc3\xa9\tau lait\r\n\r\n")},
  };
  for (const auto& [name, bytes] : valid) {
    INFO("request: " << name);
    const int64_t before = UpstreamRequests(c.mock);
    RawConnection conn;
    REQUIRE(conn.Connect(c.dp.proxy));
    // Connection: close, so the data plane closes after answering.
    std::string request = bytes;
    request.insert(request.find("\r\n") + 2, "Connection: close\r\n");
    REQUIRE(conn.Send(request));
    std::string raw = conn.ReadUntilClose(Millis(5000));
    INFO("response: " << raw.substr(0, 400));
    CHECK(raw.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(Json::Parse(raw.substr(raw.find("\r\n\r\n") + 4)).Str("/uri") == "/echo/strict");
    CHECK(UpstreamRequests(c.mock) == before + 2);
  }
  // The echo shows what the upstream got: the chunked body whole, and the UTF-8 value intact.
  RawConnection conn;
  REQUIRE(conn.Connect(c.dp.proxy));
  REQUIRE(conn.Send(GetWith("X-Note: caf\xc3\xa9\tau lait\r\nConnection: close\r\n\r\n")));
  std::string raw = conn.ReadUntilClose(Millis(5000));
  Json echo = Json::Parse(raw.substr(raw.find("\r\n\r\n") + 4));
  CHECK(echo.Str("/headers/x-note") == "caf\xc3\xa9\tau lait");
}

TEST_CASE("strict HTTP/1.1: smuggling payloads reach the upstream as at most one request",
          "[dp][http1][strict]") {
  Cluster c = StartCluster();
  const std::string smuggled = "GET /echo/smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

  SECTION("pipelined CL.TE") {
    const std::string body = "0\r\n\r\n" + smuggled;
    const int64_t before = UpstreamRequests(c.mock);
    RawResult r = SendRaw(c.dp.proxy, PostWith("Content-Length: " + std::to_string(body.size()) +
                                               "\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
    INFO(r.raw);
    CHECK(r.status == 400);
    CHECK(r.responses == 1);
    CHECK(r.closed);
    CHECK(r.raw.find("/echo/smuggled") == std::string::npos);
    CHECK(UpstreamRequests(c.mock) == before + 1);
  }
  SECTION("pipelined TE.CL") {
    const std::string body = "5c\r\n" + smuggled + "\r\n0\r\n\r\n";
    const int64_t before = UpstreamRequests(c.mock);
    RawResult r = SendRaw(
        c.dp.proxy, PostWith("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + body));
    INFO(r.raw);
    CHECK(r.status == 400);
    CHECK(r.responses == 1);
    CHECK(r.raw.find("/echo/smuggled") == std::string::npos);
    CHECK(UpstreamRequests(c.mock) == before + 1);
  }
  SECTION("obfuscated TE with a pipelined request") {
    const int64_t before = UpstreamRequests(c.mock);
    RawResult r =
        SendRaw(c.dp.proxy, PostWith("Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n"
                                     "0\r\n\r\n" +
                                     smuggled));
    INFO(r.raw);
    CHECK(r.status == 400);
    CHECK(r.responses == 1);
    CHECK(r.raw.find("/echo/smuggled") == std::string::npos);
    CHECK(UpstreamRequests(c.mock) == before + 1);
  }
  SECTION("a request inside a Content-Length body stays body") {
    const int64_t before = UpstreamRequests(c.mock);
    RawResult r =
        SendRaw(c.dp.proxy, PostWith("Connection: close\r\nContent-Length: " +
                                     std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled));
    INFO(r.raw);
    CHECK(r.status == 200);
    CHECK(r.responses == 1);
    Json echo = Json::Parse(r.raw.substr(r.raw.find("\r\n\r\n") + 4));
    CHECK(echo.Str("/uri") == "/echo/strict");
    CHECK(echo.Str("/body") == smuggled);
    CHECK(UpstreamRequests(c.mock) == before + 2);
  }
  SECTION("a request inside a chunked body stays body") {
    const int64_t before = UpstreamRequests(c.mock);
    char size[16];
    snprintf(size, sizeof size, "%zx", smuggled.size());
    RawResult r =
        SendRaw(c.dp.proxy, PostWith("Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                     std::string(size) + "\r\n" + smuggled + "\r\n0\r\n\r\n"));
    INFO(r.raw);
    CHECK(r.status == 200);
    CHECK(r.responses == 1);
    Json echo = Json::Parse(r.raw.substr(r.raw.find("\r\n\r\n") + 4));
    CHECK(echo.Str("/uri") == "/echo/strict");
    CHECK(echo.Str("/body") == smuggled);
    CHECK(UpstreamRequests(c.mock) == before + 2);
  }
}

}  // namespace
}  // namespace sluice::testing
