#include "tools/mock-llm/echo.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;

TEST_CASE("FormatEcho lower-cases names and joins repeated headers", "[mock_llm]") {
  EchoedRequest req;
  req.method = "POST";
  req.uri = "/echo/anything?x=1";
  req.version = "HTTP/1.1";
  req.headers = {{"Host", "up"}, {"X-Forwarded-For", "10.0.0.1"}, {"Via", "1.1 sluice"},
                 {"x-forwarded-for", "127.0.0.1"}, {"Content-Type", "text/plain"}};
  req.body = "line \"one\"\n";
  const std::string echo = FormatEcho(req);
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(echo).get(doc));
  CHECK(std::string_view(doc["method"]) == "POST");
  CHECK(std::string_view(doc["uri"]) == "/echo/anything?x=1");
  CHECK(std::string_view(doc["version"]) == "HTTP/1.1");
  CHECK(std::string_view(doc["headers"]["x-forwarded-for"]) == "10.0.0.1, 127.0.0.1");
  CHECK(std::string_view(doc["headers"]["via"]) == "1.1 sluice");
  CHECK(std::string_view(doc["headers"]["host"]) == "up");
  CHECK(doc["headers"].get_object().value().size() == 4);
  CHECK(std::string_view(doc["body"]) == "line \"one\"\n");
  CHECK(int64_t(doc["body_bytes"]) == 11);
}

TEST_CASE("FormatEcho returns a non-UTF-8 body as base64", "[mock_llm]") {
  EchoedRequest req;
  req.method = "PUT";
  req.uri = "/";
  req.version = "HTTP/1.0";
  const std::string body("\xff\x00\xfe", 3);
  req.body = body;
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(FormatEcho(req)).get(doc));
  CHECK(doc["body"].is_null());
  std::string decoded;
  REQUIRE(absl::Base64Unescape(Sv(std::string_view(doc["body_base64"])), &decoded));
  CHECK(decoded == body);
  CHECK(int64_t(doc["body_bytes"]) == 3);
}

TEST_CASE("SplitBodySource serves the body in several pieces", "[mock_llm]") {
  const std::string body = "0123456789abcdefghij-";  // 21 bytes → 4 pieces of up to 6
  SplitBodySource source(body, 4);
  std::string joined, piece;
  int pieces = 0;
  while (pieces < 100 && source.NextChunk(0, &piece)) {
    CHECK_FALSE(piece.empty());
    joined += piece;
    piece.clear();
    ++pieces;
  }
  CHECK(source.Exhausted());
  CHECK(pieces == 4);
  CHECK(joined == body);

  SplitBodySource tiny("ab", 4);
  int tiny_pieces = 0;
  while (tiny_pieces < 100 && tiny.NextChunk(0, &piece)) ++tiny_pieces;
  CHECK(tiny_pieces == 2);
}

TEST_CASE("FormatJsonPayload is valid JSON of exactly the requested size", "[mock_llm]") {
  simdjson::dom::parser parser;
  for (size_t size : {size_t{2}, size_t{3}, size_t{10}, size_t{11}, size_t{12}, size_t{47},
                      size_t{1024}, size_t{100000}}) {
    INFO(size);
    const std::string payload = FormatJsonPayload(size);
    CHECK(payload.size() == size);
    element doc;
    CHECK_FALSE(parser.parse(payload).get(doc));
  }
}

}  // namespace
}  // namespace sluice::mock_llm
