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
        // Every path the regex matches starts with the common prefix of the least and the
        // greatest string it can match: the literal the index looks regexes up by.
        std::string min, max;
        if (re->PossibleMatchRange(&min, &max, kMaxRegexLiteral)) {
          size_t n = 0;
          while (n < min.size() && n < max.size() && min[n] == max[n]) ++n;
          e.path = min.substr(0, n);
        }
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
  for (uint32_t i = 0; i < table->entries_.size(); ++i) {
    const Entry& e = table->entries_[i];
    for (const std::string& h : e.route->exact_hosts) AddToGroup(&table->by_host_[h], e, i);
    if (e.route->exact_hosts.empty() || !e.route->wildcard_hosts.empty()) {
      AddToGroup(&table->any_host_, e, i);
    }
  }
  for (auto& [host, g] : table->by_host_) FinishGroup(&g, table->entries_);
  FinishGroup(&table->any_host_, table->entries_);
  return table;
}

void RouteTable::AddToGroup(Group* g, const Entry& e, uint32_t position) {
  switch (e.path_kind) {
    case PathKind::kNone: g->pathless.push_back(position); break;
    case PathKind::kExact: g->exact[e.path].push_back(position); break;
    case PathKind::kPrefix: g->prefix[e.path].push_back(position); break;
    case PathKind::kRegex:
      if (g->first_regex == UINT32_MAX) g->first_regex = position;  // positions only grow
      if (e.path.empty()) {
        g->regexes.push_back(position);
      } else {
        g->regex_by_literal[e.path].push_back(position);
      }
      break;
  }
}

void RouteTable::FinishGroup(Group* g, const std::vector<Entry>& entries) {
  for (const auto& [prefix, list] : g->prefix) g->prefix_lengths.push_back(prefix.size());
  std::sort(g->prefix_lengths.begin(), g->prefix_lengths.end());
  g->prefix_lengths.erase(std::unique(g->prefix_lengths.begin(), g->prefix_lengths.end()),
                          g->prefix_lengths.end());
  for (const auto& [literal, list] : g->regex_by_literal) {
    g->regex_literal_lengths.push_back(literal.size());
  }
  std::sort(g->regex_literal_lengths.begin(), g->regex_literal_lengths.end());
  g->regex_literal_lengths.erase(
      std::unique(g->regex_literal_lengths.begin(), g->regex_literal_lengths.end()),
      g->regex_literal_lengths.end());
  // One pass of an RE2::Set finds every regex that matches; a short list is as fast scanned.
  if (g->regexes.size() < 8) return;
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(64 << 20);
  auto set = std::make_unique<re2::RE2::Set>(opts, re2::RE2::ANCHOR_START);
  for (uint32_t pos : g->regexes) {
    // The compiled regex is "^(?:pattern)"; the set anchors at the start itself.
    if (set->Add(entries[pos].regex->pattern(), nullptr) < 0) return;
  }
  if (set->Compile()) g->regex_set = std::move(set);
}

bool RouteTable::Matches(uint32_t position, const MatchInput& in, size_t* strip) const {
  const Entry& e = entries_[position];
  *strip = 0;
  switch (e.path_kind) {
    case PathKind::kNone:
      break;
    case PathKind::kExact:
      if (in.path != e.path) return false;
      break;
    case PathKind::kPrefix:
      if (in.path.size() < e.path.size() || in.path.compare(0, e.path.size(), e.path) != 0)
        return false;
      *strip = e.path.size();
      break;
    case PathKind::kRegex:
      if (!re2::RE2::PartialMatch(re2::StringPiece(in.path.data(), in.path.size()), *e.regex))
        return false;
      break;
  }
  return MatchesHostMethodHeaders(*e.route, in);
}

void RouteTable::Search(const Group& g, const MatchInput& in, uint32_t* best,
                        size_t* best_strip) const {
  // Candidates of each list are in precedence order: the first that matches is the list's best,
  // and nothing at or after the best so far can win.
  auto scan = [&](const std::vector<uint32_t>& list) {
    for (uint32_t pos : list) {
      if (pos >= *best) return;
      size_t strip;
      if (Matches(pos, in, &strip)) {
        *best = pos;
        *best_strip = strip;
        return;
      }
    }
  };
  if (!g.exact.empty()) {
    if (auto it = g.exact.find(Sv(in.path)); it != g.exact.end()) scan(it->second);
  }
  for (size_t len : g.prefix_lengths) {
    if (len > in.path.size()) break;
    if (auto it = g.prefix.find(Sv(in.path.substr(0, len))); it != g.prefix.end()) scan(it->second);
  }
  scan(g.pathless);
  if (g.first_regex >= *best) return;
  // Regexes that begin with a literal are found by it (each list is then tried one regex at a
  // time: a handful), the rest by one RE2::Set pass.
  for (size_t len : g.regex_literal_lengths) {
    if (len > in.path.size()) break;
    if (auto it = g.regex_by_literal.find(Sv(in.path.substr(0, len)));
        it != g.regex_by_literal.end()) {
      scan(it->second);
    }
  }
  if (g.regexes.empty() || g.regexes.front() >= *best) return;
  if (g.regex_set != nullptr) {
    thread_local std::vector<int> hits;
    re2::RE2::Set::ErrorInfo error;
    if (g.regex_set->Match(re2::StringPiece(in.path.data(), in.path.size()), &hits, &error)) {
      // Set indices follow `regexes`, which is in precedence order.
      std::sort(hits.begin(), hits.end());
      for (int h : hits) {
        uint32_t pos = g.regexes[static_cast<size_t>(h)];
        if (pos >= *best) break;
        if (MatchesHostMethodHeaders(*entries_[pos].route, in)) {
          *best = pos;
          *best_strip = 0;
          break;
        }
      }
      return;
    }
    if (error.kind == re2::RE2::Set::kNoError) return;  // no regex matches
    // Out of memory for the DFA: fall back to one regex at a time.
  }
  scan(g.regexes);
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

RouteMatch RouteTable::MatchByScan(const MatchInput& in) const {
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    size_t strip;
    if (Matches(i, in, &strip)) return RouteMatch{entries_[i].route, strip};
  }
  return RouteMatch{};
}

RouteMatch RouteTable::Match(const MatchInput& in) const {
  uint32_t best = UINT32_MAX;
  size_t best_strip = 0;
  if (!by_host_.empty() && !in.host.empty() && in.host.size() <= 255) {
    char lower[256];
    for (size_t i = 0; i < in.host.size(); ++i) {
      char c = in.host[i];
      lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    auto it = by_host_.find(absl::string_view(lower, in.host.size()));
    if (it != by_host_.end()) Search(it->second, in, &best, &best_strip);
  }
  Search(any_host_, in, &best, &best_strip);
  if (best == UINT32_MAX) return RouteMatch{};
  return RouteMatch{entries_[best].route, best_strip};
}

}  // namespace sluice::router
