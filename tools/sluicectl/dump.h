#pragma once
// `sluicectl dump`: the control plane's configuration as a declarative document in the format
// `apply` reads, written so that applying it to the same control plane changes nothing. Fields at
// their defaults are left out; references are written by name. Key-auth credentials are left out
// (the control plane keeps only hashes of the keys): a comment says how many a consumer has.
// Secrets (a certificate's key, a provider's auth.secret) are written as "<redacted>", which
// `apply` sends back to mean "keep the stored one".
#include <string>

#include "tools/sluicectl/current_state.h"

namespace sluice::sluicectl {

std::string DumpDocument(const CurrentState& state);

}  // namespace sluice::sluicectl
