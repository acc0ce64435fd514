#include "tools/mock-llm/request_log.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/strings.h"
#include "absl/strings/str_cat.h"
#include <simdjson.h>

namespace sluice::mock_llm {
namespace {

using simdjson::dom::element;

RecordedRequest Request(std::string uri, std::string body = "") {
  RecordedRequest r;
  r.api = "openai";
  r.status = 200;
  r.method = "POST";
  r.uri = std::move(uri);
  r.version = "HTTP/1.1";
  r.headers = {{"Authorization", "Bearer k"}, {"X-Extra", "a"}, {"x-extra", "b"}};
  r.body = std::move(body);
  return r;
}

TEST_CASE("RequestLog keeps the newest N, newest first, with sequence numbers", "[mock_llm]") {
  RequestLog log(3);
  for (int i = 1; i <= 5; ++i) log.Record(Request(absl::StrCat("/r", i), "{}"));
  const std::string json = log.FormatJson();
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(json).get(doc));
  CHECK(int64_t(doc["capacity"]) == 3);
  simdjson::dom::array requests = doc["requests"];
  REQUIRE(requests.size() == 3);
  CHECK(std::string_view(requests.at(0)["uri"]) == "/r5");
  CHECK(int64_t(requests.at(0)["seq"]) == 5);
  CHECK(std::string_view(requests.at(2)["uri"]) == "/r3");
  element first = requests.at(0);
  CHECK(std::string_view(first["api"]) == "openai");
  CHECK(int64_t(first["status"]) == 200);
  CHECK(std::string_view(first["method"]) == "POST");
  CHECK(std::string_view(first["headers"]["authorization"]) == "Bearer k");
  CHECK(std::string_view(first["headers"]["x-extra"]) == "a, b");
  CHECK(std::string_view(first["body"]) == "{}");
  CHECK(int64_t(first["body_bytes"]) == 2);
  CHECK_FALSE(bool(first["body_truncated"]));

  log.Clear();
  REQUIRE_FALSE(parser.parse(log.FormatJson()).get(doc));
  CHECK(doc["requests"].get_array().value().size() == 0);
  log.Record(Request("/after"));
  REQUIRE_FALSE(parser.parse(log.FormatJson()).get(doc));
  CHECK(int64_t(doc["requests"].at(0)["seq"]) == 6);  // numbering goes on after a clear
}

TEST_CASE("RequestLog truncates large bodies and says so", "[mock_llm]") {
  RequestLog log(2);
  log.Record(Request("/big", std::string(kMaxRecordedBodyBytes + 10, 'x')));
  RecordedRequest other = Request("/other");
  other.api.clear();
  log.Record(std::move(other));
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(log.FormatJson()).get(doc));
  element big = doc["requests"].at(1);
  CHECK(bool(big["body_truncated"]));
  CHECK(int64_t(big["body_bytes"]) == int64_t(kMaxRecordedBodyBytes + 10));
  CHECK(std::string_view(big["body"]).size() == kMaxRecordedBodyBytes);
  CHECK(doc["requests"].at(0)["api"].is_null());
}

TEST_CASE("a RequestLog of capacity 0 records nothing", "[mock_llm]") {
  RequestLog log(0);
  CHECK_FALSE(log.enabled());
  log.Record(Request("/x"));
  simdjson::dom::parser parser;
  element doc;
  REQUIRE_FALSE(parser.parse(log.FormatJson()).get(doc));
  CHECK(doc["requests"].get_array().value().size() == 0);
}

}  // namespace
}  // namespace sluice::mock_llm
