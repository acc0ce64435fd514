#pragma once
// Command-line parsing for every Sluice binary: Abseil flags, spelled with dashes as documented
// (--admin-listen) or with Abseil's underscores (--admin_listen).
#include <string>
#include <vector>

namespace sluice {

// Rewrites "--some-flag[=v]" into "--some_flag[=v]"; arguments after "--" are left alone.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv);
// Normalizes, then absl::ParseCommandLine; returns the positional arguments (argv[0] first).
std::vector<std::string> ParseFlags(int argc, char** argv);

}  // namespace sluice
