#include "tools/sluicectl/plan.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
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
    for (const DesiredEntity& c : doc_.ca_certificates) PlanEntity(c);
    for (const DesiredEntity& c : doc_.certificates) PlanEntity(c);
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
    for (const DesiredEntity& p : doc_.providers) PlanEntity(p);
    for (const DesiredEntity* m : DesiredModelsInOrder()) PlanEntity(*m);
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

  // The references a model holds (fallbacks, then split entries) as written.
  static std::vector<JsonObject> ModelRefs(const JsonObject& model) {
    std::vector<JsonObject> refs;
    if (const JsonValue* f = Member(model, "fallbacks");
        f != nullptr && f->kind_case() == JsonValue::kListValue) {
      for (const JsonValue& item : f->list_value().values())
        if (item.kind_case() == JsonValue::kStructValue) refs.push_back(item.struct_value());
    }
    if (const JsonValue* sp = Member(model, "split");
        sp != nullptr && sp->kind_case() == JsonValue::kListValue) {
      for (const JsonValue& item : sp->list_value().values()) {
        if (item.kind_case() != JsonValue::kStructValue) continue;
        const JsonObject* ref = ObjectMember(item.struct_value(), "model");
        if (ref != nullptr) refs.push_back(*ref);
      }
    }
    return refs;
  }

  // `models` ordered so a model comes after every model it references (where the references
  // form no cycle; the control plane refuses one). `find` maps a reference to a model or null.
  static std::vector<const JsonObject*> ReferencedFirst(
      const std::vector<const JsonObject*>& models,
      const std::function<const JsonObject*(const JsonObject& ref)>& find) {
    std::vector<const JsonObject*> out;
    std::set<const JsonObject*> done, visiting;
    std::function<void(const JsonObject*)> visit = [&](const JsonObject* m) {
      if (done.count(m) > 0 || !visiting.insert(m).second) return;
      for (const JsonObject& ref : ModelRefs(*m))
        if (const JsonObject* next = find(ref)) visit(next);
      visiting.erase(m);
      done.insert(m);
      out.push_back(m);
    };
    for (const JsonObject* m : models) visit(m);
    return out;
  }

  // The file's models, each after the models it falls back or splits to, so those exist first.
  std::vector<const DesiredEntity*> DesiredModelsInOrder() const {
    std::map<std::string, const JsonObject*> by_name, by_id;
    std::map<const JsonObject*, const DesiredEntity*> entity_of;
    std::vector<const JsonObject*> fields;
    for (const DesiredEntity& m : doc_.models) {
      const std::string name = StringMember(m.fields, "name");
      const std::string id = StringMember(m.fields, "id");
      if (!name.empty()) by_name[name] = &m.fields;
      if (!id.empty()) by_id[id] = &m.fields;
      entity_of[&m.fields] = &m;
      fields.push_back(&m.fields);
    }
    auto find = [&](const JsonObject& ref) -> const JsonObject* {
      const std::string name = StringMember(ref, "name");
      const auto& index = name.empty() ? by_id : by_name;
      auto it = index.find(name.empty() ? StringMember(ref, "id") : name);
      return it == index.end() ? nullptr : it->second;
    };
    std::vector<const DesiredEntity*> out;
    for (const JsonObject* m : ReferencedFirst(fields, find)) out.push_back(entity_of[m]);
    return out;
  }

  // The control plane's models, each before the models it references: an order to delete in.
  std::vector<const JsonObject*> CurrentModelsReferrersFirst() const {
    std::vector<const JsonObject*> models;
    for (const JsonObject& m : current_.Of(EntityKind::kModel)) models.push_back(&m);
    auto find = [&](const JsonObject& ref) {
      return current_.FindById(EntityKind::kModel, StringMember(ref, "id"));
    };
    std::vector<const JsonObject*> order = ReferencedFirst(models, find);
    std::reverse(order.begin(), order.end());
    return order;
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
    if (doc_.sections.count(EntityKind::kModel) > 0) {
      for (const JsonObject* m : CurrentModelsReferrersFirst()) {
        const std::string id = StringMember(*m, "id");
        if (kept_.count({EntityKind::kModel, id}) > 0) continue;
        actions_.push_back(Deletion(EntityKind::kModel,
                                    current_.DisplayName(EntityKind::kModel, id),
                                    absl::StrCat("/models/", PathSegment(id))));
      }
    }
    prune_kind(EntityKind::kProvider);
    prune_kind(EntityKind::kPlugin);
    prune_kind(EntityKind::kRoute);
    prune_kind(EntityKind::kService);
    queued(EntityKind::kTarget);
    prune_kind(EntityKind::kUpstream);
    queued(EntityKind::kCredential);
    prune_kind(EntityKind::kConsumer);
    prune_kind(EntityKind::kCertificate);
    prune_kind(EntityKind::kCaCertificate);
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
      // A field an older control plane does not have yet, which the file leaves at its default.
      if (h == nullptr && Member(given, field) == nullptr) continue;
      const JsonValue have = h == nullptr ? NullValue() : *h;
      EntityKind ref_kind;
      if (kind != EntityKind::kTarget && RefKind(field, &ref_kind)) {
        CompareRef(field, ref_kind, w, have, &changes);
      } else if (kind == EntityKind::kPlugin && field == "config") {
        ComparePluginConfig(StringMember(want, "name"), w, have, &changes);
      } else if (kind == EntityKind::kModel && field == "fallbacks") {
        CompareRefList(field, EntityKind::kModel, w, have, &changes);
      } else if (kind == EntityKind::kService && field == "ca_certificates") {
        CompareRefList(field, EntityKind::kCaCertificate, w, have, &changes);
      } else if (kind == EntityKind::kModel && field == "split") {
        CompareSplit(w, have, &changes);
      } else if (kind == EntityKind::kCertificate && field == "key") {
        CompareSecret(field, w, have, &changes);
      } else if (!NestedDefaults(kind, field).fields().empty()) {
        CompareNested(kind, field, w, have, &changes);
      } else if (kind == EntityKind::kCertificate && field == "snis") {
        // The control plane stores SNIs in lower case.
        JsonValue lower = w;
        if (lower.kind_case() == JsonValue::kListValue) {
          for (JsonValue& item : *lower.mutable_list_value()->mutable_values()) {
            if (item.kind_case() == JsonValue::kStringValue)
              absl::AsciiStrToLower(item.mutable_string_value());
          }
        }
        if (!JsonEqual(lower, have))
          changes.push_back(absl::StrCat(field, ": ", Shown(have), " -> ", Shown(w)));
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

  // A secret is shown as kRedacted: "<redacted>" in the file keeps it and matches; a secret given
  // in the file cannot be compared with the stored one, so it is always sent (and never printed).
  static void CompareSecret(const std::string& label, const JsonValue& want, const JsonValue& have,
                            std::vector<std::string>* changes) {
    const std::string w = want.kind_case() == JsonValue::kStringValue ? want.string_value() : "";
    const std::string h = have.kind_case() == JsonValue::kStringValue ? have.string_value() : "";
    if (w == h) return;  // both kept, or both empty
    if (w.empty() || w == kRedacted) {
      changes->push_back(absl::StrCat(label, ": ", Shown(StringValue(h)), " -> ",
                                      Shown(StringValue(w))));
      return;
    }
    changes->push_back(absl::StrCat(label,
                                    ": sent again (a secret in the file cannot be compared with "
                                    "the stored one; write \"<redacted>\" to keep it)"));
  }

  // An object of settings (a provider's auth, a model's price), field by field over its defaults.
  static void CompareNested(EntityKind kind, const std::string& field, const JsonValue& want,
                            const JsonValue& have, std::vector<std::string>* changes) {
    const JsonObject defaults = NestedDefaults(kind, field);
    const JsonObject w = WithDefaults(
        want.kind_case() == JsonValue::kStructValue ? want.struct_value() : JsonObject(),
        defaults);
    const JsonObject h = have.kind_case() == JsonValue::kStructValue ? have.struct_value()
                                                                     : JsonObject();
    for (const std::string& key : SortedKeys(w)) {
      const JsonValue& wv = w.fields().at(key);
      const JsonValue* hv = Member(h, key);
      const JsonValue have_value = hv == nullptr ? NullValue() : *hv;
      const std::string label = absl::StrCat(field, ".", key);
      if (kind == EntityKind::kProvider && field == "auth" && key == "secret") {
        CompareSecret(label, wv, have_value, changes);
      } else if (!JsonEqual(wv, have_value)) {
        changes->push_back(absl::StrCat(label, ": ", Shown(have_value), " -> ", Shown(wv)));
      }
    }
  }

  // How a list of references shows: names where there are names.
  std::string RefListText(EntityKind kind, const std::vector<std::string>& ids) const {
    std::vector<std::string> names;
    for (const std::string& id : ids) names.push_back(current_.DisplayName(kind, id));
    return absl::StrCat("[", absl::StrJoin(names, ", "), "]");
  }

  // The id a list item refers to: a reference object ({name}, {id}) or, in ca_certificates, a
  // plain id or name. "" when it names nothing that exists yet.
  std::string ResolveItem(EntityKind kind, const JsonValue& item) const {
    if (item.kind_case() == JsonValue::kStringValue)
      return current_.ResolveIdOrName(kind, item.string_value());
    if (item.kind_case() == JsonValue::kStructValue)
      return current_.Resolve(kind, item.struct_value());
    return "";
  }

  static std::string ItemText(const JsonValue& item) {
    if (item.kind_case() == JsonValue::kStringValue) return item.string_value();
    if (item.kind_case() != JsonValue::kStructValue) return ToJson(item);
    std::string name = StringMember(item.struct_value(), "name");
    return name.empty() ? StringMember(item.struct_value(), "id") : name;
  }

  void CompareRefList(const std::string& field, EntityKind kind, const JsonValue& want,
                      const JsonValue& have, std::vector<std::string>* changes) const {
    std::vector<std::string> want_ids, want_text, have_ids;
    bool resolvable = true;
    if (want.kind_case() == JsonValue::kListValue) {
      for (const JsonValue& item : want.list_value().values()) {
        std::string id = ResolveItem(kind, item);
        resolvable = resolvable && !id.empty();
        want_text.push_back(id.empty() ? ItemText(item) + " (not there yet)"
                                       : current_.DisplayName(kind, id));
        want_ids.push_back(std::move(id));
      }
    }
    if (have.kind_case() == JsonValue::kListValue) {
      for (const JsonValue& item : have.list_value().values()) {
        have_ids.push_back(item.kind_case() == JsonValue::kStringValue
                               ? item.string_value()
                               : StringMember(item.struct_value(), "id"));
      }
    }
    if (resolvable && want_ids == have_ids) return;
    changes->push_back(absl::StrCat(field, ": ", RefListText(kind, have_ids), " -> [",
                                    absl::StrJoin(want_text, ", "), "]"));
  }

  // A model's split: the same models, in the same order, with the same weights.
  void CompareSplit(const JsonValue& want, const JsonValue& have,
                    std::vector<std::string>* changes) const {
    auto entries = [&](const JsonValue& list, bool resolve, bool* resolvable) {
      std::vector<std::pair<std::string, std::string>> out;  // (id or text, weight)
      if (list.kind_case() != JsonValue::kListValue) return out;
      for (const JsonValue& item : list.list_value().values()) {
        if (item.kind_case() != JsonValue::kStructValue) {
          *resolvable = false;
          out.emplace_back(ToJson(item), "");
          continue;
        }
        const JsonObject& e = item.struct_value();
        const JsonObject* ref = ObjectMember(e, "model");
        std::string id = ref == nullptr ? "" : resolve ? current_.Resolve(EntityKind::kModel, *ref)
                                                       : StringMember(*ref, "id");
        if (id.empty()) {
          *resolvable = false;
          id = ref == nullptr ? "?" : ItemText(ObjectValue(*ref)) + " (not there yet)";
        }
        const JsonValue* weight = Member(e, "weight");
        out.emplace_back(id, weight == nullptr || IsNull(*weight) ? "0" : ToJson(*weight));
      }
      return out;
    };
    bool resolvable = true, ignored = true;
    const auto w = entries(want, true, &resolvable);
    const auto h = entries(have, false, &ignored);
    if (resolvable && w == h) return;
    auto text = [&](const std::vector<std::pair<std::string, std::string>>& list) {
      std::vector<std::string> parts;
      for (const auto& [id, weight] : list)
        parts.push_back(absl::StrCat(current_.DisplayName(EntityKind::kModel, id), ":", weight));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    };
    changes->push_back(absl::StrCat("split: ", text(h), " -> ", text(w)));
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
