#pragma once
// Golden-file helpers for the AI translation tests (test/golden/ai/).
//
// Each case is NAME.in.<ext> with its expected NAME.out.<ext> (and optional NAME.options.json and
// NAME.usage.json). With SLUICE_UPDATE_GOLDEN=1 in the environment the tests write the outputs
// they produce instead of comparing: for adding a case, after which the new files are reviewed
// by hand like any other change.
#include <string>
#include <string_view>
#include <vector>

namespace sluice::ai::testing {

std::string GoldenPath(std::string_view relative);  // under test/golden/ai/
std::string ReadFile(const std::string& path);
bool FileExists(const std::string& path);
void WriteFile(const std::string& path, std::string_view content);
bool UpdatingGoldens();

// The NAMEs of the cases in `dir` (files NAME<suffix>), sorted.
std::vector<std::string> CaseNames(const std::string& dir, std::string_view suffix);

// Empty if the two JSON texts are equal as JSON values (object member order ignored, numbers
// compared by value); otherwise where they first differ.
std::string JsonDifference(std::string_view expected, std::string_view actual);

// Compact JSON text re-indented for a readable golden file (2 spaces, one member per line).
std::string PrettyJson(std::string_view json);

}  // namespace sluice::ai::testing
