#pragma once
// HTTP header list: order and original case are kept (they are forwarded as received); lookups
// are case-insensitive.
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

struct Header {
  std::string name;
  std::string value;
};

// Inline: called for every header name the proxy looks at, usually with a size that differs.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20) || static_cast<unsigned char>((x | 0x20) - 'a') > 'z' - 'a') {
      return false;
    }
  }
  return true;
}
// A method http-parser knows (GET, POST, ..., case-sensitive); HTTP/2 requests with any other are
// refused as HTTP/1.1 ones are.
bool IsKnownMethod(std::string_view method);
// RFC 9110 token (a valid field name): non-empty, only tchar.
bool IsToken(std::string_view s);
std::string ToLower(std::string_view s);
// RFC 9110 §5.5 field value: no control character but HTAB (obs-text is allowed).
inline bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Drops trailing SP and HTAB: optional whitespace, not part of the value (RFC 9110 §5.5), and
// refused by HTTP/2 peers (RFC 9113 §8.2.1) when relayed.
inline void TrimTrailingWhitespace(std::string* value) {
  size_t n = value->size();
  while (n > 0 && ((*value)[n - 1] == ' ' || (*value)[n - 1] == '\t')) --n;
  value->resize(n);
}

class HeaderMap {
 public:
  void Add(std::string name, std::string value) { headers_.push_back({std::move(name), std::move(value)}); }
  // First value of `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  std::string* GetMutable(std::string_view name) {
    return const_cast<std::string*>(static_cast<const HeaderMap*>(this)->Get(name));
  }
  // Replaces every `name` header with one.
  void Set(std::string_view name, std::string value);
  // Removes every `name` header; returns how many were removed.
  size_t Remove(std::string_view name);
  size_t Count(std::string_view name) const;

  const std::vector<Header>& all() const { return headers_; }
  std::vector<Header>& mutable_all() { return headers_; }
  size_t size() const { return headers_.size(); }
  void clear() { headers_.clear(); }

 private:
  std::vector<Header> headers_;
};

// Assembles header fields from http-parser's callbacks, which may deliver a name or a value in
// several pieces (when it spans two reads).
class HeaderCollector {
 public:
  void Reset() {
    name_.clear();
    in_value_ = false;
  }
  void OnName(const char* at, size_t len) {
    if (in_value_) Reset();
    name_.append(at, len);
  }
  // True when the next value piece starts a new header (the caller may refuse one too many).
  bool AtNewHeader() const { return !in_value_; }
  void OnValue(HeaderMap* headers, const char* at, size_t len) {
    if (!in_value_) {
      in_value_ = true;
      headers->Add(name_, std::string());
    }
    headers->mutable_all().back().value.append(at, len);
  }

 private:
  std::string name_;
  bool in_value_ = false;
};

// Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy ones proxies drop, and every header that
// `Connection` names. Returns true if `name` must not cross the proxy.
bool IsHopByHop(std::string_view name, const HeaderMap& headers);

}  // namespace sluice::http
