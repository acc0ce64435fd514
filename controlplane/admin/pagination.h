#pragma once
// Cursor pagination for list endpoints. Lists are ordered by id; the cursor ("offset", opaque to
// clients) encodes the last id of the previous page, so each page starts with one ordered-map
// lookup however far into the list it is, and stays consistent while entries come and go.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::controlplane {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;

struct PageRequest {
  size_t size = kDefaultPageSize;
  std::optional<std::string> after;  // the id the previous page ended with
};

// Reads "size" and "offset" from a raw query string ("size=10&offset=..."). Other parameters are
// ignored. Errors say which parameter is wrong.
absl::StatusOr<PageRequest> ParsePageRequest(std::string_view query);

std::string EncodeCursor(std::string_view last_id);
std::optional<std::string> DecodeCursor(std::string_view cursor);

// Up to `size` keys of `ordered` (a std::map or std::set keyed by id) after `after`, in order.
// *more says whether keys remain after the page.
template <typename Ordered, typename KeyOf>
std::vector<std::string> PageKeys(const Ordered& ordered, const PageRequest& page, KeyOf key_of,
                                  bool* more) {
  auto it = page.after ? ordered.upper_bound(*page.after) : ordered.begin();
  std::vector<std::string> keys;
  for (; it != ordered.end() && keys.size() < page.size; ++it) keys.push_back(key_of(*it));
  *more = it != ordered.end();
  return keys;
}

// Percent-decodes a URL component ('+' stays '+'); nullopt when an escape is malformed.
std::optional<std::string> PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);

}  // namespace sluice::controlplane
