#include "controlplane/admin/json_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"
#include "common/strings.h"
#include "controlplane/admin/plugin_schemas.h"
#include "google/protobuf/util/json_util.h"

namespace sluice::controlplane {

namespace {

namespace pb = google::protobuf;
using config::v1::Plugin;
using config::v1::Ref;
using pb::Descriptor;
using pb::FieldDescriptor;
using pb::Struct;
using pb::Value;

pb::util::JsonPrintOptions PrintOptions() {
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  return o;
}

pb::util::JsonParseOptions ParseOptions() {
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  return o;
}

const FieldDescriptor* ResourceField(ResourceKind kind) {
  // Resource's oneof members are numbered like ResourceKind.
  return Resource::descriptor()->FindFieldByNumber(static_cast<int>(kind));
}

bool IsWellKnown(const Descriptor* d) {
  return d == pb::ListValue::descriptor() || d == Struct::descriptor() ||
         d == Value::descriptor();
}

// Checks `in` against the message type `d` field by field and copies it to `out` with nulls
// dropped, so the protobuf parser that follows only sees values it accepts.
class Decoder {
 public:
  explicit Decoder(FieldErrors* errors) : errors_(errors) {}

  void Object(const Struct& in, const Descriptor* d, const std::string& prefix, bool consumer_ref,
              Struct* out) {
    for (const auto& [key, value] : in.fields()) {
      const std::string path = prefix + key;
      std::string name = key;
      if (d == Ref::descriptor() && consumer_ref && key == "username") name = "name";
      const FieldDescriptor* f = d->FindFieldByName(name);
      // Oneof members (a plugin's typed config) are reached through "config" only.
      if (f == nullptr || f->real_containing_oneof() != nullptr) {
        Error(path, "unknown field");
        continue;
      }
      if (value.kind_case() == Value::kNullValue) continue;
      Value normalized;
      if (f->is_map()) {
        if (!Expect(value, Value::kStructValue, path, "an object")) continue;
        const FieldDescriptor* vf = f->message_type()->map_value();
        Struct* m = normalized.mutable_struct_value();
        for (const auto& [mk, mv] : value.struct_value().fields()) {
          Value nv;
          if (Single(vf, mv, absl::StrCat(path, ".", mk), &nv)) (*m->mutable_fields())[mk] = nv;
        }
      } else if (f->is_repeated()) {
        if (!Expect(value, Value::kListValue, path, "an array")) continue;
        pb::ListValue* list = normalized.mutable_list_value();
        const auto& items = value.list_value().values();
        for (int i = 0; i < items.size(); ++i) {
          Value nv;
          if (Single(f, items[i], absl::StrCat(path, "[", i, "]"), &nv)) *list->add_values() = nv;
        }
      } else if (!Single(f, value, path, &normalized)) {
        continue;
      }
      (*out->mutable_fields())[name] = std::move(normalized);
    }
  }

 private:
  void Error(const std::string& path, std::string message) {
    errors_->emplace(path, std::move(message));
  }

  bool Expect(const Value& v, Value::KindCase kind, const std::string& path,
              std::string_view what) {
    if (v.kind_case() == kind) return true;
    Error(path, absl::StrCat("expected ", Sv(what)));
    return false;
  }

  bool Integer(const Value& v, const std::string& path, double lo, double hi) {
    if (!Expect(v, Value::kNumberValue, path, "an integer")) return false;
    double x = v.number_value();
    if (std::floor(x) != x) {
      Error(path, "expected an integer");
      return false;
    }
    if (x < lo || x > hi) {
      Error(path, absl::StrFormat("must be between %.0f and %.0f", lo, hi));
      return false;
    }
    return true;
  }

  bool Single(const FieldDescriptor* f, const Value& v, const std::string& path, Value* out) {
    bool ok = false;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
      case FieldDescriptor::CPPTYPE_ENUM:
        ok = Expect(v, Value::kStringValue, path, "a string");
        break;
      case FieldDescriptor::CPPTYPE_BOOL: ok = Expect(v, Value::kBoolValue, path, "true or false"); break;
      case FieldDescriptor::CPPTYPE_INT32:
        ok = Integer(v, path, std::numeric_limits<int32_t>::min(),
                     std::numeric_limits<int32_t>::max());
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        ok = Integer(v, path, 0, std::numeric_limits<uint32_t>::max());
        break;
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT64:
        // JSON numbers are doubles; beyond 2^53 they are no longer exact.
        ok = Integer(v, path, f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ? -9007199254740992.0 : 0,
                     9007199254740992.0);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: ok = Expect(v, Value::kNumberValue, path, "a number"); break;
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Descriptor* d = f->message_type();
        if (d == pb::ListValue::descriptor()) {
          ok = Expect(v, Value::kListValue, path, "an array");
        } else if (d == Struct::descriptor()) {
          ok = Expect(v, Value::kStructValue, path, "an object");
        } else if (d == Value::descriptor()) {
          ok = true;
        } else {
          if (!Expect(v, Value::kStructValue, path, "an object")) return false;
          Object(v.struct_value(), d, path + ".", f->name() == "consumer",
                 out->mutable_struct_value());
          return true;
        }
        break;
      }
    }
    if (ok) *out = v;
    return ok;
  }

