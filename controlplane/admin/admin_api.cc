#include "controlplane/admin/admin_api.h"

#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/strings.h"
#include "controlplane/admin/json_codec.h"
#include "controlplane/admin/model_graph.h"
#include "controlplane/admin/normalize.h"
#include "controlplane/admin/pagination.h"
#include "controlplane/admin/validation.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"

namespace sluice::controlplane {

namespace {

namespace dv = discovery::v1;
namespace pb = google::protobuf;
using config::v1::Ref;

struct Collection {
  std::string_view path;  // "/services"
  ResourceKind kind;
};
constexpr Collection kCollections[] = {
    {"services", dv::SERVICE},         {"routes", dv::ROUTE},
    {"upstreams", dv::UPSTREAM},       {"consumers", dv::CONSUMER},
    {"plugins", dv::PLUGIN},           {"certificates", dv::CERTIFICATE},
    {"ca_certificates", dv::CA_CERTIFICATE}, {"providers", dv::PROVIDER},
    {"models", dv::MODEL},
};

// /{parent collection}/{id or name}/{segment}[/{child}]
struct NestedCollection {
  ResourceKind parent;
  std::string_view segment;
  ResourceKind child;
  std::string_view ref_field;  // the child's reference to the parent
  bool addressable;            // children have their own /{child} endpoint here
};
constexpr NestedCollection kNested[] = {
    {dv::SERVICE, "routes", dv::ROUTE, "service", false},
    {dv::SERVICE, "plugins", dv::PLUGIN, "service", false},
    {dv::ROUTE, "plugins", dv::PLUGIN, "route", false},
    {dv::CONSUMER, "plugins", dv::PLUGIN, "consumer", false},
    {dv::UPSTREAM, "targets", dv::TARGET, "upstream", true},
    {dv::CONSUMER, "key-auth", dv::KEY_AUTH_CREDENTIAL, "consumer", true},
};

// Kinds addressable by a unique name, and that name's field.
std::string_view NameField(ResourceKind kind) {
  switch (kind) {
    case dv::SERVICE:
    case dv::ROUTE:
    case dv::UPSTREAM:
    case dv::CERTIFICATE:
    case dv::CA_CERTIFICATE:
    case dv::PROVIDER:
    case dv::MODEL: return "name";
    case dv::CONSUMER: return "username";
    default: return "";
  }
}

std::string Singular(ResourceKind kind) {
  if (kind == dv::KEY_AUTH_CREDENTIAL) return "key-auth credential";
  if (kind == dv::CA_CERTIFICATE) return "CA certificate";
  return std::string(KindName(kind));
}

// The kind a Ref field points to, by the field's name.
ResourceKind RefKind(std::string_view field) {
  if (field == "service") return dv::SERVICE;
  if (field == "route") return dv::ROUTE;
  if (field == "upstream") return dv::UPSTREAM;
  if (field == "consumer") return dv::CONSUMER;
  if (field == "client_certificate") return dv::CERTIFICATE;
  if (field == "provider") return dv::PROVIDER;
  if (field == "fallbacks" || field == "model") return dv::MODEL;  // Model, ModelSplitEntry
  return dv::RESOURCE_KIND_UNSPECIFIED;
}

// Kinds whose deletion is refused while others reference them, and what to do about it.
struct Dependents {
  ResourceKind kind;
  ResourceKind dependent;
  std::string_view relation;  // "... is used by 2 route(s)" / "... is trusted by ..."
  std::string_view fix;
};
constexpr Dependents kDependents[] = {
    {dv::SERVICE, dv::ROUTE, "used by", "delete those routes or point them elsewhere first"},
    {dv::CA_CERTIFICATE, dv::SERVICE, "trusted by",
     "remove it from their ca_certificates first"},
    {dv::CERTIFICATE, dv::SERVICE, "the client_certificate of",
     "give those services another client_certificate (or none) first"},
    {dv::PROVIDER, dv::MODEL, "used by", "delete those models or point them elsewhere first"},
    {dv::MODEL, dv::MODEL, "a fallback or split entry of",
     "remove it from their fallbacks and split first"},
};

// Whether If-Match (`header`, a list of entity tags or "*") lets a write to an entity whose
// current tag is `etag` ("" when there is none) go ahead. Comparison is strong (RFC 9110 13.1.1):
// weak tags never match.
bool IfMatchAllows(std::string_view header, const std::string& etag) {
  if (etag.empty()) return false;
  for (absl::string_view raw : absl::StrSplit(Sv(header), ',')) {
    std::string_view tag = StdSv(absl::StripAsciiWhitespace(raw));
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

uint32_t NowSeconds() { return static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now())); }

const pb::FieldDescriptor* Field(const pb::Message& m, std::string_view name) {
  return m.GetDescriptor()->FindFieldByName(std::string(name));
}

std::string GetString(const pb::Message& m, std::string_view name) {
  const pb::FieldDescriptor* f = Field(m, name);
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

void SetString(pb::Message* m, std::string_view name, const std::string& v) {
  if (const pb::FieldDescriptor* f = Field(*m, name)) m->GetReflection()->SetString(m, f, v);
}

uint32_t GetUint32(const pb::Message& m, std::string_view name) {
  const pb::FieldDescriptor* f = Field(m, name);
  return f == nullptr ? 0 : m.GetReflection()->GetUInt32(m, f);
}

void SetUint32(pb::Message* m, std::string_view name, uint32_t v) {
  if (const pb::FieldDescriptor* f = Field(*m, name)) m->GetReflection()->SetUInt32(m, f, v);
}

AdminResponse Reply(int status, std::string body) { return AdminResponse{status, std::move(body)}; }

AdminResponse ErrorReply(int status, std::string_view code, std::string_view message) {
  return Reply(status, JsonError(code, message));
}

AdminResponse NotFound(std::string_view message) { return ErrorReply(404, "not_found", message); }

AdminResponse InvalidConfig(const FieldErrors& errors) {
  std::vector<std::string> parts;
  for (const auto& [field, message] : errors) parts.push_back(absl::StrCat(field, ": ", message));
  std::string body = "{\"code\":\"invalid_config\",\"message\":";
  AppendJsonString(&body, absl::StrCat("invalid configuration; fix these fields: ",
                                       absl::StrJoin(parts, "; ")));
  body.append(",\"fields\":{");
  bool first = true;
  for (const auto& [field, message] : errors) {
    if (!first) body.push_back(',');
    first = false;
    AppendJsonString(&body, field);
    body.push_back(':');
    AppendJsonString(&body, message);
  }
  body.append("}}");
  return Reply(400, std::move(body));
}

AdminResponse InvalidField(std::string field, std::string message) {
  FieldErrors errors;
  errors.emplace(std::move(field), std::move(message));
  return InvalidConfig(errors);
}

pb::Value IdRef(const std::string& id) {
  pb::Value v;
  (*v.mutable_struct_value()->mutable_fields())["id"].set_string_value(id);
  return v;
}

// A field of `kind` holding a message of settings (not a reference, a map or free JSON).
bool IsNestedSettings(ResourceKind kind, const std::string& field) {
  const pb::FieldDescriptor* f = Resource::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  const pb::FieldDescriptor* member =
      f == nullptr ? nullptr : f->message_type()->FindFieldByName(field);
  if (member == nullptr || member->is_repeated() || member->message_type() == nullptr)
    return false;
  const pb::Descriptor* md = member->message_type();
  return md != Ref::descriptor() && md->file() != pb::Struct::descriptor()->file() &&
         member->real_containing_oneof() == nullptr;
}

std::string DisplayName(const Resource& r) {
  const pb::Message& m = InnerMessage(r);
  std::string_view name_field = NameField(KindOf(r));
  std::string name = name_field.empty() ? "" : GetString(m, name_field);
  return name.empty() ? IdOf(r) : name;
}

}  // namespace

// One request's worth of routing and handling; holds references only.
class AdminApi::Handler {
 public:
  Handler(Store* store, NodeRegistry* nodes, const AdminRequest& request)
      : store_(store), nodes_(nodes), request_(request) {}

