#include "dataplane/http/headers.h"

#include <http_parser.h>

#include <algorithm>

namespace sluice::http {

static inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IsKnownMethod(std::string_view method) {
  // http-parser's table: the methods HTTP/1.1 clients can send us, so HTTP/2 clients get the
  // same set. The names are distinct and few; a linear scan is cheaper than a hash here.
  for (int m = 0;; ++m) {
    const char* name = http_method_str(static_cast<http_method>(m));
    if (name[0] == '<') return false;  // "<unknown>": past the end of the table
    if (method == name) return true;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!tchar) {
      switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~':
          break;
        default:
          return false;
      }
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

const std::string* HeaderMap::Get(std::string_view name) const {
  for (const Header& h : headers_) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

void HeaderMap::Set(std::string_view name, std::string value) {
  Remove(name);
  headers_.push_back({std::string(name), std::move(value)});
}

size_t HeaderMap::Remove(std::string_view name) {
  size_t before = headers_.size();
  headers_.erase(std::remove_if(headers_.begin(), headers_.end(),
                                [&](const Header& h) { return EqualsIgnoreCase(h.name, name); }),
                 headers_.end());
  return before - headers_.size();
}

size_t HeaderMap::Count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(headers_.begin(), headers_.end(), [&](const Header& h) {
    return EqualsIgnoreCase(h.name, name);
  }));
}

static bool ConnectionNames(const HeaderMap& headers, std::string_view name) {
  for (const Header& h : headers.all()) {
    if (!EqualsIgnoreCase(h.name, "connection")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view token = v.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (EqualsIgnoreCase(token, name)) return true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool IsHopByHop(std::string_view name, const HeaderMap& headers) {
  // By length first: this runs for every header of every request and response, and almost every
  // name is ruled out without looking at its characters.
  bool listed = false;
  switch (name.size()) {
    case 2: listed = EqualsIgnoreCase(name, "te"); break;
    case 7: listed = EqualsIgnoreCase(name, "trailer") || EqualsIgnoreCase(name, "upgrade"); break;
    case 10: listed = EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "keep-alive"); break;
    case 16: listed = EqualsIgnoreCase(name, "proxy-connection"); break;
    case 17: listed = EqualsIgnoreCase(name, "transfer-encoding"); break;
    case 18: listed = EqualsIgnoreCase(name, "proxy-authenticate"); break;
    case 19: listed = EqualsIgnoreCase(name, "proxy-authorization"); break;
    default: break;
  }
  return listed || ConnectionNames(headers, name);
}

}  // namespace sluice::http
