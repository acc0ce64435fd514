#include "dataplane/xds/cache_file.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

namespace sluice {
namespace {

std::string TempPath() {
  char tmpl[] = "/tmp/sluice-cache-test-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  return tmpl;
}

discovery::v1::CachedSnapshot Sample() {
  discovery::v1::CachedSnapshot s;
  s.set_version(42);
  auto* r = s.add_resources()->mutable_service();
  r->set_id("s1");
  r->set_host("example.com");
  return s;
}

TEST_CASE("cache file round trip", "[cache]") {
  std::string path = TempPath();
  REQUIRE(WriteCacheFile(path, Sample()).ok());
  auto back = ReadCacheFile(path);
  REQUIRE(back.ok());
  CHECK(back->version() == 42);
  REQUIRE(back->resources_size() == 1);
  CHECK(back->resources(0).service().host() == "example.com");
  unlink(path.c_str());
}

TEST_CASE("a truncated or corrupt cache file is rejected", "[cache]") {
  std::string path = TempPath();
  REQUIRE(WriteCacheFile(path, Sample()).ok());
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  SECTION("truncated") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data.substr(0, data.size() - 3);
    auto r = ReadCacheFile(path);
    CHECK(r.status().code() == absl::StatusCode::kDataLoss);
  }
  SECTION("one byte flipped") {
    data[data.size() - 2] ^= 0x40;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
    auto r = ReadCacheFile(path);
    CHECK(r.status().code() == absl::StatusCode::kDataLoss);
  }
  SECTION("not a cache file") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "hello";
    CHECK(ReadCacheFile(path).status().code() == absl::StatusCode::kDataLoss);
  }
  unlink(path.c_str());
  CHECK(ReadCacheFile(path).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("cache file bytes decode without a file, and errors name the source", "[cache]") {
  std::string path = TempPath();
  REQUIRE(WriteCacheFile(path, Sample()).ok());
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  unlink(path.c_str());
  auto back = ParseCacheFile(data, "mem");
  REQUIRE(back.ok());
  CHECK(back->version() == 42);
  // A length field that claims more than the payload (the header alone, 53 bytes, is intact).
  auto cut = ParseCacheFile(std::string_view(data).substr(0, 53), "mem");
  CHECK(cut.status().code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(cut.status().message()).find("cache file mem is truncated") !=
        std::string::npos);
  CHECK(ParseCacheFile("", "mem").status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sluice