  AdminResponse Run();

 private:
  const ConfigSet& config() const { return store_->config(); }
  const ConfigIndex& index() const { return store_->index(); }

  AdminResponse MethodNotAllowed(std::string_view allowed) const {
    return ErrorReply(405, "method_not_allowed",
                      absl::StrCat("method ", request_.method, " is not allowed on ",
                                   request_.path, "; use ", Sv(allowed)));
  }
  bool Is(std::string_view method) const { return request_.method == method; }

  std::optional<AdminResponse> ParseBody(pb::Struct* out) const;

  const Resource* Lookup(ResourceKind kind, std::string_view key) const;
  const Resource* LookupChild(const NestedCollection& nested, const Resource& parent,
                              std::string_view key) const;

  AdminResponse List(ResourceKind kind, const std::set<std::string>* subset);
  // 412 when If-Match was sent and `existing` (nullptr: none) does not satisfy it.
  std::optional<AdminResponse> CheckIfMatch(const Resource* existing, ResourceKind kind,
                                            std::string_view key) const;
  AdminResponse Show(const Resource& r) const;
  AdminResponse Create(ResourceKind kind, const pb::Struct& body);
  AdminResponse Upsert(ResourceKind kind, std::string_view key, pb::Struct body);
  AdminResponse Patch(const Resource& existing, const pb::Struct& patch);
  AdminResponse Delete(const Resource& existing);

