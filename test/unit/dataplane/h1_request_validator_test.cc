// H1RequestValidator: every strict-HTTP/1.1 rejection (RFC 9112) and the valid forms that must
// still pass, each fed whole, byte by byte and split in two at every offset (the verdict may not
// depend on how the bytes arrive); then the lockstep contract with http-parser.
#include "dataplane/http/h1_request_validator.h"

#include <http_parser.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace sluice::http {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps the NUL

struct ScanResult {
  std::string reason;  // "" when every byte was accepted
  int http_status = 0;
  size_t error_offset = 0;
  int requests = 0;  // requests that ended
  bool operator==(const ScanResult& o) const {
    return reason == o.reason && http_status == o.http_status && error_offset == o.error_offset &&
           requests == o.requests;
  }
};

std::ostream& operator<<(std::ostream& os, const ScanResult& r) {
  return os << "{reason=" << r.reason << " status=" << r.http_status << " at=" << r.error_offset
            << " requests=" << r.requests << "}";
}

// Feeds `bytes` as a connection would: in the given pieces, each Scan() getting what is left of
// the current piece after the previous request ended.
ScanResult ScanPieces(std::string_view bytes, const std::vector<size_t>& piece_ends,
                      const H1Strictness& options) {
  H1RequestValidator v(options);
  ScanResult r;
  size_t pos = 0;
  for (size_t piece_end : piece_ends) {
    while (pos < piece_end) {
      size_t consumed = 0;
      absl::Status s = v.Scan(bytes.data() + pos, piece_end - pos, &consumed);
      if (!s.ok()) {
        r.reason = std::string(H1RejectReason(s));
        r.http_status = H1RejectHttpStatus(s);
        r.error_offset = pos + consumed;
        // A failed validator stays failed.
        size_t again = 0;
        CHECK(H1RejectReason(v.Scan("GET", 3, &again)) == r.reason);
        return r;
      }
      REQUIRE(consumed >= 1);
      REQUIRE(consumed <= piece_end - pos);
      pos += consumed;
      if (v.RequestComplete()) {
        ++r.requests;
      } else {
        REQUIRE(pos == piece_end);  // only the end of a request stops a scan early
      }
    }
  }
  return r;
}

ScanResult Verdict(std::string_view bytes, const H1Strictness& options = {}) {
  const ScanResult whole = ScanPieces(bytes, {bytes.size()}, options);
  std::vector<size_t> single_bytes;
  for (size_t i = 1; i <= bytes.size(); ++i) single_bytes.push_back(i);
  CHECK(ScanPieces(bytes, single_bytes, options) == whole);
  for (size_t split = 1; split < bytes.size(); ++split) {
    INFO("split at " << split);
    CHECK(ScanPieces(bytes, {split, bytes.size()}, options) == whole);
  }
  return whole;
}

std::string Reason(std::string_view bytes, const H1Strictness& options = {}) {
  return Verdict(bytes, options).reason;
}

constexpr std::string_view kPost = "POST /v1/chat HTTP/1.1\r\nHost: a\r\n";
constexpr std::string_view kGet = "GET /v1/models HTTP/1.1\r\nHost: a\r\n";

std::string Post(std::string_view headers_and_body) {
  return std::string(kPost) + std::string(headers_and_body);
}
std::string Get(std::string_view rest) { return std::string(kGet) + std::string(rest); }
std::string Chunked(std::string_view body) {
  return Post("Transfer-Encoding: chunked\r\n\r\n" + std::string(body));
}

struct Case {
  const char* name;
  std::string bytes;
  const char* reason;
};

void CheckRejected(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    INFO(c.name);
    ScanResult r = Verdict(c.bytes);
    CHECK(r.reason == c.reason);
    CHECK(r.requests == 0);
  }
}

