#include "dataplane/ai/json_dom.h"

#include <cmath>
#include <limits>

namespace sluice::ai::json {

namespace {
// A parser keeps the buffers of the largest document it has seen. One large body (a prompt with
// inline images) should not pin that much memory in every worker for good.
constexpr size_t kRetainedCapacity = 1 << 20;

simdjson::dom::parser& Fit(simdjson::dom::parser& parser, size_t size) {
  if (parser.capacity() > kRetainedCapacity && size <= kRetainedCapacity) {
    // On failure the parse that follows allocates what it needs, or reports the error.
    simdjson::error_code ignored = parser.allocate(kRetainedCapacity);
    (void)ignored;
  }
  return parser;
}

std::optional<element> ParseWith(simdjson::dom::parser& parser, std::string_view text) {
  element root;
  // Our buffers are not padded, so simdjson copies the text into its own (reused) buffer.
  if (Fit(parser, text.size()).parse(text.data(), text.size(), true).get(root)) {
    return std::nullopt;
  }
  return root;
}
}  // namespace

simdjson::dom::parser& ThreadParser(size_t next_size) {
  thread_local simdjson::dom::parser parser;
  return Fit(parser, next_size);
}

std::optional<element> Parse(std::string_view text) {
  return ParseWith(ThreadParser(text.size()), text);
}

std::optional<element> ParseNested(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  return ParseWith(parser, text);
}

void Write(JsonWriter& w, element value) {
  switch (value.type()) {
    case element_type::OBJECT: {
      w.BeginObject();
      object members = value.get_object().value_unsafe();
      for (auto field : members) {
        w.Key(field.key);
        Write(w, field.value);
      }
      w.EndObject();
      return;
    }
    case element_type::ARRAY: {
      w.BeginArray();
      array items = value.get_array().value_unsafe();
      for (element item : items) Write(w, item);
      w.EndArray();
      return;
    }
    case element_type::STRING:
      w.String(value.get_string().value_unsafe());
      return;
    case element_type::INT64:
      w.Int(value.get_int64().value_unsafe());
      return;
    case element_type::UINT64:
      w.Uint(value.get_uint64().value_unsafe());
      return;
    case element_type::DOUBLE:
      w.Double(value.get_double().value_unsafe());
      return;
    case element_type::BOOL:
      w.Bool(value.get_bool().value_unsafe());
      return;
    case element_type::NULL_VALUE:
      w.Null();
      return;
  }
}

std::optional<element> Member(object o, std::string_view key) {
  element e;
  if (o.at_key(key).get(e)) return std::nullopt;
  return e;
}

std::optional<std::string_view> String(object o, std::string_view key) {
  std::string_view s;
  if (o.at_key(key).get_string().get(s)) return std::nullopt;
  return s;
}

std::optional<object> Object(object o, std::string_view key) {
  object v;
  if (o.at_key(key).get_object().get(v)) return std::nullopt;
  return v;
}

std::optional<array> Array(object o, std::string_view key) {
  array v;
  if (o.at_key(key).get_array().get(v)) return std::nullopt;
  return v;
}

std::optional<bool> Bool(object o, std::string_view key) {
  bool v;
  if (o.at_key(key).get_bool().get(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> AsInt(element e) {
  switch (e.type()) {
    case element_type::INT64:
      return e.get_int64().value_unsafe();
    case element_type::UINT64: {
      uint64_t v = e.get_uint64().value_unsafe();
      return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? std::numeric_limits<int64_t>::max()
                 : static_cast<int64_t>(v);
    }
    case element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      if (d != std::floor(d)) return std::nullopt;
      if (d >= 9.2e18) return std::numeric_limits<int64_t>::max();
      if (d <= -9.2e18) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(d);
    }
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> Int(object o, std::string_view key) {
  auto e = Member(o, key);
  if (!e) return std::nullopt;
  return AsInt(*e);
}

std::optional<double> Number(object o, std::string_view key) {
  auto e = Member(o, key);
  if (!e) return std::nullopt;
  double d;
  if (e->get_double().get(d)) return std::nullopt;
  return d;
}

std::optional<object> AsObject(element e) {
  object o;
  if (e.get_object().get(o)) return std::nullopt;
  return o;
}

std::optional<std::string_view> AsString(element e) {
  std::string_view s;
  if (e.get_string().get(s)) return std::nullopt;
  return s;
}

}  // namespace sluice::ai::json
