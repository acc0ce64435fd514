#pragma once
// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a type
// of its own that does not accept a std::string_view. Our APIs use std::string_view; wrap one
// with Sv() where an Abseil function (StrCat, SimpleAtoi, StrSplit...) needs it.
#include <string_view>

#include "absl/strings/string_view.h"

namespace sluice {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace sluice
