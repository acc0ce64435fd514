#include "dataplane/http/headers.h"

#include <catch2/catch.hpp>

namespace sluice::http {
namespace {

TEST_CASE("field names must be tokens", "[headers]") {
  CHECK(IsToken("Content-Length"));
  CHECK(IsToken("x-custom_header.v2"));
  CHECK(IsToken("!#$%&'*+-.^_`|~"));
  CHECK_FALSE(IsToken(""));
  CHECK_FALSE(IsToken("Content-Length "));
  CHECK_FALSE(IsToken(" Host"));
  CHECK_FALSE(IsToken("a:b"));
  CHECK_FALSE(IsToken("a\tb"));
  CHECK_FALSE(IsToken("caf\xc3\xa9"));
}

TEST_CASE("header fields are assembled from pieces", "[headers]") {
  HeaderMap h;
  HeaderCollector c;
  c.OnName("Con", 3);
  c.OnName("tent-Type", 9);
  CHECK(c.AtNewHeader());
  c.OnValue(&h, "text/", 5);
  CHECK_FALSE(c.AtNewHeader());
  c.OnValue(&h, "plain", 5);
  c.OnName("X-A", 3);
  c.OnValue(&h, "1", 1);
  REQUIRE(h.size() == 2);
  CHECK(*h.Get("content-type") == "text/plain");
  CHECK(*h.Get("x-a") == "1");
}

TEST_CASE("hop-by-hop headers include those Connection names", "[headers]") {
  HeaderMap h;
  h.Add("Connection", "close, X-Secret");
  CHECK(IsHopByHop("keep-alive", h));
  CHECK(IsHopByHop("Transfer-Encoding", h));
  CHECK(IsHopByHop("x-secret", h));
  CHECK_FALSE(IsHopByHop("x-public", h));
}

}  // namespace
}  // namespace sluice::http