  std::optional<AdminResponse> Prepare(ResourceKind kind, const pb::Struct& body,
                                       const Resource* existing, Resource* out,
                                       std::string* shown_key) const;
  void PrepareKey(config::v1::KeyAuthCredential* cred, const Resource* existing,
                  std::string* shown_key, FieldErrors* errors) const;
  static void KeepStoredSecrets(Resource* r, const Resource* existing);
  void ResolveRefs(pb::Message* m, const std::string& prefix, FieldErrors* errors) const;
  void ResolveRef(Ref* ref, ResourceKind target, const std::string& field,
                  FieldErrors* errors) const;
  void ResolveCaCertificates(config::v1::Service* service, FieldErrors* errors) const;
  std::optional<AdminResponse> FindConflict(const Resource& r) const;
  std::optional<AdminResponse> FindDependents(const Resource& r) const;
  AdminResponse Commit(ChangeSet change, int status, std::string body, std::string etag = "");

  AdminResponse Status() const;
  AdminResponse Config() const;
  AdminResponse Dataplanes() const;

  Store* store_;
  NodeRegistry* nodes_;
  const AdminRequest& request_;
  std::vector<std::string> segments_;
};

std::string EntityTag(const Resource& r) {
  // Deterministic, so a route's header map serializes the same way every time.
  std::string bytes;
  {
    pb::io::StringOutputStream stream(&bytes);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    r.SerializeToCodedStream(&coded);
  }
  return absl::StrCat("\"", Sha256Hex(bytes).substr(0, 32), "\"");
}

AdminResponse AdminApi::Handle(const AdminRequest& request) {
  return Handler(store_, nodes_, request).Run();
}

AdminResponse AdminApi::Handler::Run() {
  for (absl::string_view raw : absl::StrSplit(request_.path, '/', absl::SkipEmpty())) {
    std::optional<std::string> segment = PercentDecode(StdSv(raw));
    if (!segment) return NotFound(absl::StrCat("malformed percent-escape in ", request_.path));
    segments_.push_back(std::move(*segment));
  }
  if (request_.body.size() > kMaxBodyBytes) {
    return ErrorReply(413, "payload_too_large",
                      absl::StrCat("the request body is larger than ", kMaxBodyBytes,
                                   " bytes; send smaller documents"));
  }
  const size_t n = segments_.size();
  const AdminResponse no_route =
      NotFound(absl::StrCat("no endpoint ", request_.path, "; see api/openapi.yaml"));
  if (n == 0) return no_route;

  if (n == 1) {
    if (segments_[0] == "status") return Is("GET") ? Status() : MethodNotAllowed("GET");
    if (segments_[0] == "config") return Is("GET") ? Config() : MethodNotAllowed("GET");
    if (segments_[0] == "dataplanes") return Is("GET") ? Dataplanes() : MethodNotAllowed("GET");
  }
  const Collection* collection = nullptr;
  for (const Collection& c : kCollections)
    if (c.path == segments_[0]) collection = &c;
  if (collection == nullptr || n > 4) return no_route;
  const ResourceKind kind = collection->kind;

  if (n == 1) {
    if (Is("GET")) return List(kind, nullptr);
    if (Is("POST")) {
      pb::Struct body;
      if (auto error = ParseBody(&body)) return *error;
      return Create(kind, body);
    }
    return MethodNotAllowed("GET, POST");
  }

  if (n == 2) {
    const std::string& key = segments_[1];
    if (Is("PUT")) {
      if (auto failed = CheckIfMatch(Lookup(kind, key), kind, key)) return *failed;
      pb::Struct body;
      if (auto error = ParseBody(&body)) return *error;
      return Upsert(kind, key, std::move(body));
    }
    if (!Is("GET") && !Is("PATCH") && !Is("DELETE"))
      return MethodNotAllowed("GET, PUT, PATCH, DELETE");
    const Resource* existing = Lookup(kind, key);
    if (!Is("GET")) {
      if (auto failed = CheckIfMatch(existing, kind, key)) return *failed;
    }
    if (existing == nullptr)
      return NotFound(absl::StrCat("no ", Singular(kind), " with id or name '", key, "'"));
    if (Is("GET")) return Show(*existing);
    if (Is("DELETE")) return Delete(*existing);
    pb::Struct patch;
    if (auto error = ParseBody(&patch)) return *error;
    return Patch(*existing, patch);
  }

  const NestedCollection* nested = nullptr;
  for (const NestedCollection& c : kNested)
    if (c.parent == kind && c.segment == segments_[2]) nested = &c;
  if (nested == nullptr || (n == 4 && !nested->addressable)) return no_route;
  const Resource* parent = Lookup(kind, segments_[1]);
  if (parent == nullptr) {
    return NotFound(
        absl::StrCat("no ", Singular(kind), " with id or name '", segments_[1], "'"));
  }

  if (n == 3) {
    if (Is("GET")) return List(nested->child, &index().Children(kind, IdOf(*parent), nested->child));
    if (Is("POST")) {
      pb::Struct body;
      if (auto error = ParseBody(&body)) return *error;
      (*body.mutable_fields())[std::string(nested->ref_field)] = IdRef(IdOf(*parent));
      return Create(nested->child, body);
    }
    return MethodNotAllowed("GET, POST");
  }

  const bool patchable = nested->child == dv::TARGET;
  if (!Is("GET") && !Is("DELETE") && !(patchable && Is("PATCH")))
    return MethodNotAllowed(patchable ? "GET, PATCH, DELETE" : "GET, DELETE");
  const Resource* child = LookupChild(*nested, *parent, segments_[3]);
  if (!Is("GET")) {
    if (auto failed = CheckIfMatch(child, nested->child, segments_[3])) return *failed;
  }
  if (child == nullptr) {
    return NotFound(absl::StrCat("no ", Singular(nested->child), " '", segments_[3], "' in ",
                                 Singular(kind), " '", segments_[1], "'"));
  }
  if (Is("GET")) return Show(*child);
  if (Is("DELETE")) return Delete(*child);
  pb::Struct patch;
  if (auto error = ParseBody(&patch)) return *error;
  (*patch.mutable_fields())[std::string(nested->ref_field)] = IdRef(IdOf(*parent));
  return Patch(*child, patch);
}

std::optional<AdminResponse> AdminApi::Handler::ParseBody(pb::Struct* out) const {
  absl::StatusOr<pb::Struct> parsed = ParseJsonObject(request_.body);
  if (!parsed.ok()) return ErrorReply(400, "invalid_json", StdSv(parsed.status().message()));
  *out = std::move(*parsed);
  return std::nullopt;
}

const Resource* AdminApi::Handler::Lookup(ResourceKind kind, std::string_view key) const {
  if (const Resource* r = config().Find(kind, key)) return r;
  std::string_view name_field = NameField(kind);
  if (name_field.empty()) return nullptr;
  const std::string* id = index().FindUnique(kind, name_field, key);
  return id == nullptr ? nullptr : config().Find(kind, *id);
}

const Resource* AdminApi::Handler::LookupChild(const NestedCollection& nested,
                                               const Resource& parent,
                                               std::string_view key) const {
  const std::set<std::string>& children =
      index().Children(nested.parent, IdOf(parent), nested.child);
  if (children.count(std::string(key)) > 0) return config().Find(nested.child, key);
  if (nested.child == dv::TARGET) {
    // By target string, with or without the default port.
    for (const std::string& target : {std::string(key), absl::StrCat(Sv(key), ":8000")}) {
      const std::string* id = index().FindUnique(
          dv::TARGET, "target", ConfigIndex::TargetKey(IdOf(parent), target));
      if (id != nullptr) return config().Find(dv::TARGET, *id);
    }
  }
  return nullptr;
}

std::optional<AdminResponse> AdminApi::Handler::CheckIfMatch(const Resource* existing,
                                                             ResourceKind kind,
                                                             std::string_view key) const {
  if (request_.if_match.empty()) return std::nullopt;
  const std::string current = existing == nullptr ? "" : EntityTag(*existing);
  if (IfMatchAllows(request_.if_match, current)) return std::nullopt;
  std::string message;
  if (existing == nullptr) {
    message = absl::StrCat("If-Match: no ", Singular(kind), " '", Sv(key),
                           "' exists, so none can match; leave If-Match out to create one");
  } else {
    message = absl::StrCat(Singular(kind), " '", DisplayName(*existing),
                           "' changed since you read it: its ETag is ", current, ", not ",
                           request_.if_match, "; GET it again and redo your change");
  }
  AdminResponse response = ErrorReply(412, "precondition_failed", message);
  response.etag = current;
  return response;
}

AdminResponse AdminApi::Handler::Show(const Resource& r) const {
  AdminResponse response = Reply(200, ResourceToJson(r));
  response.etag = EntityTag(r);
  return response;
}

AdminResponse AdminApi::Handler::List(ResourceKind kind, const std::set<std::string>* subset) {
  absl::StatusOr<PageRequest> page = ParsePageRequest(request_.query);
  if (!page.ok()) return ErrorReply(400, "invalid_query", StdSv(page.status().message()));
  bool more = false;
  std::vector<std::string> ids =
      subset != nullptr
          ? PageKeys(*subset, *page, [](const std::string& id) { return id; }, &more)
          : PageKeys(config().Of(kind), *page, [](const auto& entry) { return entry.first; },
                     &more);
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) body.push_back(',');
    if (const Resource* r = config().Find(kind, ids[i])) body.append(ResourceToJson(*r));
  }
  body.append("],\"next\":");
  if (more && !ids.empty()) {
    std::string cursor = EncodeCursor(ids.back());
    std::vector<std::string> encoded;
    for (const std::string& s : segments_) encoded.push_back(PercentEncode(s));
    AppendJsonString(&body, absl::StrCat("/", absl::StrJoin(encoded, "/"), "?size=", page->size,
                                         "&offset=", cursor));
    body.append(",\"offset\":");
    AppendJsonString(&body, cursor);
  } else {
    body.append("null");
  }
  body.push_back('}');
  return Reply(200, std::move(body));
}

