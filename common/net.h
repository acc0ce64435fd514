#pragma once
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sluice {

struct HostPort {
  std::string host;
  int port = 0;
};

// Parses "host:port", "[v6]:port" or, when default_port > 0, a bare "host".
absl::StatusOr<HostPort> ParseHostPort(std::string_view s, int default_port = 0);

}  // namespace sluice
