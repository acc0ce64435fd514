#include "tools/mock-llm/fault_spec.h"

#include <catch2/catch.hpp>
#include <string>

namespace sluice::mock_llm {
namespace {

TEST_CASE("fault headers set the spec, names in any case", "[mock_llm]") {
  FaultSpec spec;
  REQUIRE(ApplyFaultHeader("X-Mock-Status", "429", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-retry-after", "7", &spec).ok());
  REQUIRE(ApplyFaultHeader("X-MOCK-DELAY-MS", "250", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-token-delay-ms", "5", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-drop-after", "0", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-tokens", "200", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-echo-chunked", "1", &spec).ok());
  CHECK(spec.status == 429);
  CHECK(spec.retry_after == "7");
  CHECK(spec.delay_ms == 250);
  CHECK(spec.chunk_delay_ms == 5);
  CHECK(spec.drop_after == 0);
  CHECK(spec.tokens == 200);
  CHECK(spec.echo_chunked);
}

TEST_CASE("tool headers name the tool and carry the arguments as given", "[mock_llm]") {
  FaultSpec spec;
  REQUIRE(ApplyFaultHeader("X-Mock-Tool-Call", "get_weather-2", &spec).ok());
  REQUIRE(ApplyFaultHeader("x-mock-tool-args", R"({"city":"Oslo"})", &spec).ok());
  CHECK(spec.tool_call == "get_weather-2");
  CHECK(spec.tool_args == R"({"city":"Oslo"})");
  CHECK_FALSE(ApplyFaultHeader("x-mock-tool-call", std::string(65, 'a'), &spec).ok());
  CHECK(ApplyFaultHeader("x-mock-tool-call", std::string(64, 'a'), &spec).ok());
}

TEST_CASE("headers that are not known x-mock-* ones leave the spec alone", "[mock_llm]") {
  FaultSpec spec;
  CHECK(ApplyFaultHeader("x-mock-something-new", "zzz", &spec).ok());
  CHECK(ApplyFaultHeader("x-status", "500", &spec).ok());
  CHECK(ApplyFaultHeader("x-mock-", "500", &spec).ok());
  CHECK_FALSE(spec.status.has_value());
  CHECK_FALSE(spec.tokens.has_value());
  CHECK(spec.delay_ms == 0);
  CHECK(IsMockHeader("X-Mock-Tokens"));
  CHECK_FALSE(IsMockHeader("x-mock-"));
  CHECK_FALSE(IsMockHeader("authorization"));
}

TEST_CASE("bad fault values are errors, not silently ignored", "[mock_llm]") {
  const std::pair<const char*, const char*> bad[] = {
      {"x-mock-status", "abc"},     {"x-mock-status", "99"},     {"x-mock-status", "600"},
      {"x-mock-status", " 500"},    {"x-mock-delay-ms", "-1"},   {"x-mock-delay-ms", "1e3"},
      {"x-mock-delay-ms", "999999999"}, {"x-mock-tokens", ""},   {"x-mock-tokens", "2000000"},
      {"x-mock-echo-chunked", "yes"},   {"x-mock-retry-after", ""},
      {"x-mock-tool-call", ""},         {"x-mock-tool-call", "get weather"},
      {"x-mock-tool-call", "a\"b"},      {"x-mock-tool-args", ""},
  };
  for (const auto& [name, value] : bad) {
    INFO(name << ": '" << value << "'");
    FaultSpec spec;
    const absl::Status status = ApplyFaultHeader(name, value, &spec);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::Contains(name));
  }
}

}  // namespace
}  // namespace sluice::mock_llm
