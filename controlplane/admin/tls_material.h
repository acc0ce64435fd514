#pragma once
// Checks of the PEM documents given to /certificates and /ca_certificates, with OpenSSL, so a
// data plane is never sent TLS material it cannot load. Each error message says what to fix.
#include <string_view>

#include "absl/status/status.h"

namespace sluice::controlplane {

// `pem` holds one or more certificates (-----BEGIN CERTIFICATE-----), leaf first, and nothing
// else that PEM can carry (no keys).
absl::Status CheckCertificateChain(std::string_view pem);

// `key_pem` is one unencrypted PEM private key, and it belongs to the first certificate of
// `cert_pem` (which must pass CheckCertificateChain).
absl::Status CheckPrivateKeyMatches(std::string_view cert_pem, std::string_view key_pem);

// Every certificate in `pem` (one or more) is a CA: basicConstraints CA:TRUE.
absl::Status CheckCaCertificates(std::string_view pem);

}  // namespace sluice::controlplane
