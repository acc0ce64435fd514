#include "common/json.h"

#include <catch2/catch.hpp>

namespace sluice {
namespace {

TEST_CASE("JSON strings escape controls and keep valid UTF-8", "[json]") {
  CHECK(JsonString("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(JsonString(std::string("\x01", 1)) == "\"\\u0001\"");
  CHECK(JsonString("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST_CASE("ill-formed UTF-8 becomes U+FFFD so the JSON stays valid", "[json]") {
  CHECK(JsonString("/services/\xff") == "\"/services/\\ufffd\"");
  CHECK(JsonString("\xc3") == "\"\\ufffd\"");                // truncated
  CHECK(JsonString("\xc0\xaf") == "\"\\ufffd\\ufffd\"");     // overlong
  CHECK(JsonString("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  CHECK(JsonString("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

}  // namespace
}  // namespace sluice
