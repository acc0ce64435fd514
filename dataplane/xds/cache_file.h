#pragma once
// The data plane's cache file: the last applied config, so that a data plane starting while the
// control plane is unreachable serves the last good config (static stability).
//
// Layout: "SLUICECACHE1\n", payload length (8 bytes, little endian), SHA-256 of the payload
// (32 bytes), payload (a serialized sluice.discovery.v1.CachedSnapshot). A file that is
// truncated, corrupt or of another format is rejected as a whole, never partly used.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sluice/discovery/v1/discovery.pb.h"

namespace sluice {

// Writes atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.
absl::Status WriteCacheFile(const std::string& path,
                            const discovery::v1::CachedSnapshot& snapshot);
absl::StatusOr<discovery::v1::CachedSnapshot> ReadCacheFile(const std::string& path);
// Decodes the bytes of a cache file; `name` only labels error messages. Split from ReadCacheFile
// so the decoder can be fuzzed without touching the file system.
absl::StatusOr<discovery::v1::CachedSnapshot> ParseCacheFile(std::string_view data,
                                                             std::string_view name);

}  // namespace sluice
