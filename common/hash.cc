#include "common/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace sluice {

std::string Sha256Raw(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string Sha256Hex(std::string_view data) { return absl::BytesToHexString(Sha256Raw(data)); }

static void Random(unsigned char* buf, size_t n) {
  // RAND_bytes only fails when the CSPRNG cannot be seeded; nothing sensible can continue then.
  if (RAND_bytes(buf, static_cast<int>(n)) != 1) abort();
}

std::string NewUuid() {
  unsigned char b[16];
  Random(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  Random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  std::string out;
  absl::WebSafeBase64Escape(raw, &out);
  return out;
}

bool LooksLikeUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice
