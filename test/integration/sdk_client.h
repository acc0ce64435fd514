#pragma once
// Runs the official-SDK client scripts of test/sdk/ (openai_client.mjs, anthropic_client.mjs)
// with node and reads the one JSON line each prints (see test/sdk/README.md for the options and
// the fields of that line).
#include <optional>
#include <string>
#include <vector>

#include "test/integration/harness.h"

namespace sluice::testing {

// A test that prints this marker is reported as skipped by ctest (SKIP_REGULAR_EXPRESSION in
// test/CMakeLists.txt); run directly, Catch shows it as a warning.
inline constexpr char kSkipMarker[] = "SLUICE-TEST-SKIPPED";

struct SdkResult {
  int exit_code = -1;  // 0 ok, 1 the call failed (the JSON says how), 2 bad arguments
  Json json = Json::Parse("");  // the result line ({"ok":...}); !json.ok() when there was none
  std::string log;     // everything the script printed, for failure messages
};

class SdkClients {
 public:
  // Finds node ($SLUICE_NODE, else PATH) and test/sdk ($SLUICE_SDK_DIR, else next to this
  // source). Without node: prints the skip marker with the reason and returns nullopt, so the
  // caller returns. With node but without test/sdk/node_modules: fails the test (run
  // `tools/dev deps`).
  static std::optional<SdkClients> Find();

  SdkResult OpenAi(const std::vector<std::string>& args, Millis timeout = Millis(30'000)) const {
    return Run("openai_client.mjs", args, timeout);
  }
  SdkResult Anthropic(const std::vector<std::string>& args,
                      Millis timeout = Millis(30'000)) const {
    return Run("anthropic_client.mjs", args, timeout);
  }

 private:
  SdkClients(std::string node, std::string dir) : node_(std::move(node)), dir_(std::move(dir)) {}
  SdkResult Run(const std::string& script, const std::vector<std::string>& args,
                Millis timeout) const;

  std::string node_;
  std::string dir_;
};

}  // namespace sluice::testing
