#include "tools/sluicectl/tables.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "tools/sluicectl/json_value.h"

namespace sluice::sluicectl {

namespace {

std::string Text(const JsonObject& o, std::string_view key) {
  const JsonValue* v = Member(o, key);
  if (v == nullptr || IsNull(*v)) return "";
  if (v->kind_case() == JsonValue::kStringValue) return v->string_value();
  if (v->kind_case() == JsonValue::kListValue) {
    std::vector<std::string> parts;
    for (const JsonValue& item : v->list_value().values())
      parts.push_back(item.kind_case() == JsonValue::kStringValue ? item.string_value()
                                                                  : ToJson(item));
    return absl::StrJoin(parts, ",");
  }
  return ToJson(*v);
}

int64_t Int(const JsonObject& o, std::string_view key, int64_t fallback = 0) {
  const JsonValue* v = Member(o, key);
  return v != nullptr && v->kind_case() == JsonValue::kNumberValue
             ? static_cast<int64_t>(v->number_value())
             : fallback;
}

std::string Ref(const JsonObject& o, std::string_view field,
                const std::map<std::string, std::string>& names) {
  const JsonObject* ref = ObjectMember(o, field);
  if (ref == nullptr) return "";
  const std::string id = StringMember(*ref, "id");
  auto it = names.find(id);
  return it == names.end() || it->second.empty() ? id : it->second;
}

std::string OrDash(std::string s) { return s.empty() ? "-" : s; }

std::vector<std::string> Row(const std::string& resource, const JsonObject& o,
                             const std::map<std::string, std::string>& names, int64_t now) {
  if (resource == "services") {
    std::string url = absl::StrCat(Text(o, "protocol"), "://", Text(o, "host"), ":",
                                   Text(o, "port"), Text(o, "path"));
    return {OrDash(Text(o, "name")),
            url,
            Text(o, "retries"),
            absl::StrCat(Text(o, "connect_timeout"), "/", Text(o, "write_timeout"), "/",
                         Text(o, "read_timeout")),
            Text(o, "enabled"),
            Text(o, "id")};
  }
  if (resource == "routes") {
    return {OrDash(Text(o, "name")),
            OrDash(Text(o, "paths")),
            OrDash(Text(o, "hosts")),
            OrDash(Text(o, "methods")),
            OrDash(Ref(o, "service", names)),
            Text(o, "strip_path"),
            Text(o, "id")};
  }
  if (resource == "upstreams") return {Text(o, "name"), Text(o, "algorithm"), Text(o, "id")};
  if (resource == "consumers") {
    return {OrDash(Text(o, "username")), OrDash(Text(o, "custom_id")), Text(o, "id")};
  }
  if (resource == "plugins") {
    std::vector<std::string> scope;
    for (const char* field : {"service", "route", "consumer"}) {
      std::string r = Ref(o, field, names);
      if (!r.empty()) scope.push_back(absl::StrCat(field, "=", r));
    }
    return {Text(o, "name"), scope.empty() ? "global" : absl::StrJoin(scope, " "),
            Text(o, "enabled"), Text(o, "id")};
  }
  if (resource == "certificates") {
    return {OrDash(Text(o, "name")), OrDash(Text(o, "snis")), Text(o, "id")};
  }
  if (resource == "ca_certificates") return {OrDash(Text(o, "name")), Text(o, "id")};
  if (resource == "providers") {
    return {Text(o, "name"), Text(o, "kind"), Text(o, "base_url"), Text(o, "id")};
  }
  if (resource == "models") {
    std::vector<std::string> routing;
    if (const JsonValue* split = Member(o, "split");
        split != nullptr && split->kind_case() == JsonValue::kListValue) {
      for (const JsonValue& e : split->list_value().values()) {
        if (e.kind_case() != JsonValue::kStructValue) continue;
        routing.push_back(absl::StrCat(Ref(e.struct_value(), "model", names), ":",
                                       Text(e.struct_value(), "weight")));
      }
    }
    std::string fallbacks;
    if (const JsonValue* f = Member(o, "fallbacks");
        f != nullptr && f->kind_case() == JsonValue::kListValue) {
      std::vector<std::string> parts;
      for (const JsonValue& ref : f->list_value().values()) {
        if (ref.kind_case() != JsonValue::kStructValue) continue;
        const std::string id = StringMember(ref.struct_value(), "id");
        auto it = names.find(id);
        parts.push_back(it == names.end() || it->second.empty() ? id : it->second);
      }
      fallbacks = absl::StrJoin(parts, ",");
    }
    return {Text(o, "name"),
            routing.empty() ? OrDash(Ref(o, "provider", names)) : "(split)",
            routing.empty() ? OrDash(Text(o, "model")) : absl::StrJoin(routing, ","),
            OrDash(fallbacks),
            Text(o, "id")};
  }
  // dataplanes
  std::string nack = "-";
  if (const JsonObject* n = ObjectMember(o, "last_nack")) {
    nack = absl::StrCat("version ", Int(*n, "version"), ": ", Text(*n, "message"));
  }
  return {Text(o, "node_id"),
          Text(o, "hostname"),
          Text(o, "address"),
          Text(o, "connected") == "true" ? "yes" : "no",
          Text(o, "last_acked_version"),
          Ago(now - Int(o, "last_seen", now)),
          nack};
}

std::vector<std::string> Header(const std::string& resource) {
  if (resource == "services")
    return {"NAME", "URL", "RETRIES", "TIMEOUTS(C/W/R ms)", "ENABLED", "ID"};
  if (resource == "routes")
    return {"NAME", "PATHS", "HOSTS", "METHODS", "SERVICE", "STRIP_PATH", "ID"};
  if (resource == "upstreams") return {"NAME", "ALGORITHM", "ID"};
  if (resource == "consumers") return {"USERNAME", "CUSTOM_ID", "ID"};
  if (resource == "plugins") return {"NAME", "SCOPE", "ENABLED", "ID"};
  if (resource == "certificates") return {"NAME", "SNIS", "ID"};
  if (resource == "ca_certificates") return {"NAME", "ID"};
  if (resource == "providers") return {"NAME", "KIND", "BASE_URL", "ID"};
  if (resource == "models") return {"NAME", "PROVIDER", "MODEL", "FALLBACKS", "ID"};
  return {"NODE_ID", "HOSTNAME", "ADDRESS", "CONNECTED", "ACKED_VERSION", "LAST_SEEN", "LAST_NACK"};
}

}  // namespace

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

const std::vector<std::string_view>& ListableResources() {
  static const std::vector<std::string_view> kResources = {
      "services",     "routes",          "upstreams", "consumers", "plugins",
      "certificates", "ca_certificates", "providers", "models",    "dataplanes"};
  return kResources;
}

absl::StatusOr<std::string> FormatResourceTable(std::string_view resource,
                                                const std::vector<std::string>& items,
                                                const std::map<std::string, std::string>& names,
                                                int64_t now) {
  const auto& known = ListableResources();
  if (std::find(known.begin(), known.end(), resource) == known.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown resource '", Sv(resource), "'"));
  }
  const std::string r(resource);
  std::vector<std::vector<std::string>> rows = {Header(r)};
  for (const std::string& item : items) {
    absl::StatusOr<JsonObject> o = ParseJsonObject(item);
    if (!o.ok())
      return absl::InternalError(absl::StrCat("an item of ", r, " is not a JSON object"));
    rows.push_back(Row(r, *o, names, now));
  }
  if (items.empty()) return absl::StrCat("no ", r, "\n");
  return FormatTable(rows);
}

absl::StatusOr<std::string> FormatStatus(std::string_view admin_url, std::string_view status_json,
                                         std::string_view dataplanes_json, int64_t now) {
  absl::StatusOr<JsonObject> status = ParseJsonObject(status_json);
  absl::StatusOr<JsonObject> dataplanes = ParseJsonObject(dataplanes_json);
  if (!status.ok() || !dataplanes.ok())
    return absl::InternalError("GET /status or /dataplanes: the answer is not a JSON object");
  const int64_t version = Int(*status, "config_version", -1);
  const JsonObject* store = ObjectMember(*status, "store");
  std::string store_text = "unknown";
  if (store != nullptr) {
    store_text = absl::StrCat(Text(*store, "healthy") == "true" ? "healthy" : "UNHEALTHY",
                              " (data dir ", Text(*store, "data_dir"), ")");
  }
  std::vector<std::vector<std::string>> rows = {
      {"NODE_ID", "ADDRESS", "CONNECTED", "ACKED_VERSION", "STATE"}};
  int connected = 0, behind = 0;
  const JsonValue* data = Member(*dataplanes, "data");
  if (data != nullptr && data->kind_case() == JsonValue::kListValue) {
    for (const JsonValue& item : data->list_value().values()) {
      if (item.kind_case() != JsonValue::kStructValue) continue;
      const JsonObject& dp = item.struct_value();
      const bool is_connected = Text(dp, "connected") == "true";
      const int64_t acked = Int(dp, "last_acked_version", -1);
      std::string state;
      if (acked >= version) {
        state = "up to date";
      } else {
        state = absl::StrCat("behind by ", version - acked, " version(s)");
        if (is_connected) ++behind;
      }
      if (!is_connected)
        absl::StrAppend(&state, "; last seen ", Ago(now - Int(dp, "last_seen", now)));
      if (const JsonObject* n = ObjectMember(dp, "last_nack")) {
        absl::StrAppend(&state, "; rejected version ", Int(*n, "version"), ": ",
                        Text(*n, "message"));
      }
      connected += is_connected ? 1 : 0;
      rows.push_back({Text(dp, "node_id"), Text(dp, "address"), is_connected ? "yes" : "no",
                      absl::StrCat(acked), state});
    }
  }
  std::string out = FormatTable({
      {"control plane", std::string(admin_url)},
      {"config version", absl::StrCat(version)},
      {"store", store_text},
      {"data planes", absl::StrCat(connected, " connected",
                                   behind > 0 ? absl::StrCat(", ", behind, " behind") : "")},
  });
  if (rows.size() > 1) absl::StrAppend(&out, "\n", FormatTable(rows));
  return out;
}

std::string Ago(int64_t seconds) {
  if (seconds < 1) return "just now";
  if (seconds < 120) return absl::StrCat(seconds, "s ago");
  if (seconds < 2 * 3600) return absl::StrCat(seconds / 60, "m ago");
  if (seconds < 2 * 86400) return absl::StrCat(seconds / 3600, "h ago");
  return absl::StrCat(seconds / 86400, "d ago");
}

}  // namespace sluice::sluicectl
