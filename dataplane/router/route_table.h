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

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/http/headers.h"
#include "re2/re2.h"
#include "re2/set.h"
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
  // The same answer found by trying every route in precedence order: the reference the indexes
  // of Match() are tested against (tests and fuzzing only; linear in the number of routes).
  RouteMatch MatchByScan(const MatchInput& in) const;

  size_t route_count() const { return routes_.size(); }

 private:
  // Longest leading literal of a regex the index uses.
  static constexpr int kMaxRegexLiteral = 64;
  enum class PathKind : uint8_t { kNone = 0, kPrefix = 1, kRegex = 2, kExact = 3 };
  struct Entry {
    const CompiledRoute* route;
    PathKind path_kind;
    // Prefix or exact path; for a regex, the literal every path it matches starts with ("" if
    // none).
    std::string path;
    std::shared_ptr<const re2::RE2> regex;
    int regex_priority;
    int categories;
    bool exact_host;
  };
  // Entries that can match one kind of request, indexed so that a lookup costs about the same
  // with 10 routes as with 10,000: exact paths and prefixes by hash (one probe per distinct
  // prefix length), regexes through one RE2::Set pass. Lists hold entry positions in precedence
  // order, so a lookup takes the smallest position that fully matches.
  struct Group {
    absl::flat_hash_map<std::string, std::vector<uint32_t>> exact;
    absl::flat_hash_map<std::string, std::vector<uint32_t>> prefix;
    std::vector<size_t> prefix_lengths;  // distinct, ascending
    std::vector<uint32_t> pathless;
    // Regexes by the literal they start with (one probe per distinct literal length).
    absl::flat_hash_map<std::string, std::vector<uint32_t>> regex_by_literal;
    std::vector<size_t> regex_literal_lengths;  // distinct, ascending
    // Regexes without a leading literal.
    std::vector<uint32_t> regexes;
    // The first regex entry of the group, either kind (UINT32_MAX: none).
    uint32_t first_regex = UINT32_MAX;
    // Over `regexes` (same order); null when there are none or it could not be built.
    std::unique_ptr<re2::RE2::Set> regex_set;
  };

  static bool EntryBefore(const Entry& a, const Entry& b);
  static bool MatchesHostMethodHeaders(const CompiledRoute& r, const MatchInput& in);
  static void AddToGroup(Group* g, const Entry& e, uint32_t position);
  static void FinishGroup(Group* g, const std::vector<Entry>& entries);
  void Search(const Group& g, const MatchInput& in, uint32_t* best, size_t* best_strip) const;
  // Checks the path of one entry (and host, method, headers) against the request.
  bool Matches(uint32_t position, const MatchInput& in, size_t* strip) const;

  std::vector<std::unique_ptr<CompiledRoute>> routes_;
  std::vector<Entry> entries_;
  // Routes with exact hosts, by host (lower case); a route with several hosts is in several.
  absl::flat_hash_map<std::string, Group> by_host_;
  // Routes with no host, or wildcard hosts (those also match by pattern at lookup).
  Group any_host_;
};

}  // namespace sluice::router