  FieldErrors* errors_;
};

Value RefValue(const Ref& ref) {
  Value v;
  if (ref.id().empty()) {
    v.set_null_value(pb::NULL_VALUE);
  } else {
    (*v.mutable_struct_value()->mutable_fields())["id"].set_string_value(ref.id());
  }
  return v;
}

void Redact(Struct* s, const char* field) {
  auto it = s->mutable_fields()->find(field);
  if (it != s->mutable_fields()->end() && it->second.kind_case() == Value::kStringValue &&
      !it->second.string_value().empty())
    it->second.set_string_value(std::string(kRedacted));
}

// Output shape of message `m` printed as `s`, nested messages included: refs as {"id"} or null,
// secrets redacted, input-only fields dropped.
void ShapeMessage(const pb::Message& m, Struct* s) {
  auto* fields = s->mutable_fields();
  const Descriptor* d = m.GetDescriptor();
  const pb::Reflection* reflection = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const Descriptor* md = f->message_type();
    if (md == nullptr || f->is_map() || IsWellKnown(md)) continue;
    if (md == Ref::descriptor()) {
      Value v;
      if (!f->is_repeated()) {
        v = RefValue(static_cast<const Ref&>(reflection->GetMessage(m, f)));
      } else {
        pb::ListValue* list = v.mutable_list_value();
        for (int k = 0; k < reflection->FieldSize(m, f); ++k) {
          *list->add_values() =
              RefValue(static_cast<const Ref&>(reflection->GetRepeatedMessage(m, f, k)));
        }
      }
      (*fields)[f->name()] = std::move(v);
      continue;
    }
    auto it = fields->find(f->name());
    if (it == fields->end()) continue;
    if (!f->is_repeated()) {
      if (it->second.has_struct_value())
        ShapeMessage(reflection->GetMessage(m, f), it->second.mutable_struct_value());
      continue;
    }
    if (!it->second.has_list_value()) continue;
    auto* items = it->second.mutable_list_value()->mutable_values();
    for (int k = 0; k < items->size() && k < reflection->FieldSize(m, f); ++k) {
      if ((*items)[k].has_struct_value())
        ShapeMessage(reflection->GetRepeatedMessage(m, f, k), (*items)[k].mutable_struct_value());
    }
  }
  if (d == config::v1::Service::descriptor()) fields->erase("url");
  if (d == config::v1::KeyAuthCredential::descriptor()) fields->erase("key");
  if (d == config::v1::Certificate::descriptor()) Redact(s, "key");
  if (d == config::v1::ProviderAuth::descriptor()) Redact(s, "secret");
}

// Output shape of a resource: ShapeMessage, and a plugin's typed config as "config".
void ShapeForOutput(const pb::Message& m, Struct* s) {
  ShapeMessage(m, s);
  auto* fields = s->mutable_fields();
  if (m.GetDescriptor() == Plugin::descriptor()) {
    Value config;
    config.set_null_value(pb::NULL_VALUE);
    if (const PluginSchema* schema = FindPluginSchemaByConfig(static_cast<const Plugin&>(m))) {
      auto it = fields->find(std::string(schema->config_field));
      if (it != fields->end()) {
        config = it->second;
        fields->erase(it);
      }
    }
    (*fields)["config"] = std::move(config);
  }
}

void PrintValue(const Value& v, const Descriptor* hint, std::string* out);

void PrintObject(const Struct& s, const Descriptor* hint, std::string* out) {
  std::vector<std::pair<std::string, const Descriptor*>> order;
  if (hint != nullptr) {
    for (int i = 0; i < hint->field_count(); ++i) {
      const FieldDescriptor* f = hint->field(i);
      if (hint == Plugin::descriptor() && f->real_containing_oneof() != nullptr) continue;
      const Descriptor* nested =
          f->message_type() != nullptr && !f->is_map() && !IsWellKnown(f->message_type())
              ? f->message_type()
              : nullptr;
      order.emplace_back(f->name(), nested);
    }
    if (hint == Plugin::descriptor()) {
      const Descriptor* config_hint = nullptr;
      auto name = s.fields().find("name");
      if (name != s.fields().end()) {
        if (const PluginSchema* schema = FindPluginSchema(name->second.string_value())) {
          const FieldDescriptor* member =
              Plugin::descriptor()->FindFieldByName(std::string(schema->config_field));
          if (member != nullptr) config_hint = member->message_type();
        }
      }
      order.emplace_back("config", config_hint);
    }
  }
  std::vector<std::string> rest;
  for (const auto& [k, v] : s.fields()) {
    bool listed = std::any_of(order.begin(), order.end(),
                              [&k = k](const auto& o) { return o.first == k; });
    if (!listed) rest.push_back(k);
  }
  std::sort(rest.begin(), rest.end());
  for (auto& k : rest) order.emplace_back(std::move(k), nullptr);

  out->push_back('{');
  bool first = true;
  for (const auto& [key, nested] : order) {
    auto it = s.fields().find(key);
    if (it == s.fields().end()) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, key);
    out->push_back(':');
    PrintValue(it->second, nested, out);
  }
  out->push_back('}');
}

