#pragma once
#include <map>
#include <string>

namespace sluice::controlplane {

// Field path ("paths[1]", "config.key_names[0]", "service") → what is wrong with it. Ordered so
// error bodies are stable.
using FieldErrors = std::map<std::string, std::string>;

}  // namespace sluice::controlplane