AdminResponse AdminApi::Handler::Create(ResourceKind kind, const pb::Struct& body) {
  Resource r;
  std::string shown_key;
  if (auto error = Prepare(kind, body, nullptr, &r, &shown_key)) return *error;
  if (config().Find(kind, IdOf(r)) != nullptr) {
    return ErrorReply(409, "already_exists",
                      absl::StrCat("a ", Singular(kind), " with id '", IdOf(r),
                                   "' already exists; use PUT or PATCH to change it"));
  }
  std::string shown;
  if (shown_key.empty()) {
    shown = ResourceToJson(r);
  } else {
    // The only time the key is shown: it is stored as a hash.
    pb::Struct s = ResourceToStruct(r);
    (*s.mutable_fields())["key"].set_string_value(shown_key);
    shown = StructToJson(kind, s);
  }
  std::string etag = EntityTag(r);
  ChangeSet change;
  change.upserts.push_back(std::move(r));
  return Commit(std::move(change), 201, std::move(shown), std::move(etag));
}

AdminResponse AdminApi::Handler::Upsert(ResourceKind kind, std::string_view key,
                                        pb::Struct body) {
  const Resource* existing = Lookup(kind, key);
  auto& fields = *body.mutable_fields();
  const std::string_view name_field = NameField(kind);
  bool by_name = existing != nullptr && IdOf(*existing) != key;
  if (existing == nullptr) {
    if (LooksLikeUuid(key)) {
      auto it = fields.find("id");
      if (it != fields.end() && it->second.kind_case() == pb::Value::kStringValue &&
          it->second.string_value() != key) {
        return InvalidField("id", "does not match the id in the path");
      }
      fields["id"].set_string_value(std::string(key));
    } else if (name_field.empty()) {
      return NotFound(absl::StrCat(Singular(kind), "s are addressed by id; no ", Singular(kind),
                                   " with id '", Sv(key), "'"));
    } else {
      by_name = true;
    }
  }
  if (by_name) {
    auto it = fields.find(std::string(name_field));
    if (it == fields.end() || it->second.kind_case() == pb::Value::kNullValue) {
      fields[std::string(name_field)].set_string_value(std::string(key));
    } else if (it->second.kind_case() == pb::Value::kStringValue &&
               it->second.string_value() != key) {
      return InvalidField(std::string(name_field), "does not match the name in the path");
    }
  }
  Resource r;
  if (auto error = Prepare(kind, body, existing, &r, nullptr)) return *error;
  std::string shown = ResourceToJson(r);
  std::string etag = EntityTag(r);
  ChangeSet change;
  change.upserts.push_back(std::move(r));
  return Commit(std::move(change), existing != nullptr ? 200 : 201, std::move(shown),
                std::move(etag));
}

