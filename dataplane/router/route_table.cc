#include "dataplane/router/route_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace sluice::router {

using http::EqualsIgnoreCase;
using http::ToLower;

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::Build(
    const std::vector<const config::v1::Route*>& routes) {
  auto table = std::unique_ptr<RouteTable>(new RouteTable());
  for (const config::v1::Route* src : routes) {
    auto r = std::make_unique<CompiledRoute>();
    r->id = src->id();
    r->name = src->name();
    r->service_id = src->service().id();
    r->strip_path = src->has_strip_path() ? src->strip_path() : true;
    r->preserve_host = src->preserve_host();
    if (src->has_max_request_body_bytes()) r->max_request_body_bytes = src->max_request_body_bytes();
    r->created_at = src->created_at();
    for (const auto& m : src->methods()) r->methods.push_back(m);
    for (const auto& h : src->hosts()) {
      std::string host = ToLower(h);
      if (host.find('*') != std::string::npos) {
        r->wildcard_hosts.push_back(std::move(host));
      } else {
        r->exact_hosts.push_back(std::move(host));
      }
    }
    for (const auto& [name, values] : src->headers()) {
      CompiledRoute::HeaderRule rule{ToLower(name), {}};
      for (const auto& v : values.values()) {
        if (v.has_string_value()) rule.values.push_back(ToLower(v.string_value()));
      }
      r->headers.push_back(std::move(rule));
    }
    int categories = (src->hosts_size() > 0) + (src->paths_size() > 0) +
                     (src->methods_size() > 0) + (src->headers_size() > 0);
    bool exact_host = !r->exact_hosts.empty();
    const CompiledRoute* route = r.get();
    table->routes_.push_back(std::move(r));

    auto base = [&]() {
      return Entry{route, PathKind::kNone, "", nullptr, 0, categories, exact_host};
    };
    if (src->paths_size() == 0) {
      table->entries_.push_back(base());
      continue;
    }
    for (const std::string& p : src->paths()) {
      Entry e = base();
      if (p.size() >= 2 && p[0] == '=') {
        e.path_kind = PathKind::kExact;
        e.path = p.substr(1);
      } else if (!p.empty() && p[0] == '~') {
        // Regex paths are anchored at the start of the path, as in Kong.
        auto re = std::make_shared<re2::RE2>(absl::StrCat("^(?:", p.substr(1), ")"),
                                             re2::RE2::Quiet);
        if (!re->ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("route ", route->id, ": invalid regex path '", p, "': ", re->error()));
        }
        e.path_kind = PathKind::kRegex;
        e.regex = std::move(re);
        e.regex_priority = src->regex_priority();
      } else if (!p.empty() && p[0] == '/') {
        e.path_kind = PathKind::kPrefix;
        e.path = p;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("route ", route->id, ": path '", p, "' must start with /, =/ or ~"));
      }
      table->entries_.push_back(std::move(e));
    }
  }
  std::stable_sort(table->entries_.begin(), table->entries_.end(), EntryBefore);
  return table;
}

bool RouteTable::EntryBefore(const Entry& a, const Entry& b) {
  if (a.categories != b.categories) return a.categories > b.categories;
  if (a.exact_host != b.exact_host) return a.exact_host;
  if (a.route->headers.size() != b.route->headers.size())
    return a.route->headers.size() > b.route->headers.size();
  if (a.path_kind != b.path_kind) return a.path_kind > b.path_kind;
  if (a.path_kind == PathKind::kRegex && a.regex_priority != b.regex_priority)
    return a.regex_priority > b.regex_priority;
  if (a.path_kind == PathKind::kPrefix && a.path.size() != b.path.size())
    return a.path.size() > b.path.size();
  if (a.route->created_at != b.route->created_at) return a.route->created_at < b.route->created_at;
  return a.route->id < b.route->id;
}

static bool HostMatches(std::string_view pattern, std::string_view host) {
  // "*.example.com" matches any host ending in ".example.com"; "example.*" any host that starts
  // with "example.".
  if (!pattern.empty() && pattern.front() == '*') {
    std::string_view suffix = pattern.substr(1);
    return host.size() > suffix.size() &&
           EqualsIgnoreCase(host.substr(host.size() - suffix.size()), suffix);
  }
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return host.size() > prefix.size() && EqualsIgnoreCase(host.substr(0, prefix.size()), prefix);
  }
  return EqualsIgnoreCase(pattern, host);
}

bool RouteTable::MatchesHostMethodHeaders(const CompiledRoute& r, const MatchInput& in) {
  if (!r.methods.empty()) {
    bool ok = false;
    for (const std::string& m : r.methods) {
      if (m == in.method) { ok = true; break; }
    }
    if (!ok) return false;
  }
  if (!r.exact_hosts.empty() || !r.wildcard_hosts.empty()) {
    bool ok = false;
    for (const std::string& h : r.exact_hosts) {
      if (EqualsIgnoreCase(h, in.host)) { ok = true; break; }
    }
    if (!ok) {
      for (const std::string& h : r.wildcard_hosts) {
        if (HostMatches(h, in.host)) { ok = true; break; }
      }
    }
    if (!ok) return false;
  }
  for (const CompiledRoute::HeaderRule& rule : r.headers) {
    bool ok = false;
    if (in.headers != nullptr) {
      for (const http::Header& h : in.headers->all()) {
        if (!EqualsIgnoreCase(h.name, rule.name)) continue;
        for (const std::string& v : rule.values) {
          if (EqualsIgnoreCase(v, h.value)) { ok = true; break; }
        }
        if (ok) break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

RouteMatch RouteTable::Match(const MatchInput& in) const {
  for (const Entry& e : entries_) {
    size_t strip = 0;
    switch (e.path_kind) {
      case PathKind::kNone:
        break;
      case PathKind::kExact:
        if (in.path != e.path) continue;
        break;
      case PathKind::kPrefix:
        if (in.path.size() < e.path.size() || in.path.compare(0, e.path.size(), e.path) != 0)
          continue;
        strip = e.path.size();
        break;
      case PathKind::kRegex:
        if (!re2::RE2::PartialMatch(re2::StringPiece(in.path.data(), in.path.size()), *e.regex))
          continue;
        break;
    }
    if (!MatchesHostMethodHeaders(*e.route, in)) continue;
    return RouteMatch{e.route, strip};
  }
  return RouteMatch{};
}

}  // namespace sluice::router
