#pragma once
// Minimal leveled logging to stderr, one line per message, safe from any thread.
#include <string_view>

#include "absl/strings/str_cat.h"

namespace sluice {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view name, LogLevel* out);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, std::string_view message);

}  // namespace sluice

#define SLUICE_LOG(level, ...)                                               \
  do {                                                                       \
    if (::sluice::LogEnabled(::sluice::LogLevel::level))                     \
      ::sluice::LogLine(::sluice::LogLevel::level, ::absl::StrCat(__VA_ARGS__)); \
  } while (0)

#define LOG_DEBUG(...) SLUICE_LOG(kDebug, __VA_ARGS__)
#define LOG_INFO(...) SLUICE_LOG(kInfo, __VA_ARGS__)
#define LOG_WARN(...) SLUICE_LOG(kWarn, __VA_ARGS__)
#define LOG_ERROR(...) SLUICE_LOG(kError, __VA_ARGS__)