AdminResponse AdminApi::Handler::Patch(const Resource& existing, const pb::Struct& patch) {
  const ResourceKind kind = KindOf(existing);
  pb::Struct merged = ResourceToStruct(existing);
  auto& fields = *merged.mutable_fields();
  for (const auto& [key, value] : patch.fields()) {
    auto it = fields.find(key);
    // A plugin's config merges key by key (Kong's behaviour), and so do nested settings (a
    // provider's auth, a model's price: changing the header keeps the secret); other fields,
    // references and maps included, are replaced whole.
    const bool plugin_config = kind == dv::PLUGIN && key == "config";
    if ((plugin_config || IsNestedSettings(kind, key)) && value.has_struct_value() &&
        it != fields.end() && it->second.has_struct_value()) {
      auto& config = *it->second.mutable_struct_value()->mutable_fields();
      for (const auto& [ck, cv] : value.struct_value().fields()) config[ck] = cv;
      continue;
    }
    fields[key] = value;
  }
  if (kind == dv::SERVICE) {
    auto url = patch.fields().find("url");
    if (url != patch.fields().end() && url->second.kind_case() == pb::Value::kStringValue &&
        !url->second.string_value().empty()) {
      // A new url replaces the parts it is made of, unless the patch also sets them (an error).
      for (const char* part : {"protocol", "host", "port", "path"})
        if (patch.fields().count(part) == 0) fields.erase(part);
    }
  }
  Resource r;
  if (auto error = Prepare(kind, merged, &existing, &r, nullptr)) return *error;
  std::string shown = ResourceToJson(r);
  std::string etag = EntityTag(r);
  ChangeSet change;
  change.upserts.push_back(std::move(r));
  return Commit(std::move(change), 200, std::move(shown), std::move(etag));
}

