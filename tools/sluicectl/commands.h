#pragma once
// The sluicectl commands. Each prints its results to `out`, its errors to `err`, and returns the
// process exit code: 0 done, 1 the control plane refused something, 2 the control plane could not
// be reached or the input (file, arguments) is bad.
#include <ostream>
#include <string>
#include <string_view>

#include "tools/sluicectl/admin_client.h"

namespace sluice::sluicectl {

struct ApplyOptions {
  std::string file;  // "-" reads standard input
  bool prune = false;
  bool dry_run = false;
};

int RunApply(const AdminClient& client, const ApplyOptions& options, std::ostream& out,
             std::ostream& err);
// `output` is "table" or "json".
int RunGet(const AdminClient& client, std::string_view resource, std::string_view output,
           std::ostream& out, std::ostream& err);
int RunStatus(const AdminClient& client, std::ostream& out, std::ostream& err);
int RunDump(const AdminClient& client, std::ostream& out, std::ostream& err);

}  // namespace sluice::sluicectl
