#include "test/integration/sdk_client.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

namespace sluice::testing {
namespace {

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "/usr/local/bin:/usr/bin:/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string SdkDir() {
  if (const char* env = std::getenv("SLUICE_SDK_DIR"); env != nullptr && *env != '\0') return env;
  // This file is test/integration/sdk_client.cc; the scripts live in test/sdk/.
  std::string here = __FILE__;
  const size_t slash = here.rfind('/');
  here = slash == std::string::npos ? "." : here.substr(0, slash);
  return here + "/../sdk";
}

}  // namespace

std::optional<SdkClients> SdkClients::Find() {
  std::string node;
  if (const char* env = std::getenv("SLUICE_NODE"); env != nullptr && *env != '\0') {
    node = env;
  } else {
    node = FindOnPath("node");
  }
  if (node.empty() || access(node.c_str(), X_OK) != 0) {
    WARN(kSkipMarker << ": node (Node.js 20+) is not installed, so the official-SDK tests "
                        "cannot run. Install it from nodesource, then run tools/dev deps.");
    return std::nullopt;
  }
  const std::string dir = SdkDir();
  const std::string probe = dir + "/node_modules/openai/package.json";
  const std::string probe2 = dir + "/node_modules/@anthropic-ai/sdk/package.json";
  if (access(probe.c_str(), R_OK) != 0 || access(probe2.c_str(), R_OK) != 0) {
    FAIL("the SDK packages are not installed in " << dir
                                                  << "/node_modules: run tools/dev deps");
  }
  return SdkClients(node, dir);
}

SdkResult SdkClients::Run(const std::string& script, const std::vector<std::string>& args,
                          Millis timeout) const {
  std::vector<std::string> argv{dir_ + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  Process process(script.substr(0, script.find('.')), node_, argv);
  SdkResult result;
  if (!process.started()) {
    result.log = process.ReadLog();
    return result;
  }
  if (!process.Wait(timeout)) {
    process.Kill9();
    result.log = process.ReadLog() + "\n# timed out";
    return result;
  }
  const int status = process.wait_status();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.log = process.ReadLog();
  // The result is the last line that starts with {"ok": (node may print warnings around it).
  size_t pos = result.log.rfind("\n{\"ok\":");
  if (pos != std::string::npos) {
    const size_t end = result.log.find('\n', pos + 1);
    result.json = Json::Parse(result.log.substr(pos + 1, end == std::string::npos
                                                             ? std::string::npos
                                                             : end - pos - 1));
  }
  return result;
}

}  // namespace sluice::testing