AdminResponse AdminApi::Handler::Delete(const Resource& existing) {
  const ResourceKind kind = KindOf(existing);
  const std::string& id = IdOf(existing);
  ChangeSet change;
  auto remove = [&change](ResourceKind k, const std::string& rid) {
    ResourceKey key;
    key.set_kind(k);
    key.set_id(rid);
    change.removes.push_back(std::move(key));
  };
  auto remove_children = [&](ResourceKind child) {
    for (const std::string& cid : index().Children(kind, id, child)) remove(child, cid);
  };
  if (auto in_use = FindDependents(existing)) return *in_use;
  remove(kind, id);
  switch (kind) {
    case dv::SERVICE:
    case dv::ROUTE: remove_children(dv::PLUGIN); break;
    case dv::UPSTREAM: remove_children(dv::TARGET); break;
    case dv::CONSUMER:
      remove_children(dv::KEY_AUTH_CREDENTIAL);
      remove_children(dv::PLUGIN);
      break;
    default: break;
  }
  return Commit(std::move(change), 204, "");
}

std::optional<AdminResponse> AdminApi::Handler::FindDependents(const Resource& r) const {
  const ResourceKind kind = KindOf(r);
  for (const Dependents& d : kDependents) {
    if (d.kind != kind) continue;
    const std::set<std::string>& users = index().Children(kind, IdOf(r), d.dependent);
    if (users.empty()) continue;
    std::vector<std::string> names;
    for (const std::string& uid : users) {
      if (names.size() == 10) {
        names.push_back("...");
        break;
      }
      const Resource* user = config().Find(d.dependent, uid);
      names.push_back(user != nullptr ? DisplayName(*user) : uid);
    }
    return ErrorReply(409, "in_use",
                      absl::StrCat(Singular(kind), " '", DisplayName(r), "' is ",
                                   Sv(d.relation), " ", users.size(), " ",
                                   Singular(d.dependent), "(s): ", absl::StrJoin(names, ", "),
                                   "; ", Sv(d.fix)));
  }
  return std::nullopt;
}

std::optional<AdminResponse> AdminApi::Handler::Prepare(ResourceKind kind,
                                                        const pb::Struct& body,
                                                        const Resource* existing, Resource* out,
                                                        std::string* shown_key) const {
  FieldErrors errors;
  Resource r = DecodeResource(kind, body, &errors);
  if (!errors.empty()) return InvalidConfig(errors);
  pb::Message* m = MutableInnerMessage(&r, kind);
  const uint32_t now = NowSeconds();
  if (existing != nullptr) {
    std::string given_id = GetString(*m, "id");
    if (!given_id.empty() && given_id != IdOf(*existing))
      errors.emplace("id", absl::StrCat("cannot be changed (it is ", IdOf(*existing), ")"));
    SetString(m, "id", IdOf(*existing));
    SetUint32(m, "created_at", GetUint32(InnerMessage(*existing), "created_at"));
  } else {
    if (GetString(*m, "id").empty()) SetString(m, "id", NewUuid());
    SetUint32(m, "created_at", now);
  }
  SetUint32(m, "updated_at", now);

  if (kind == dv::SERVICE) ExpandServiceUrl(r.mutable_service(), &errors);
  std::string key;
  if (kind == dv::KEY_AUTH_CREDENTIAL)
    PrepareKey(r.mutable_key_auth_credential(), existing, &key, &errors);
  ApplyDefaults(&r);
  KeepStoredSecrets(&r, existing);
  ResolveRefs(m, "", &errors);
  ValidateResource(r, &errors);
  if (kind == dv::MODEL && errors.empty()) CheckModelGraph(r.model(), config(), &errors);
  if (!errors.empty()) return InvalidConfig(errors);
  if (kind == dv::KEY_AUTH_CREDENTIAL) r.mutable_key_auth_credential()->clear_key();
  if (auto conflict = FindConflict(r)) return conflict;
  *out = std::move(r);
  if (shown_key != nullptr) *shown_key = std::move(key);
  return std::nullopt;
}

void AdminApi::Handler::PrepareKey(config::v1::KeyAuthCredential* cred, const Resource* existing,
                                   std::string* shown_key, FieldErrors* errors) const {
  constexpr size_t kShownChars = 4;
  if (!cred->key().empty() && !cred->key_hash().empty()) {
    errors->emplace("key", "give key or key_hash, not both");
    return;
  }
  if (!cred->key_hash().empty()) return;  // importing a key known only by its hash
  if (cred->key().empty() && existing != nullptr) {
    cred->set_key_hash(existing->key_auth_credential().key_hash());
    cred->set_key_prefix(existing->key_auth_credential().key_prefix());
    return;
  }
  constexpr std::string_view kGeneratedPrefix = "sk-sluice-";
  bool generated = cred->key().empty();
  if (generated) cred->set_key(absl::StrCat(Sv(kGeneratedPrefix), RandomToken(24)));
  cred->set_key_hash(Sha256Hex(cred->key()));
  // Enough of the key to tell keys apart in listings, never enough to matter: four random
  // characters after our fixed prefix, or four characters of a long key the caller chose.
  if (generated) {
    cred->set_key_prefix(cred->key().substr(0, kGeneratedPrefix.size() + kShownChars));
  } else if (cred->key().size() >= 16) {
    cred->set_key_prefix(cred->key().substr(0, kShownChars));
  }
  *shown_key = cred->key();
}

