#include "tools/mock-llm/endpoint_table.h"

#include <catch2/catch.hpp>

namespace sluice::mock_llm {
namespace {

TEST_CASE("MatchPathPattern matches literal paths exactly", "[mock_llm]") {
  PathCaptures c;
  CHECK(MatchPathPattern("/v1/models", "/v1/models", &c));
  CHECK(c.count == 0);
  CHECK_FALSE(MatchPathPattern("/v1/models", "/v1/models/", &c));
  CHECK_FALSE(MatchPathPattern("/v1/models", "/v1/model", &c));
  CHECK_FALSE(MatchPathPattern("/v1/models", "/v1/modelsx", &c));
}

TEST_CASE("MatchPathPattern captures one segment per star", "[mock_llm]") {
  PathCaptures c;
  REQUIRE(MatchPathPattern("/openai/deployments/*/chat/completions",
                           "/openai/deployments/gpt4-prod/chat/completions", &c));
  REQUIRE(c.count == 1);
  CHECK(c.values[0] == "gpt4-prod");
  REQUIRE(MatchPathPattern("/v1/models/*", "/v1/models/mock-gpt-4o", &c));
  CHECK(c.values[0] == "mock-gpt-4o");
  CHECK_FALSE(MatchPathPattern("/v1/models/*", "/v1/models/", &c));
  CHECK_FALSE(MatchPathPattern("/v1/models/*", "/v1/models/a/b", &c));
  CHECK_FALSE(MatchPathPattern("/openai/deployments/*/embeddings",
                               "/openai/deployments/x/chat/completions", &c));
}

}  // namespace
}  // namespace sluice::mock_llm
