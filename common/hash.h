#pragma once
#include <string>
#include <string_view>

namespace sluice {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte SHA-256 of `data`.
std::string Sha256Raw(std::string_view data);
// A random version-4 UUID, from OpenSSL's CSPRNG.
std::string NewUuid();
// `bytes` random bytes from OpenSSL's CSPRNG, URL-safe base64 without padding.
std::string RandomToken(size_t bytes);
bool LooksLikeUuid(std::string_view s);

}  // namespace sluice
