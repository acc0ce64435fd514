#pragma once
// Small helpers for writing JSON by hand on hot paths (error bodies, status pages).
#include <string>
#include <string_view>

namespace sluice {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string* out, std::string_view s);
std::string JsonString(std::string_view s);
// {"code":code,"message":message}
std::string JsonError(std::string_view code, std::string_view message);

}  // namespace sluice
