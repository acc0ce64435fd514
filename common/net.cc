#include "common/net.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice {

absl::StatusOr<HostPort> ParseHostPort(std::string_view s, int default_port) {
  HostPort hp;
  std::string_view port_part;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed '['");
    hp.host = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return absl::InvalidArgumentError("expected ':' after ']'");
      port_part = rest.substr(1);
    }
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      hp.host = std::string(s);
    } else {
      hp.host = std::string(s.substr(0, colon));
      port_part = s.substr(colon + 1);
    }
  }
  if (hp.host.empty()) return absl::InvalidArgumentError("missing host");
  if (port_part.empty()) {
    if (default_port <= 0) return absl::InvalidArgumentError("missing port");
    hp.port = default_port;
  } else {
    int port = 0;
    if (!absl::SimpleAtoi(Sv(port_part), &port) || port < 1 || port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("invalid port '", Sv(port_part), "'"));
    hp.port = port;
  }
  return hp;
}

}  // namespace sluice