void AdminApi::Handler::KeepStoredSecrets(Resource* r, const Resource* existing) {
  // kRedacted is what GET shows; sending it back (a PATCH, a dump applied again) keeps the
  // stored secret. With nothing stored, validation reports the field.
  if (r->has_certificate() && r->certificate().key() == kRedacted && existing != nullptr &&
      existing->has_certificate() && !existing->certificate().key().empty()) {
    r->mutable_certificate()->set_key(existing->certificate().key());
  }
  if (r->has_provider() && r->provider().auth().secret() == kRedacted && existing != nullptr &&
      existing->has_provider() && !existing->provider().auth().secret().empty()) {
    r->mutable_provider()->mutable_auth()->set_secret(existing->provider().auth().secret());
  }
}

void AdminApi::Handler::ResolveRef(Ref* ref, ResourceKind target, const std::string& field,
                                   FieldErrors* errors) const {
  if (!ref->id().empty()) {
    if (config().Find(target, ref->id()) == nullptr)
      errors->emplace(field, absl::StrCat("no ", Singular(target), " with id '", ref->id(), "'"));
    ref->clear_name();
  } else if (!ref->name().empty()) {
    const std::string* id = index().FindUnique(target, NameField(target), ref->name());
    if (id == nullptr) {
      errors->emplace(field, absl::StrCat("no ", Singular(target), " with ",
                                          Sv(NameField(target)), " '", ref->name(), "'"));
    } else {
      ref->set_id(*id);
      ref->clear_name();
    }
  }
}

void AdminApi::Handler::ResolveCaCertificates(config::v1::Service* service,
                                              FieldErrors* errors) const {
  for (int i = 0; i < service->ca_certificates_size(); ++i) {
    std::string* given = service->mutable_ca_certificates(i);
    const Resource* ca = Lookup(dv::CA_CERTIFICATE, *given);
    if (ca == nullptr) {
      errors->emplace(absl::StrCat("ca_certificates[", i, "]"),
                      absl::StrCat("no CA certificate with id or name '", *given, "'"));
    } else {
      *given = IdOf(*ca);
    }
  }
}

void AdminApi::Handler::ResolveRefs(pb::Message* m, const std::string& prefix,
                                    FieldErrors* errors) const {
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::Reflection* reflection = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    const pb::Descriptor* md = f->message_type();
    if (md == nullptr || f->is_map() || md->file() == pb::Struct::descriptor()->file()) continue;
    const std::string path = prefix + f->name();
    if (md == Ref::descriptor()) {
      const ResourceKind target = RefKind(f->name());
      if (!f->is_repeated()) {
        if (!reflection->HasField(*m, f)) continue;
        Ref* ref = static_cast<Ref*>(reflection->MutableMessage(m, f));
        if (ref->id().empty() && ref->name().empty()) {
          reflection->ClearField(m, f);  // {} is the same as no reference
        } else {
          ResolveRef(ref, target, path, errors);
        }
        continue;
      }
      // In a list an empty reference is an error (validation names it), not a missing one.
      for (int k = 0; k < reflection->FieldSize(*m, f); ++k) {
        ResolveRef(static_cast<Ref*>(reflection->MutableRepeatedMessage(m, f, k)), target,
                   absl::StrCat(path, "[", k, "]"), errors);
      }
      continue;
    }
    if (!f->is_repeated()) {
      if (reflection->HasField(*m, f))
        ResolveRefs(reflection->MutableMessage(m, f), path + ".", errors);
      continue;
    }
    for (int k = 0; k < reflection->FieldSize(*m, f); ++k) {
      ResolveRefs(reflection->MutableRepeatedMessage(m, f, k), absl::StrCat(path, "[", k, "]."),
                  errors);
    }
  }
  if (d == config::v1::Service::descriptor())
    ResolveCaCertificates(static_cast<config::v1::Service*>(m), errors);
  if (d == config::v1::Plugin::descriptor()) {
    auto* plugin = static_cast<config::v1::Plugin*>(m);
    if (plugin->has_key_auth() && !plugin->key_auth().anonymous().empty()) {
      const Resource* consumer = Lookup(dv::CONSUMER, plugin->key_auth().anonymous());
      if (consumer == nullptr) {
        errors->emplace("config.anonymous",
                        absl::StrCat("no consumer with id or username '",
                                     plugin->key_auth().anonymous(), "'"));
      } else {
        plugin->mutable_key_auth()->set_anonymous(IdOf(*consumer));
      }
    }
  }
}