void PrintValue(const Value& v, const Descriptor* hint, std::string* out) {
  switch (v.kind_case()) {
    case Value::kNullValue:
    case Value::KIND_NOT_SET: out->append("null"); break;
    case Value::kBoolValue: out->append(v.bool_value() ? "true" : "false"); break;
    case Value::kNumberValue: {
      double x = v.number_value();
      if (std::floor(x) == x && std::fabs(x) < 9007199254740992.0) {
        absl::StrAppend(out, static_cast<int64_t>(x));
      } else if (std::isfinite(x)) {
        // The shortest form that reads back as the same double: 0.15, not 0.14999999999999999.
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
        out->append(buf, ec == std::errc() ? end : buf);
      } else {
        out->append("null");
      }
      break;
    }
    case Value::kStringValue: AppendJsonString(out, v.string_value()); break;
    case Value::kListValue: {
      out->push_back('[');
      for (int i = 0; i < v.list_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        PrintValue(v.list_value().values(i), hint, out);
      }
      out->push_back(']');
      break;
    }
    case Value::kStructValue: PrintObject(v.struct_value(), hint, out); break;
  }
}

const Descriptor* DescriptorFor(ResourceKind kind) {
  const FieldDescriptor* f = ResourceField(kind);
  return f == nullptr ? nullptr : f->message_type();
}

}  // namespace

absl::StatusOr<Struct> ParseJsonObject(std::string_view body) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos)
    return absl::InvalidArgumentError("the request body is empty; send a JSON object");
  if (body[start] != '{')
    return absl::InvalidArgumentError("the request body must be a JSON object ({...})");
  Struct s;
  pb::util::Status st = pb::util::JsonStringToMessage(pb::StringPiece(body.data(), body.size()), &s, ParseOptions());
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request body is not valid JSON: ", std::string(st.message())));
  }
  return s;
}

const pb::Message& InnerMessage(const Resource& r) {
  const FieldDescriptor* f = ResourceField(KindOf(r));
  if (f == nullptr) return r;
  return r.GetReflection()->GetMessage(r, f);
}

pb::Message* MutableInnerMessage(Resource* r, ResourceKind kind) {
  const FieldDescriptor* f = ResourceField(kind);
  if (f == nullptr) return nullptr;
  return r->GetReflection()->MutableMessage(r, f);
}

Resource DecodeResource(ResourceKind kind, const Struct& object, FieldErrors* errors) {
  Resource out;
  pb::Message* msg = MutableInnerMessage(&out, kind);
  if (msg == nullptr) {
    errors->emplace("kind", "unknown resource kind");
    return out;
  }
  const Descriptor* d = msg->GetDescriptor();
  Decoder decoder(errors);
  Struct normalized;
  Struct body = object;
  if (kind == discovery::v1::PLUGIN) {
    auto it = body.fields().find("config");
    Value config;
    if (it != body.fields().end()) {
      config = it->second;
      body.mutable_fields()->erase("config");
    }
    auto name = body.fields().find("name");
    const PluginSchema* schema =
        name == body.fields().end() ? nullptr : FindPluginSchema(name->second.string_value());
    if (config.kind_case() == Value::kStructValue && schema != nullptr) {
      const FieldDescriptor* member = d->FindFieldByName(std::string(schema->config_field));
      Struct typed;
      decoder.Object(config.struct_value(), member->message_type(), "config.", false, &typed);
      *(*normalized.mutable_fields())[member->name()].mutable_struct_value() = std::move(typed);
    } else if (config.kind_case() != Value::kStructValue &&
               config.kind_case() != Value::kNullValue &&
               config.kind_case() != Value::KIND_NOT_SET) {
      errors->emplace("config", "expected an object");
    }
    // With an unknown plugin name the config cannot be checked; validation reports the name.
  }
  decoder.Object(body, d, "", false, &normalized);
  if (!errors->empty()) return out;

  std::string json;
  pb::util::Status printed = pb::util::MessageToJsonString(normalized, &json);
  pb::util::Status parsed =
      printed.ok() ? pb::util::JsonStringToMessage(json, msg, ParseOptions()) : printed;
  if (!parsed.ok()) errors->emplace("@body", std::string(parsed.message()));
  return out;
}

Struct ResourceToStruct(const Resource& r) {
  const pb::Message& m = InnerMessage(r);
  std::string json;
  Struct s;
  // Printing a message we built cannot fail, nor can reading back what protobuf printed.
  if (pb::util::MessageToJsonString(m, &json, PrintOptions()).ok())
    (void)pb::util::JsonStringToMessage(json, &s);
  ShapeForOutput(m, &s);
  return s;
}

std::string StructToJson(ResourceKind kind, const Struct& object) {
  std::string out;
  PrintObject(object, DescriptorFor(kind), &out);
  return out;
}

std::string ResourceToJson(const Resource& r) {
  return StructToJson(KindOf(r), ResourceToStruct(r));
}

}  // namespace sluice::controlplane
