// sluicectl: configuration as code for Sluice. See docs/sluicectl.md.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "tools/sluicectl/admin_client.h"
#include "tools/sluicectl/commands.h"

ABSL_FLAG(std::string, admin_url, "",
          "the control plane's admin API; default $SLUICE_ADMIN_URL, else http://127.0.0.1:8001");
ABSL_FLAG(std::string, f, "", "apply: the declarative file, YAML or JSON ('-' reads stdin)");
ABSL_FLAG(bool, prune, false, "apply: also delete what the file's sections do not list");
ABSL_FLAG(bool, dry_run, false, "apply: print the plan, write nothing");
ABSL_FLAG(std::string, o, "table", "get: output format, table or json");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "time limit of each admin API call");

namespace {

constexpr char kUsage[] = R"(sluicectl: configuration as code for Sluice's control plane.

  sluicectl [--admin-url URL] apply -f FILE [--prune] [--dry-run]
  sluicectl [--admin-url URL] get RESOURCE [-o json]
      RESOURCE: services, routes, upstreams, consumers, plugins, certificates, ca_certificates,
      providers, models, dataplanes
  sluicectl [--admin-url URL] status
  sluicectl [--admin-url URL] dump > FILE

Exit codes: 0 done; 1 the control plane refused a change; 2 the control plane could not be
reached, or the file or the arguments are wrong. See docs/sluicectl.md.)";

int Usage(const std::string& problem) {
  std::cerr << "error: " << problem << "\n\n" << kUsage << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // "-f -" (stdin) as "-f=-": Abseil warns about a flag value that starts with '-'.
  std::vector<std::string> raw(argv, argv + argc);
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    if ((raw[i] == "-f" || raw[i] == "--f") && raw[i + 1] == "-") {
      raw[i] += "=-";
      raw.erase(raw.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    }
  }
  std::vector<char*> raw_argv;
  for (std::string& a : raw) raw_argv.push_back(a.data());
  std::vector<std::string> args =
      sluice::ParseFlags(static_cast<int>(raw_argv.size()), raw_argv.data());
  if (args.size() < 2) return Usage("no command");
  const std::string& command = args[1];
  if (command == "help") {
    std::cout << kUsage << "\n";
    return 0;
  }
  const size_t want_args = command == "get" ? 3 : 2;
  if (command == "get" && args.size() < 3) return Usage("get what? (services, routes, ...)");
  if (args.size() > want_args)
    return Usage(absl::StrCat("unexpected argument '", args[want_args], "'"));
  if (command != "apply" && (!absl::GetFlag(FLAGS_f).empty() || absl::GetFlag(FLAGS_prune) ||
                             absl::GetFlag(FLAGS_dry_run))) {
    return Usage("-f, --prune and --dry-run go with apply");
  }
  if (command != "get" && absl::GetFlag(FLAGS_o) != "table") return Usage("-o goes with get");

  std::string admin_url = absl::GetFlag(FLAGS_admin_url);
  if (admin_url.empty()) {
    const char* env = std::getenv("SLUICE_ADMIN_URL");
    admin_url = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8001";
  }
  absl::StatusOr<sluice::sluicectl::AdminClient> client =
      sluice::sluicectl::AdminClient::Create(admin_url, absl::GetFlag(FLAGS_timeout));
  if (!client.ok()) return Usage(std::string(client.status().message()));

  using namespace sluice::sluicectl;
  if (command == "apply") {
    ApplyOptions options;
    options.file = absl::GetFlag(FLAGS_f);
    options.prune = absl::GetFlag(FLAGS_prune);
    options.dry_run = absl::GetFlag(FLAGS_dry_run);
    return RunApply(*client, options, std::cout, std::cerr);
  }
  if (command == "get")
    return RunGet(*client, args[2], absl::GetFlag(FLAGS_o), std::cout, std::cerr);
  if (command == "status") return RunStatus(*client, std::cout, std::cerr);
  if (command == "dump") return RunDump(*client, std::cout, std::cerr);
  return Usage(absl::StrCat("unknown command '", command, "'"));
}
