#pragma once
// What `sluicectl get` and `sluicectl status` print: aligned text tables built from the admin
// API's JSON. Pure: the caller fetches.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::sluicectl {

// Columns padded to their widest cell, two spaces apart; the first row is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// The resources `get` knows, in the order `get` lists them in its help.
const std::vector<std::string_view>& ListableResources();

// A table of `items` (JSON objects of the collection `resource`). `names` maps ids of services,
// routes, consumers, providers and models to their names, to show references by name; `now`
// (Unix seconds) dates
// data planes' last contact.
absl::StatusOr<std::string> FormatResourceTable(std::string_view resource,
                                                const std::vector<std::string>& items,
                                                const std::map<std::string, std::string>& names,
                                                int64_t now);

// `status`: the control plane's GET /status and GET /dataplanes answers, side by side.
absl::StatusOr<std::string> FormatStatus(std::string_view admin_url, std::string_view status_json,
                                         std::string_view dataplanes_json, int64_t now);

// "just now", "42s ago", "5m ago", "3h ago", "2d ago".
std::string Ago(int64_t seconds);

}  // namespace sluice::sluicectl
