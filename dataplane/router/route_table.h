#pragma once
// RouteTable: every route of a snapshot, compiled once when the snapshot is built, matched per
// request without allocating.
//
// Precedence (Kong's, documented in docs/dataplane.md): a route that constrains more of
// {hosts, paths, methods, headers} wins over one that constrains fewer; then a route with an exact
// host beats one with only wildcard hosts; then more header conditions win; then, by path, an
// exact path ("=/a") beats a regex ("~...", higher regex_priority first) beats a prefix (longer
// first); then the route created first, then the lower id.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/http/headers.h"
#include "re2/re2.h"
#include "sluice/config/v1/config.pb.h"

namespace sluice::router {

struct MatchInput {
  std::string_view method;
  // Host header without port, any case.
  std::string_view host;
  // Path without the query string.
  std::string_view path;
  const http::HeaderMap* headers = nullptr;
};

struct CompiledRoute {
  std::string id;
  std::string name;
  std::string service_id;
  bool strip_path = true;
  bool preserve_host = false;
  // 0: no limit.
  uint64_t max_request_body_bytes = 8 * 1024 * 1024;
  uint32_t created_at = 0;
  std::vector<std::string> methods;
  std::vector<std::string> exact_hosts;     // lower-case
  std::vector<std::string> wildcard_hosts;  // lower-case, with the '*'
  struct HeaderRule {
    std::string name;
    std::vector<std::string> values;  // lower-case
  };
  std::vector<HeaderRule> headers;
};

struct RouteMatch {
  const CompiledRoute* route = nullptr;
  // Length of the path prefix that matched (what strip_path removes); 0 for non-prefix paths.
  size_t strip_length = 0;
};

class RouteTable {
 public:
  // Compiles routes; fails on an invalid path (the control plane validates first, so a failure
  // here means the data plane rejects the snapshot with a NACK).
  static absl::StatusOr<std::unique_ptr<RouteTable>> Build(
      const std::vector<const config::v1::Route*>& routes);

  // The best route for the request, or route == nullptr.
  RouteMatch Match(const MatchInput& in) const;

  size_t route_count() const { return routes_.size(); }

 private:
  enum class PathKind : uint8_t { kNone = 0, kPrefix = 1, kRegex = 2, kExact = 3 };
  struct Entry {
    const CompiledRoute* route;
    PathKind path_kind;
    std::string path;  // prefix or exact path
    std::shared_ptr<const re2::RE2> regex;
    int regex_priority;
    int categories;
    bool exact_host;
  };
  static bool EntryBefore(const Entry& a, const Entry& b);
  static bool MatchesHostMethodHeaders(const CompiledRoute& r, const MatchInput& in);

  std::vector<std::unique_ptr<CompiledRoute>> routes_;
  std::vector<Entry> entries_;
};

}  // namespace sluice::router
