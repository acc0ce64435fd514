#include "dataplane/http/headers.h"

#include <algorithm>

namespace sluice::http {

static inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
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
  static constexpr std::string_view kHopByHop[] = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"};
  for (std::string_view h : kHopByHop) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return ConnectionNames(headers, name);
}

}  // namespace sluice::http
