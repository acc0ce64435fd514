#include "controlplane/admin/pagination.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

namespace sluice::controlplane {
namespace {

TEST_CASE("Pagination: cursor round trip", "[pagination]") {
  for (const std::string id : {"a", "0b9d7a1e-1c1f-4d7e-9b0a-4a0c6f3e2d11", "with/slash+plus"}) {
    auto back = DecodeCursor(EncodeCursor(id));
    REQUIRE(back.has_value());
    CHECK(*back == id);
  }
  CHECK_FALSE(DecodeCursor("").has_value());
  CHECK_FALSE(DecodeCursor("***").has_value());
}

TEST_CASE("Pagination: query parsing", "[pagination]") {
  auto page = ParsePageRequest("");
  REQUIRE(page.ok());
  CHECK(page->size == kDefaultPageSize);
  CHECK_FALSE(page->after.has_value());

  page = ParsePageRequest("size=2&offset=" + EncodeCursor("k") + "&tags=x");
  REQUIRE(page.ok());
  CHECK(page->size == 2);
  CHECK(page->after == std::optional<std::string>("k"));

  CHECK_FALSE(ParsePageRequest("size=0").ok());
  CHECK_FALSE(ParsePageRequest("size=1001").ok());
  CHECK_FALSE(ParsePageRequest("size=ten").ok());
  CHECK(ParsePageRequest("size=1000").ok());
  CHECK_FALSE(ParsePageRequest("offset=%%%").ok());
}

TEST_CASE("Pagination: pages cover the ordered keys exactly once", "[pagination]") {
  std::map<std::string, int> m;
  for (int i = 0; i < 7; ++i) m["k" + std::to_string(i)] = i;
  PageRequest page;
  page.size = 3;
  std::vector<std::string> seen;
  bool more = true;
  int pages = 0;
  while (more && pages < 10) {
    auto keys = PageKeys(m, page, [](const auto& e) { return e.first; }, &more);
    seen.insert(seen.end(), keys.begin(), keys.end());
    if (!keys.empty()) page.after = keys.back();
    ++pages;
  }
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6"});

  // A cursor whose key was deleted meanwhile still continues after it.
  std::set<std::string> s = {"a", "c", "e"};
  page.after = "b";
  page.size = 10;
  auto keys = PageKeys(s, page, [](const std::string& k) { return k; }, &more);
  CHECK(keys == std::vector<std::string>{"c", "e"});
  CHECK_FALSE(more);
}

TEST_CASE("Pagination: percent coding", "[pagination]") {
  CHECK(PercentDecode("a%2Fb%20c") == std::optional<std::string>("a/b c"));
  CHECK_FALSE(PercentDecode("a%2").has_value());
  CHECK_FALSE(PercentDecode("%zz").has_value());
  CHECK(PercentEncode("a/b c") == "a%2Fb%20c");
}

}  // namespace
}  // namespace sluice::controlplane
