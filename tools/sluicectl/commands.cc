#include "tools/sluicectl/commands.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/strings.h"
#include "tools/sluicectl/current_state.h"
#include "tools/sluicectl/document.h"
#include "tools/sluicectl/dump.h"
#include "tools/sluicectl/json_value.h"
#include "tools/sluicectl/plan.h"
#include "tools/sluicectl/tables.h"

namespace sluice::sluicectl {

namespace {

int Fail(std::ostream& err, const absl::Status& status) {
  err << "error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

absl::StatusOr<std::string> ReadInput(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", file, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<CurrentState> FetchState(const AdminClient& client) {
  absl::StatusOr<std::string> config = client.Get("/config");
  if (!config.ok()) return config.status();
  return CurrentState::FromConfigJson(*config);
}

std::string Past(ActionType type) {
  switch (type) {
    case ActionType::kCreate:
      return "created";
    case ActionType::kUpdate:
      return "updated";
    case ActionType::kDelete:
      return "deleted";
    case ActionType::kUnchanged:
      return "unchanged";
  }
  return "";
}

std::string CountsText(const PlanCounts& c) {
  return absl::StrCat(c.created, " created, ", c.updated, " updated, ", c.deleted, " deleted, ",
                      c.unchanged, " unchanged");
}

}  // namespace

int RunApply(const AdminClient& client, const ApplyOptions& options, std::ostream& out,
             std::ostream& err) {
  if (options.file.empty()) {
    return Fail(err, absl::InvalidArgumentError("apply needs a file: sluicectl apply -f FILE"));
  }
  absl::StatusOr<std::string> text = ReadInput(options.file);
  if (!text.ok()) return Fail(err, text.status());
  absl::StatusOr<Document> doc =
      ParseDocument(*text, options.file == "-" ? "<stdin>" : options.file);
  if (!doc.ok()) return Fail(err, doc.status());
  absl::StatusOr<CurrentState> state = FetchState(client);
  if (!state.ok()) return Fail(err, state.status());

  const std::vector<Action> plan = ComputePlan(*doc, *state, PlanOptions{options.prune});
  if (options.dry_run) {
    for (const Action& a : plan) out << Describe(a) << "\n";
    const PlanCounts c = Count(plan);
    out << "dry run: " << c.created << " to create, " << c.updated << " to update, " << c.deleted
        << " to delete, " << c.unchanged << " unchanged (config version " << state->version()
        << "; nothing was written)\n";
    return 0;
  }

  PlanCounts done;
  for (const Action& a : plan) {
    if (a.type == ActionType::kUnchanged) {
      ++done.unchanged;
      continue;
    }
    const std::string what = absl::StrCat(Sv(Verb(a.type)), " ", Sv(Singular(a.kind)), " ", a.label,
                                          a.line > 0 ? absl::StrCat(" (line ", a.line, ")") : "");
    absl::StatusOr<HttpReply> reply = client.Call(a.method, a.path, a.body);
    // A deletion that finds nothing has nothing left to do (a cascade or another writer got there).
    const bool ok = reply.ok() && (reply->status / 100 == 2 ||
                                   (a.type == ActionType::kDelete && reply->status == 404));
    if (!ok) {
      if (!reply.ok()) {
        err << "error: " << what << ": " << reply.status().message()
            << "\n  the control plane may or may not have applied this write\n";
      } else {
        err << "error: " << what << ": " << a.method << " " << a.path << " -> "
            << DescribeError(*reply) << "\n";
      }
      err << "stopped; applied before the error: " << done.created << " created, " << done.updated
          << " updated, " << done.deleted << " deleted; the remaining writes were not attempted\n";
      return reply.ok() ? 1 : ExitCodeFor(reply.status());
    }
    out << Past(a.type) << " " << Singular(a.kind) << " " << a.label;
    if (!a.changes.empty()) out << ": " << absl::StrJoin(a.changes, ", ");
    out << "\n";
    switch (a.type) {
      case ActionType::kCreate:
        ++done.created;
        break;
      case ActionType::kUpdate:
        ++done.updated;
        break;
      case ActionType::kDelete:
        ++done.deleted;
        break;
      case ActionType::kUnchanged:
        break;
    }
  }
  std::string version = absl::StrCat(state->version());
  if (done.created + done.updated + done.deleted > 0) {
    absl::StatusOr<std::string> status = client.Get("/status");
    absl::StatusOr<JsonObject> parsed =
        status.ok() ? ParseJsonObject(*status) : absl::StatusOr<JsonObject>(status.status());
    const JsonValue* v = parsed.ok() ? Member(*parsed, "config_version") : nullptr;
    version = v != nullptr && v->kind_case() == JsonValue::kNumberValue ? ToJson(*v) : "unknown";
  }
  out << "applied: " << CountsText(done) << " (config version " << version << ")\n";
  return 0;
}

int RunGet(const AdminClient& client, std::string_view resource, std::string_view output,
           std::ostream& out, std::ostream& err) {
  const auto& known = ListableResources();
  if (std::find(known.begin(), known.end(), resource) == known.end()) {
    return Fail(
        err,
        absl::InvalidArgumentError(absl::StrCat(
            "get: unknown resource '", Sv(resource), "'; one of ",
            absl::StrJoin(known, ", ", [](std::string* o, std::string_view s) { o->append(s); }))));
  }
  if (output != "table" && output != "json") {
    return Fail(err,
                absl::InvalidArgumentError(absl::StrCat("-o ", Sv(output), ": use table or json")));
  }
  absl::StatusOr<std::vector<std::string>> items = client.ListAll(absl::StrCat("/", Sv(resource)));
  if (!items.ok()) return Fail(err, items.status());
  if (output == "json") {
    out << "{\"data\":[" << absl::StrJoin(*items, ",") << "]}\n";
    return 0;
  }
  // References show by name: fetch what they point to.
  std::map<std::string, std::string> names;
  std::vector<std::pair<std::string, std::string>> lookups;  // collection, name field
  if (resource == "routes" || resource == "plugins") lookups.emplace_back("/services", "name");
  if (resource == "plugins") {
    lookups.emplace_back("/routes", "name");
    lookups.emplace_back("/consumers", "username");
  }
  if (resource == "models") {
    lookups.emplace_back("/providers", "name");
    lookups.emplace_back("/models", "name");
  }
  for (const auto& [collection, field] : lookups) {
    absl::StatusOr<std::vector<std::string>> others = client.ListAll(collection);
    if (!others.ok()) return Fail(err, others.status());
    for (const std::string& o : *others) {
      absl::StatusOr<JsonObject> parsed = ParseJsonObject(o);
      if (parsed.ok()) names[StringMember(*parsed, "id")] = StringMember(*parsed, field);
    }
  }
  absl::StatusOr<std::string> table =
      FormatResourceTable(resource, *items, names, absl::ToUnixSeconds(absl::Now()));
  if (!table.ok()) return Fail(err, table.status());
  out << *table;
  return 0;
}

int RunStatus(const AdminClient& client, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> status = client.Get("/status");
  if (!status.ok()) return Fail(err, status.status());
  absl::StatusOr<std::string> dataplanes = client.Get("/dataplanes");
  if (!dataplanes.ok()) return Fail(err, dataplanes.status());
  absl::StatusOr<std::string> text =
      FormatStatus(client.url(), *status, *dataplanes, absl::ToUnixSeconds(absl::Now()));
  if (!text.ok()) return Fail(err, text.status());
  out << *text;
  return 0;
}

int RunDump(const AdminClient& client, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CurrentState> state = FetchState(client);
  if (!state.ok()) return Fail(err, state.status());
  out << DumpDocument(*state);
  return 0;
}

}  // namespace sluice::sluicectl