TEST_CASE("h1 validator: Content-Length must be one plain decimal number", "[h1_validator]") {
  CheckRejected({
      {"sign", Post("Content-Length: +5\r\n\r\nhello"), "invalid_content_length"},
      {"negative", Post("Content-Length: -5\r\n\r\nhello"), "invalid_content_length"},
      {"inner space", Post("Content-Length: 1 3\r\n\r\nabcdefghijklm"), "invalid_content_length"},
      {"list", Post("Content-Length: 13, 14\r\n\r\nabcdefghijklmn"), "invalid_content_length"},
      {"equal list", Post("Content-Length: 5, 5\r\n\r\nhello"), "invalid_content_length"},
      {"empty", Post("Content-Length: \r\n\r\n"), "invalid_content_length"},
      {"empty, no space", Post("Content-Length:\r\n\r\n"), "invalid_content_length"},
      {"hex", Post("Content-Length: 0x10\r\n\r\n"), "invalid_content_length"},
      {"suffix", Post("Content-Length: 5x\r\n\r\nhello"), "invalid_content_length"},
      {"duplicate, equal", Post("Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
       "duplicate_content_length"},
      {"duplicate, different", Post("Content-Length: 5\r\ncontent-length: 6\r\n\r\nhello!"),
       "duplicate_content_length"},
      {"overflow", Post("Content-Length: 99999999999999999999999\r\n\r\n"),
       "content_length_overflow"},
      {"above int64", Post("Content-Length: 9223372036854775808\r\n\r\n"),
       "content_length_overflow"},
  });
}

TEST_CASE("h1 validator: Content-Length with Transfer-Encoding is refused", "[h1_validator]") {
  CheckRejected({
      {"CL then TE", Post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "content_length_with_transfer_encoding"},
      {"TE then CL", Post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
       "content_length_with_transfer_encoding"},
      {"CL 0 with TE", Post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "content_length_with_transfer_encoding"},
  });
}

TEST_CASE("h1 validator: Transfer-Encoding must be exactly chunked", "[h1_validator]") {
  CheckRejected({
      {"gzip", Post("Transfer-Encoding: gzip\r\n\r\nabc"), "transfer_encoding_not_chunked"},
      {"identity", Post("Transfer-Encoding: identity\r\n\r\n"), "transfer_encoding_not_chunked"},
      {"chunked, gzip", Post("Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked"},
      {"gzip, chunked", Post("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding"},
      {"chunked, chunked", Post("Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding"},
      {"two lines: gzip then chunked",
       Post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding"},
      {"two lines: chunked then gzip",
       Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked"},
      {"two lines: chunked twice",
       Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
       "unsupported_transfer_coding"},
      {"xchunked", Post("Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked"},
      {"chunkedx", Post("Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked"},
      {"chunke", Post("Transfer-Encoding: chunke\r\n\r\n0\r\n\r\n"),
       "transfer_encoding_not_chunked"},
      {"parameter", Post("Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
       "invalid_transfer_encoding"},
      {"leading comma", Post("Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n"),
       "invalid_transfer_encoding"},
      {"trailing comma", Post("Transfer-Encoding: chunked, \r\n\r\n0\r\n\r\n"),
       "invalid_transfer_encoding"},
      {"empty", Post("Transfer-Encoding: \r\n\r\n"), "invalid_transfer_encoding"},
      {"quoted", Post("Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"),
       "invalid_transfer_encoding"},
      {"space before colon", Post("Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
       "whitespace_before_colon"},
      {"tab before colon", Post("Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
       "whitespace_before_colon"},
      {"vertical tab",
       Post("Transfer-Encoding:\x0b"
            "chunked\r\n\r\n0\r\n\r\n"),
       "invalid_header_value"},
      {"form feed", Post("Transfer-Encoding: chunked\x0c\r\n\r\n0\r\n\r\n"),
       "invalid_header_value"},
      {"folded onto the next line", Post("Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
       "invalid_transfer_encoding"},
      {"folded after gzip", Post("Transfer-Encoding: gzip\r\n chunked\r\n\r\n0\r\n\r\n"),
       "obs_fold"},
      {"HTTP/1.0", "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "transfer_encoding_in_http10"},
  });
}

TEST_CASE("h1 validator: header lines", "[h1_validator]") {
  CheckRejected({
      {"obs-fold with SP", Get("X-A: 1\r\n  continued\r\n\r\n"), "obs_fold"},
      {"obs-fold with HTAB", Get("X-A: 1\r\n\tcontinued\r\n\r\n"), "obs_fold"},
      {"whitespace before the first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", "obs_fold"},
      {"empty name", Get(": x\r\n\r\n"), "empty_header_name"},
      {"space inside name", Get("X A: x\r\n\r\n"), "whitespace_in_header_name"},
      {"space before colon", Get("X-A : x\r\n\r\n"), "whitespace_before_colon"},
      {"Host with space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
       "whitespace_before_colon"},
      {"underscore", Get("X_Api_Key: x\r\n\r\n"), "underscore_in_header_name"},
      {"@ in name", Get("X@A: x\r\n\r\n"), "invalid_header_name"},
      {"quote in name", Get("X\"A: x\r\n\r\n"), "invalid_header_name"},
      {"slash in name", Get("X/A: x\r\n\r\n"), "invalid_header_name"},
      {"UTF-8 in name", Get("X\xc3\xa9: x\r\n\r\n"), "invalid_header_name"},
      {"NUL in name", Get("X\0A: x\r\n\r\n"s), "invalid_header_name"},
      {"no colon", Get("XA\r\n\r\n"), "header_without_colon"},
      {"NUL in value", Get("X-A: b\0c\r\n\r\n"s), "invalid_header_value"},
      {"DEL in value",
       Get("X-A: b\x7f"
           "c\r\n\r\n"),
       "invalid_header_value"},
      {"SOH in value",
       Get("X-A: b\x01"
           "c\r\n\r\n"),
       "invalid_header_value"},
      {"ESC in value", Get("X-A: \x1b[31m\r\n\r\n"), "invalid_header_value"},
  });
}

TEST_CASE("h1 validator: bare CR and bare LF", "[h1_validator]") {
  CheckRejected({
      {"CR in the target", "GET /\rx HTTP/1.1\r\nHost: a\r\n\r\n", "bare_cr"},
      {"CR after the version", "GET / HTTP/1.1\rHost: a\r\n\r\n", "bare_cr"},
      {"CR in the method", "GE\rT / HTTP/1.1\r\nHost: a\r\n\r\n", "bare_cr"},
      {"CR in the version", "GET / HTTP/1\r.1\r\nHost: a\r\n\r\n", "bare_cr"},
      {"CR in a value", Get("X-A: b\rc\r\n\r\n"), "bare_cr"},
      {"CR CR LF", Get("X-A: b\r\r\n\r\n"), "bare_cr"},
      {"CR in a name", Get("X\r-A: b\r\n\r\n"), "bare_cr"},
      {"CR after name whitespace", Get("X-A \rb: c\r\n\r\n"), "bare_cr"},
      {"CR before the request", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", "bare_cr"},
      {"CR ending the head", Get("\rX"), "bare_cr"},
      {"LF-only lines", "GET / HTTP/1.1\nHost: a\n\n", "bare_lf"},
      {"LF ending one header", Get("X-A: b\n\r\n"), "bare_lf"},
      {"LF ending the head", Get("\n"), "bare_lf"},
      {"LF before the request", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "bare_lf"},
      {"LF in the target", "GET /a\nb HTTP/1.1\r\nHost: a\r\n\r\n", "bare_lf"},
      {"LF in a name", Get("X-\nA: b\r\n\r\n"), "bare_lf"},
      {"LF in a chunk size", Chunked("5\nhello\r\n0\r\n\r\n"), "bare_lf"},
      {"LF in a chunk extension", Chunked("5;a\nhello\r\n0\r\n\r\n"), "bare_lf"},
      {"LF ending the trailers", Chunked("0\r\n\n"), "bare_lf"},
  });
}

TEST_CASE("h1 validator: request line", "[h1_validator]") {
  CheckRejected({
      {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_request_line"},
      {"HTTP/0.9", "GET /\r\n\r\n", "invalid_request_line"},
      {"no target", "GET \r\n\r\n", "invalid_request_line"},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "invalid_http_version"},
      {"lower-case protocol", "GET / http/1.1\r\nHost: a\r\n\r\n", "invalid_http_version"},
      {"two-digit minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", "invalid_http_version"},
      {"leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_method"},
      {"tab after method", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_method"},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_request_target"},
      {"DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_request_target"},
      {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", "invalid_request_target"},
  });
  ScanResult h2 = Verdict("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
  CHECK(h2.reason == "http_version_not_supported");
  CHECK(h2.http_status == 505);
  CHECK(Reason("GET / HTTP/0.9\r\nHost: a\r\n\r\n") == "http_version_not_supported");
  CHECK(Verdict(Get("X_A: b\r\n\r\n")).http_status == 400);
}

TEST_CASE("h1 validator: chunked framing", "[h1_validator]") {
  H1Strictness tight;
  tight.max_chunk_line_bytes = 64;
  CheckRejected({
      {"overflow", Chunked("FFFFFFFFFFFFFFFFF\r\n"), "chunk_size_overflow"},
      {"16 hex digits", Chunked("FFFFFFFFFFFFFFFF\r\n"), "chunk_size_overflow"},
      {"negative", Chunked("-1\r\nx\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"0x prefix", Chunked("0x5\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"leading space", Chunked(" 5\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"trailing space", Chunked("5 \r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"trailing tab", Chunked("5\t\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"empty size", Chunked("\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"non-hex", Chunked("5g\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_size"},
      {"data followed by XX", Chunked("5\r\nhelloXX0\r\n\r\n"), "missing_crlf_after_chunk_data"},
      {"data followed by LF", Chunked("5\r\nhello\n0\r\n\r\n"), "missing_crlf_after_chunk_data"},
      {"data followed by CR X", Chunked("5\r\nhello\rX0\r\n\r\n"), "missing_crlf_after_chunk_data"},
      {"too much data", Chunked("3\r\nhello\r\n0\r\n\r\n"), "missing_crlf_after_chunk_data"},
      {"extension: CR inside quotes", Chunked("5;a=\"b\r\nc\"\r\nhello\r\n0\r\n\r\n"),
       "invalid_chunk_extension"},
      {"extension: NUL", Chunked("5;a\0b\r\nhello\r\n0\r\n\r\n"s),
       "invalid_chunk_extension"},
      {"extension: no name", Chunked("5;=b\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_extension"},
      {"extension: empty", Chunked("5;\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_extension"},
      {"extension: two names", Chunked("5;a b\r\nhello\r\n0\r\n\r\n"), "invalid_chunk_extension"},
      {"extension: unterminated quote", Chunked("5;a=\"b\r\n"), "invalid_chunk_extension"},
      {"extension: 5000 bytes", Chunked("5;a=" + std::string(5000, 'b') + "\r\nhello\r\n"),
       "chunk_line_too_long"},
      {"size: 5000 leading zeros", Chunked(std::string(5000, '0') + "5\r\nhello\r\n"),
       "chunk_line_too_long"},
      {"trailer obs-fold", Chunked("0\r\nX-T: 1\r\n 2\r\n\r\n"), "obs_fold"},
      {"trailer name with space", Chunked("0\r\nX T: 1\r\n\r\n"), "whitespace_in_header_name"},
      {"trailer without colon", Chunked("0\r\nXX\r\n\r\n"), "header_without_colon"},
  });
  CHECK(Reason(Chunked("5;a=" + std::string(60, 'b') + "\r\nhello\r\n0\r\n\r\n"), tight) ==
        "chunk_line_too_long");
  CHECK(Reason(Chunked("5;a=" + std::string(40, 'b') + "\r\nhello\r\n0\r\n\r\n"), tight) == "");
}

TEST_CASE("h1 validator: underscores in header names can be allowed", "[h1_validator]") {
  H1Strictness lenient;
  lenient.allow_underscores_in_header_names = true;
  ScanResult r = Verdict(Get("X_Api_Key: x\r\n\r\n"), lenient);
  CHECK(r.reason == "");
  CHECK(r.requests == 1);
}

TEST_CASE("h1 validator: valid requests pass, one request each", "[h1_validator]") {
  const std::vector<std::pair<const char*, std::string>> valid = {
      {"simple GET", Get("\r\n")},
      {"chunked", Chunked("5\r\nhello\r\n0\r\n\r\n")},
      {"CHUNKED, lower-case name", Post("transfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n")},
      {"TE with OWS", Post("Transfer-Encoding:\tchunked \t\r\n\r\n0\r\n\r\n")},
      {"TE with no space", Post("Transfer-Encoding:chunked\r\n\r\n0\r\n\r\n")},
      {"Content-Length: 0", Post("Content-Length: 0\r\n\r\n")},
      {"Content-Length with OWS", Post("Content-Length:\t5 \r\n\r\nhello")},
      {"Content-Length with leading zeros", Post("Content-Length: 0005\r\n\r\nhello")},
      {"GET with a body", Get("Content-Length: 3\r\n\r\nabc")},
      {"body that looks like a request",
       Post("Content-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")},
      {"repeated identical headers",
       Get("Accept: a\r\nAccept: a\r\nCookie: x=1\r\nCookie: y=2\r\n\r\n")},
      {"tab and spaces in values", Get("X-A: a\tb  c\r\nX-B:\t lead and trail \t\r\n\r\n")},
      {"UTF-8 and obs-text in values", Get("X-A: caf\xc3\xa9 \xff\xfe\x80\r\n\r\n")},
      {"empty value", Get("X-A:\r\nX-B: \r\n\r\n")},
      {"every tchar in a name", Get("!#$%&'*+-.^`|~09azAZ: x\r\n\r\n")},
      {"names like the framing ones", Get("Content-Lengthy: x\r\nContent-Lengt: 1 3\r\n"
                                          "Transfer-Encodings: gzip\r\nTE: trailers\r\n\r\n")},
      {"empty lines before the request", "\r\n\r\n" + Get("\r\n")},
      {"absolute-form target", "GET http://a.example/x?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n"},
      {"raw UTF-8 and braces in target",
       "GET /caf\xc3\xa9?q={\"a\":[1|2]} HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"},
      {"HTTP/1.9 is HTTP/1.x", "GET / HTTP/1.9\r\nHost: a\r\n\r\n"},
      {"extension method", "PURGE-ALL /x HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"chunk extensions", Chunked("5 ; a=b ;c; d = \"q\\\"x;y\" \r\nhello\r\n0;last\r\n\r\n")},
      {"upper-case hex and leading zeros", Chunked("000A\r\n0123456789\r\n00\r\n\r\n")},
      {"trailers", Chunked("5\r\nhello\r\n0\r\nX-T: 1\r\nX-U:\t2\r\n\r\n")},
      {"CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"},
  };
  for (const auto& [name, bytes] : valid) {
    INFO(name);
    ScanResult r = Verdict(bytes);
    CHECK(r.reason == "");
    CHECK(r.requests == 1);
  }
}

TEST_CASE("h1 validator: pipelined requests end where their framing says", "[h1_validator]") {
  const std::string three = Get("\r\n") + Post("Content-Length: 5\r\n\r\nhello") + "\r\n" +
                            Chunked("3\r\nabc\r\n0\r\n\r\n");
  ScanResult r = Verdict(three);
  CHECK(r.reason == "");
  CHECK(r.requests == 3);

  // CL.TE: a front end that trusted Content-Length would see one request, a back end that
  // trusted Transfer-Encoding two. Refused at the end of the head: nothing is a request.
  const std::string cl_te = Post("Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n") +
                            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  r = Verdict(cl_te);
  CHECK(r.reason == "content_length_with_transfer_encoding");
  CHECK(r.error_offset == cl_te.find("\r\n\r\n") + 3);
  CHECK(r.requests == 0);

  // A request after a valid one is judged on its own; the first still counts.
  r = Verdict(Get("\r\n") + Get("X A: b\r\n\r\n"));
  CHECK(r.reason == "whitespace_in_header_name");
  CHECK(r.requests == 1);
}

// ------------------------------------------------------------------------------------------------
// Lockstep with http-parser: the connection hands http-parser exactly the bytes Scan() accepted.
// Whenever both accept, they must end each request at the same byte; otherwise the two would
// frame the stream differently — the very thing the validator is there to prevent.

struct ParserProbe {
  int completed = 0;
  static int OnMessageComplete(http_parser* p) {
    ++static_cast<ParserProbe*>(p->data)->completed;
    http_parser_pause(p, 1);  // as the connection does while a response is pending
    return 0;
  }
};

enum class Lockstep { kBothAccepted, kValidatorRejected, kParserRejected };

Lockstep RunLockstep(std::string_view bytes, std::string* why) {
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_complete = &ParserProbe::OnMessageComplete;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  ParserProbe probe;
  parser.data = &probe;
  H1RequestValidator validator;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t take = 0;
    if (!validator.Scan(bytes.data() + pos, bytes.size() - pos, &take).ok()) {
      return Lockstep::kValidatorRejected;
    }
    const int before = probe.completed;
    const size_t n = http_parser_execute(&parser, &settings, bytes.data() + pos, take);
    const http_errno err = HTTP_PARSER_ERRNO(&parser);
    if (err != HPE_OK && err != HPE_PAUSED) return Lockstep::kParserRejected;
    const bool parser_done = probe.completed > before;
    if (n != take || parser_done != validator.RequestComplete() || probe.completed - before > 1) {
      *why = "at " + std::to_string(pos) + ": validator took " + std::to_string(take) +
             (validator.RequestComplete() ? " (request complete)" : "") + ", parser read " +
             std::to_string(n) + " and completed " + std::to_string(probe.completed - before);
      return Lockstep::kBothAccepted;
    }
    if (err == HPE_PAUSED) http_parser_pause(&parser, 0);
    pos += take;
  }
  return Lockstep::kBothAccepted;
}

const std::vector<std::string>& LockstepSeeds() {
  static const std::vector<std::string> seeds = {
      Get("\r\n") + Get("Connection: keep-alive\r\n\r\n"),
      Post("Content-Length: 5\r\n\r\nhello") + Get("\r\n"),
      Chunked("5;a=\"b\"\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n") + Get("\r\n"),
      "\r\n" + Post("Content-Length: 0\r\n\r\n") + "\r\n" + Get("\r\n"),
      "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + Get("\r\n"),
      Get("Connection: upgrade\r\nUpgrade: websocket\r\n\r\n") + Get("\r\n"),
      "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
  };
  return seeds;
}

TEST_CASE("h1 validator and http-parser frame valid streams identically", "[h1_validator]") {
  for (const std::string& seed : LockstepSeeds()) {
    INFO(seed);
    std::string why;
    CHECK(RunLockstep(seed, &why) == Lockstep::kBothAccepted);
    CHECK(why == "");
  }
}

TEST_CASE("h1 validator and http-parser never disagree on mutated streams", "[h1_validator]") {
  // Mutations that stress framing: the bytes parsers disagree on.
  static constexpr char kAlphabet[] = " \t\r\n:,;=\"_0159aAfFxX-\x0b\x7f";
  std::mt19937 rng(20240611);  // fixed: a failure reproduces
  int both_accepted = 0;
  int validator_rejected = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string s = LockstepSeeds()[rng() % LockstepSeeds().size()];
    // Splice in framing headers now and then, so CL/TE values get mutated too.
    if (rng() % 3 == 0) {
      static const char* kHeaders[] = {"Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n",
                                       "Content-Length: 0\r\n", "Transfer-Encoding: gzip\r\n"};
      size_t line = s.find("\r\n") + 2;
      s.insert(line, kHeaders[rng() % 4]);
    }
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      char ch = kAlphabet[rng() % (sizeof kAlphabet - 1)];
      switch (rng() % 3) {
        case 0:
          s[at] = ch;
          break;
        case 1:
          s.insert(at, 1, ch);
          break;
        default:
          s.erase(at, 1);
          break;
      }
    }
    std::string why;
    Lockstep result = RunLockstep(s, &why);
    if (!why.empty()) {
      INFO("input: " << s);
      FAIL(why);
    }
    if (result == Lockstep::kBothAccepted) ++both_accepted;
    if (result == Lockstep::kValidatorRejected) ++validator_rejected;
  }
  // Both outcomes must be well represented, or the mutations test nothing.
  CHECK(both_accepted > 1000);
  CHECK(validator_rejected > 1000);
}

}  // namespace
}  // namespace sluice::http
