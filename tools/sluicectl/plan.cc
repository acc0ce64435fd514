#include "tools/sluicectl/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "tools/sluicectl/defaults.h"

namespace sluice::sluicectl {

namespace {

constexpr size_t kShownValueChars = 60;
constexpr std::string_view kScopeFields[] = {"service", "route", "consumer"};

std::string Shown(const JsonValue& v) {
  std::string s = ToJson(v);
  if (s.size() > kShownValueChars) s = absl::StrCat(s.substr(0, kShownValueChars - 3), "...");
  return s;
}

std::vector<std::string> SortedKeys(const JsonObject& o) {
  std::vector<std::string> keys;
  for (const auto& [k, unused] : o.fields()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// `given` with defaults filled in for the fields it leaves out or sets to null.
JsonObject WithDefaults(const JsonObject& given, const JsonObject& defaults) {
  JsonObject out = given;
  auto& fields = *out.mutable_fields();
  for (const auto& [k, v] : defaults.fields()) {
    auto it = fields.find(k);
    if (it == fields.end() || IsNull(it->second)) fields[k] = v;
  }
  return out;
}

class Planner {
 public:
  Planner(const Document& doc, const CurrentState& current, const PlanOptions& options)
      : doc_(doc), current_(current), options_(options) {}

  std::vector<Action> Run() {
    for (const DesiredEntity& u : doc_.upstreams) {
      const JsonObject* existing = PlanEntity(u);
      PlanTargets(u, existing);
    }
    for (const DesiredEntity& s : doc_.services) PlanEntity(s);
    for (const DesiredEntity& r : doc_.routes) PlanEntity(r);
    for (const DesiredEntity& c : doc_.consumers) {
      const JsonObject* existing = PlanEntity(c);
      PlanCredentials(c, existing);
    }
    for (const DesiredEntity& p : doc_.plugins) PlanPlugin(p);
    if (options_.prune) PlanDeletions();
    return std::move(actions_);
  }

 private:
  // Creates, updates or leaves entity `d` (not a plugin); returns what exists of it now.
  const JsonObject* PlanEntity(const DesiredEntity& d) {
    const std::string name = StringMember(d.fields, NameField(d.kind));
    const JsonObject* existing = name.empty()
                                     ? current_.FindById(d.kind, StringMember(d.fields, "id"))
                                     : current_.FindByName(d.kind, name);
    Action a;
    a.kind = d.kind;
    a.label = d.Key();
    a.line = d.line;
    a.method = "PUT";
    a.path = absl::StrCat("/", Sv(Collection(d.kind)), "/", PathSegment(d.Key()));
    a.body = ToJson(d.fields);
    if (existing == nullptr) {
      a.type = ActionType::kCreate;
    } else {
      kept_.insert({d.kind, StringMember(*existing, "id")});
      a.changes = Compare(d.kind, d.fields, *existing);
      a.type = a.changes.empty() ? ActionType::kUnchanged : ActionType::kUpdate;
    }
    Add(std::move(a));
    return existing;
  }

  void PlanTargets(const DesiredEntity& upstream, const JsonObject* existing) {
    if (!upstream.targets_listed) return;
    std::map<std::string, const JsonObject*> have;
    if (existing != nullptr) {
      for (const JsonObject* t :
           current_.Children(EntityKind::kTarget, StringMember(*existing, "id")))
        have[StringMember(*t, "target")] = t;
    }
    const std::string base = absl::StrCat("/upstreams/", PathSegment(upstream.Key()), "/targets");
    for (const DesiredTarget& t : upstream.targets) {
      Action a;
      a.kind = EntityKind::kTarget;
      a.label = absl::StrCat(upstream.Key(), " ", t.target);
      a.line = t.line;
      JsonObject want = t.fields;
      (*want.mutable_fields())["target"] = StringValue(t.target);
      auto it = have.find(t.target);
      if (it == have.end()) {
        a.type = ActionType::kCreate;
        a.method = "POST";
        a.path = base;
        a.body = ToJson(t.fields);
      } else {
        a.changes = Compare(EntityKind::kTarget, want, *it->second);
        a.type = a.changes.empty() ? ActionType::kUnchanged : ActionType::kUpdate;
        a.method = "PATCH";
        a.path = absl::StrCat(base, "/", PathSegment(StringMember(*it->second, "id")));
        // PATCH keeps what it is not given: send the defaults of left-out fields too.
        a.body = ToJson(WithDefaults(want, FieldDefaults(EntityKind::kTarget, want)));
        have.erase(it);
      }
      Add(std::move(a));
    }
    for (const auto& [target, t] : have) {
      later_deletions_[EntityKind::kTarget].push_back(
          Deletion(EntityKind::kTarget, absl::StrCat(upstream.Key(), " ", target),
                   absl::StrCat(base, "/", PathSegment(StringMember(*t, "id")))));
    }
  }

  void PlanCredentials(const DesiredEntity& consumer, const JsonObject* existing) {
    if (!consumer.credentials_listed) return;
    std::map<std::string, const JsonObject*> have;
    if (existing != nullptr) {
      for (const JsonObject* c :
           current_.Children(EntityKind::kCredential, StringMember(*existing, "id")))
        have[StringMember(*c, "key_hash")] = c;
    }
    const std::string base = absl::StrCat("/consumers/", PathSegment(consumer.Key()), "/key-auth");
    for (const DesiredCredential& c : consumer.credentials) {
      Action a;
      a.kind = EntityKind::kCredential;
      a.label = CredentialLabel(consumer.Key(), c.key_hash);
      a.line = c.line;
      auto it = have.find(c.key_hash);
      if (it == have.end()) {
        a.type = ActionType::kCreate;
        a.method = "POST";
        a.path = base;
        JsonObject body;
        (*body.mutable_fields())[c.key.empty() ? "key_hash" : "key"] =
            StringValue(c.key.empty() ? c.key_hash : c.key);
        a.body = ToJson(body);
      } else {
        a.type = ActionType::kUnchanged;
        have.erase(it);
      }
      Add(std::move(a));
    }
    for (const auto& [hash, c] : have) {
      later_deletions_[EntityKind::kCredential].push_back(
          Deletion(EntityKind::kCredential, CredentialLabel(consumer.Key(), hash),
                   absl::StrCat(base, "/", PathSegment(StringMember(*c, "id")))));
    }
  }

  void PlanPlugin(const DesiredEntity& d) {
    const std::string name = StringMember(d.fields, "name");
    // The scope as ids; a reference to something that does not exist yet matches nothing.
    bool resolvable = true;
    std::vector<std::string> scope;
    std::vector<std::string> shown_scope;
    for (std::string_view field : kScopeFields) {
      const JsonObject* ref = ObjectMember(d.fields, field);
      if (ref == nullptr) {
        scope.emplace_back();
        continue;
      }
      EntityKind ref_kind;
      RefKind(field, &ref_kind);
      std::string id = current_.Resolve(ref_kind, *ref);
      resolvable = resolvable && !id.empty();
      scope.push_back(id);
      std::string shown = StringMember(*ref, NameField(ref_kind));
      if (shown.empty()) shown = StringMember(*ref, "name");
      if (shown.empty()) shown = StringMember(*ref, "id");
      shown_scope.push_back(absl::StrCat(Sv(field), " ", shown));
    }
    const JsonObject* existing = nullptr;
    if (resolvable) {
      for (const JsonObject& p : current_.Of(EntityKind::kPlugin)) {
        if (StringMember(p, "name") == name && RefId(p, "service") == scope[0] &&
            RefId(p, "route") == scope[1] && RefId(p, "consumer") == scope[2]) {
          existing = &p;
        }
      }
    }
    Action a;
    a.kind = EntityKind::kPlugin;
    a.label = PluginLabel(name, shown_scope);
    a.line = d.line;
    a.body = ToJson(d.fields);
    if (existing == nullptr) {
      a.type = ActionType::kCreate;
      a.method = "POST";
      a.path = "/plugins";
    } else {
      kept_.insert({EntityKind::kPlugin, StringMember(*existing, "id")});
      a.changes = Compare(EntityKind::kPlugin, d.fields, *existing);
      a.type = a.changes.empty() ? ActionType::kUnchanged : ActionType::kUpdate;
      a.method = "PUT";
      a.path = absl::StrCat("/plugins/", PathSegment(StringMember(*existing, "id")));
    }
    Add(std::move(a));
  }

  void PlanDeletions() {
    auto prune_kind = [&](EntityKind kind) {
      if (doc_.sections.count(kind) == 0) return;
      for (const JsonObject& e : current_.Of(kind)) {
        const std::string id = StringMember(e, "id");
        if (kept_.count({kind, id}) > 0) continue;
        std::string label =
            kind == EntityKind::kPlugin ? CurrentPluginLabel(e) : current_.DisplayName(kind, id);
        actions_.push_back(Deletion(kind, std::move(label),
                                    absl::StrCat("/", Sv(Collection(kind)), "/", PathSegment(id))));
      }
    };
    auto queued = [&](EntityKind kind) {
      for (Action& a : later_deletions_[kind]) actions_.push_back(std::move(a));
    };
    prune_kind(EntityKind::kPlugin);
    prune_kind(EntityKind::kRoute);
    prune_kind(EntityKind::kService);
    queued(EntityKind::kTarget);
    prune_kind(EntityKind::kUpstream);
    queued(EntityKind::kCredential);
    prune_kind(EntityKind::kConsumer);
  }

  // The fields of `given` (with defaults for those it leaves out) that differ from `existing`.
  std::vector<std::string> Compare(EntityKind kind, const JsonObject& given,
                                   const JsonObject& existing) const {
    JsonObject want = given;
    if (kind == EntityKind::kService) ExpandServiceUrl(&want);
    want = WithDefaults(want, FieldDefaults(kind, want));
    std::vector<std::string> changes;
    for (const std::string& field : SortedKeys(want)) {
      const JsonValue& w = want.fields().at(field);
      const JsonValue* h = Member(existing, field);
      const JsonValue have = h == nullptr ? NullValue() : *h;
      EntityKind ref_kind;
      if (kind != EntityKind::kTarget && RefKind(field, &ref_kind)) {
        CompareRef(field, ref_kind, w, have, &changes);
      } else if (kind == EntityKind::kPlugin && field == "config") {
        ComparePluginConfig(StringMember(want, "name"), w, have, &changes);
      } else if (!JsonEqual(w, have)) {
        changes.push_back(absl::StrCat(field, ": ", Shown(have), " -> ", Shown(w)));
      }
    }
    return changes;
  }

  void CompareRef(const std::string& field, EntityKind ref_kind, const JsonValue& want,
                  const JsonValue& have, std::vector<std::string>* changes) const {
    const std::string have_id =
        have.kind_case() == JsonValue::kStructValue ? StringMember(have.struct_value(), "id") : "";
    std::string want_shown = "null";
    bool same = have_id.empty();
    if (want.kind_case() == JsonValue::kStructValue && want.struct_value().fields_size() > 0) {
      // A reference to something that does not exist yet differs from whatever is there.
      const std::string want_id = current_.Resolve(ref_kind, want.struct_value());
      same = !want_id.empty() && want_id == have_id;
      want_shown = StringMember(want.struct_value(), NameField(ref_kind));
      if (want_shown.empty()) want_shown = StringMember(want.struct_value(), "name");
      if (want_shown.empty()) want_shown = StringMember(want.struct_value(), "id");
      if (want_id.empty()) want_shown += " (not there yet)";
    }
    if (same) return;
    const std::string have_shown =
        have_id.empty() ? "null" : current_.DisplayName(ref_kind, have_id);
    changes->push_back(absl::StrCat(field, ": ", have_shown, " -> ", want_shown));
  }

  void ComparePluginConfig(const std::string& plugin, const JsonValue& want, const JsonValue& have,
                           std::vector<std::string>* changes) const {
    const JsonObject given =
        want.kind_case() == JsonValue::kStructValue ? want.struct_value() : JsonObject();
    const JsonObject full = WithDefaults(given, PluginConfigDefaults(plugin));
    const JsonObject have_config =
        have.kind_case() == JsonValue::kStructValue ? have.struct_value() : JsonObject();
    for (const std::string& key : SortedKeys(full)) {
      const JsonValue& w = full.fields().at(key);
      const JsonValue* h = Member(have_config, key);
      const JsonValue have_value = h == nullptr ? NullValue() : *h;
      if (JsonEqual(w, have_value)) continue;
      // key-auth stores `anonymous` as the consumer's id; the file may name it.
      if (plugin == "key-auth" && key == "anonymous" && w.kind_case() == JsonValue::kStringValue &&
          have_value.kind_case() == JsonValue::kStringValue) {
        JsonObject ref;
        (*ref.mutable_fields())["username"] = w;
        const std::string id = current_.Resolve(EntityKind::kConsumer, ref);
        if (!id.empty() && id == have_value.string_value()) continue;
      }
      changes->push_back(absl::StrCat("config.", key, ": ", Shown(have_value), " -> ", Shown(w)));
    }
  }

  static std::string CredentialLabel(const std::string& consumer, const std::string& hash) {
    return absl::StrCat(consumer, " key sha256:", hash.substr(0, 12));
  }

  static std::string PluginLabel(const std::string& name, const std::vector<std::string>& scope) {
    return absl::StrCat(name, " (", scope.empty() ? "global" : absl::StrJoin(scope, ", "), ")");
  }

  std::string CurrentPluginLabel(const JsonObject& p) const {
    std::vector<std::string> scope;
    for (std::string_view field : kScopeFields) {
      const std::string id = RefId(p, field);
      if (id.empty()) continue;
      EntityKind kind;
      RefKind(field, &kind);
      scope.push_back(absl::StrCat(Sv(field), " ", current_.DisplayName(kind, id)));
    }
    return PluginLabel(StringMember(p, "name"), scope);
  }

  static Action Deletion(EntityKind kind, std::string label, std::string path) {
    Action a;
    a.type = ActionType::kDelete;
    a.kind = kind;
    a.label = std::move(label);
    a.method = "DELETE";
    a.path = std::move(path);
    return a;
  }

  void Add(Action a) {
    if (a.type == ActionType::kUnchanged) {
      a.method.clear();
      a.path.clear();
      a.body.clear();
    }
    actions_.push_back(std::move(a));
  }

  const Document& doc_;
  const CurrentState& current_;
  const PlanOptions& options_;
  std::vector<Action> actions_;
  std::set<std::pair<EntityKind, std::string>> kept_;  // existing entities the file lists
  std::map<EntityKind, std::vector<Action>> later_deletions_;
};

}  // namespace

std::vector<Action> ComputePlan(const Document& desired, const CurrentState& current,
                                const PlanOptions& options) {
  return Planner(desired, current, options).Run();
}

PlanCounts Count(const std::vector<Action>& actions) {
  PlanCounts c;
  for (const Action& a : actions) {
    switch (a.type) {
      case ActionType::kCreate:
        ++c.created;
        break;
      case ActionType::kUpdate:
        ++c.updated;
        break;
      case ActionType::kDelete:
        ++c.deleted;
        break;
      case ActionType::kUnchanged:
        ++c.unchanged;
        break;
    }
  }
  return c;
}

std::string_view Verb(ActionType type) {
  switch (type) {
    case ActionType::kCreate:
      return "create";
    case ActionType::kUpdate:
      return "update";
    case ActionType::kDelete:
      return "delete";
    case ActionType::kUnchanged:
      return "unchanged";
  }
  return "";
}

std::string Describe(const Action& action) {
  std::string out =
      absl::StrCat(Sv(Verb(action.type)), " ", Sv(Singular(action.kind)), " ", action.label);
  if (!action.changes.empty()) absl::StrAppend(&out, ": ", absl::StrJoin(action.changes, ", "));
  return out;
}

std::string PathSegment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

}  // namespace sluice::sluicectl