std::optional<AdminResponse> AdminApi::Handler::FindConflict(const Resource& r) const {
  const ResourceKind kind = KindOf(r);
  for (const auto& [field, value] : ConfigIndex::UniqueKeysOf(r)) {
    const std::string* other = index().FindUnique(kind, field, value);
    if (other == nullptr || *other == IdOf(r)) continue;
    std::string message;
    if (field == "target") {
      message = absl::StrCat("target '", r.target().target(),
                             "' already exists in this upstream (id ", *other, ")");
    } else if (field == "key_hash") {
      message = "this key is already in use by another credential; choose another key";
    } else if (field == "sni") {
      const Resource* holder = config().Find(kind, *other);
      message = absl::StrCat("sni '", value, "' is already served by certificate '",
                             holder != nullptr ? DisplayName(*holder) : *other, "' (id ", *other,
                             "); a name belongs to one certificate");
    } else if (field == "scope") {
      message = absl::StrCat("a '", r.plugin().name(),
                             "' plugin with the same scope already exists (id ", *other,
                             "); change that one instead");
    } else {
      message = absl::StrCat("a ", Singular(kind), " with ", field, " '", value,
                             "' already exists (id ", *other, ")");
    }
    return ErrorReply(409, "already_exists", message);
  }
  return std::nullopt;
}

AdminResponse AdminApi::Handler::Commit(ChangeSet change, int status, std::string body,
                                        std::string etag) {
  absl::StatusOr<uint64_t> version = store_->Commit(change);
  if (!version.ok()) {
    return ErrorReply(500, "store_error",
                      absl::StrCat("the change was not saved: ", version.status().message(),
                                   "; check the control plane's data dir and retry"));
  }
  AdminResponse response = Reply(status, std::move(body));
  response.etag = std::move(etag);
  return response;
}

AdminResponse AdminApi::Handler::Status() const {
  std::string body = absl::StrCat("{\"config_version\":", store_->version(),
                                  ",\"store\":{\"healthy\":",
                                  store_->healthy() ? "true" : "false", ",\"data_dir\":");
  AppendJsonString(&body, store_->data_dir());
  absl::StrAppend(&body, "},\"dataplanes\":{\"connected\":",
                  nodes_ != nullptr ? nodes_->ConnectedCount() : 0, "}}");
  return Reply(200, std::move(body));
}

AdminResponse AdminApi::Handler::Config() const {
  static constexpr std::pair<std::string_view, ResourceKind> kSections[] = {
      {"services", dv::SERVICE},   {"routes", dv::ROUTE},
      {"upstreams", dv::UPSTREAM}, {"targets", dv::TARGET},
      {"consumers", dv::CONSUMER}, {"key_auth_credentials", dv::KEY_AUTH_CREDENTIAL},
      {"plugins", dv::PLUGIN},     {"certificates", dv::CERTIFICATE},
      {"ca_certificates", dv::CA_CERTIFICATE}, {"providers", dv::PROVIDER},
      {"models", dv::MODEL},
  };
  std::string body = absl::StrCat("{\"version\":", store_->version());
  for (const auto& [name, kind] : kSections) {
    absl::StrAppend(&body, ",\"", Sv(name), "\":[");
    bool first = true;
    for (const auto& [id, r] : config().Of(kind)) {
      if (!first) body.push_back(',');
      first = false;
      body.append(ResourceToJson(r));
    }
    body.push_back(']');
  }
  body.push_back('}');
  return Reply(200, std::move(body));
}

AdminResponse AdminApi::Handler::Dataplanes() const {
  std::string body = "{\"data\":[";
  bool first = true;
  std::vector<DataplaneInfo> dataplanes;
  if (nodes_ != nullptr) dataplanes = nodes_->List(absl::ToUnixSeconds(absl::Now()));
  for (const DataplaneInfo& d : dataplanes) {
    if (!first) body.push_back(',');
    first = false;
    body.append("{\"node_id\":");
    AppendJsonString(&body, d.node_id);
    body.append(",\"hostname\":");
    AppendJsonString(&body, d.hostname);
    body.append(",\"address\":");
    AppendJsonString(&body, d.address);
    body.append(",\"build_version\":");
    AppendJsonString(&body, d.build_version);
    absl::StrAppend(&body, ",\"connected\":", d.connected ? "true" : "false",
                    ",\"connected_since\":", d.connected_since, ",\"last_seen\":", d.last_seen,
                    ",\"last_acked_version\":", d.last_acked_version, ",\"last_nack\":");
    if (d.last_nack) {
      absl::StrAppend(&body, "{\"version\":", d.last_nack->version, ",\"message\":");
      AppendJsonString(&body, d.last_nack->message);
      absl::StrAppend(&body, ",\"at\":", d.last_nack->at, "}");
    } else {
      body.append("null");
    }
    body.push_back('}');
  }
  body.append("]}");
  return Reply(200, std::move(body));
}

}  // namespace sluice::controlplane
