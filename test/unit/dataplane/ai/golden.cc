#include "test/unit/dataplane/ai/golden.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dataplane/ai/json_writer.h"

namespace sluice::ai::testing {

namespace {
using simdjson::dom::element;
using simdjson::dom::element_type;

std::string Describe(element e) { return simdjson::minify(e); }

bool IsNumber(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

std::string Compare(element want, element got, const std::string& path) {
  if (IsNumber(want.type()) && IsNumber(got.type())) {
    double a = want.get_double().value_unsafe(), b = got.get_double().value_unsafe();
    if (a == b) return "";
    return absl::StrCat(path, ": expected ", Describe(want), ", got ", Describe(got));
  }
  if (want.type() != got.type()) {
    return absl::StrCat(path, ": expected ", Describe(want), ", got ", Describe(got));
  }
  switch (want.type()) {
    case element_type::OBJECT: {
      auto a = want.get_object().value_unsafe();
      auto b = got.get_object().value_unsafe();
      for (auto field : a) {
        element other;
        if (b.at_key(field.key).get(other)) {
          return absl::StrCat(path, ": missing member \"", Sv(field.key), "\"");
        }
        std::string diff = Compare(field.value, other, absl::StrCat(path, ".", Sv(field.key)));
        if (!diff.empty()) return diff;
      }
      for (auto field : b) {
        element other;
        if (a.at_key(field.key).get(other)) {
          return absl::StrCat(path, ": unexpected member \"", Sv(field.key),
                              "\": ", Describe(field.value));
        }
      }
      return "";
    }
    case element_type::ARRAY: {
      auto a = want.get_array().value_unsafe();
      auto b = got.get_array().value_unsafe();
      if (a.size() != b.size()) {
        return absl::StrCat(path, ": expected ", a.size(), " items, got ", b.size(), ": ",
                            Describe(got));
      }
      size_t i = 0;
      auto it = b.begin();
      for (element item : a) {
        std::string diff = Compare(item, *it, absl::StrCat(path, "[", i, "]"));
        if (!diff.empty()) return diff;
        ++it;
        ++i;
      }
      return "";
    }
    default:
      if (Describe(want) == Describe(got)) return "";
      return absl::StrCat(path, ": expected ", Describe(want), ", got ", Describe(got));
  }
}

void Pretty(element e, int depth, std::string* out) {
  auto indent = [&](int d) { out->append(static_cast<size_t>(d) * 2, ' '); };
  switch (e.type()) {
    case element_type::OBJECT: {
      auto o = e.get_object().value_unsafe();
      if (o.size() == 0) {
        out->append("{}");
        return;
      }
      out->append("{\n");
      bool first = true;
      for (auto field : o) {
        if (!first) out->append(",\n");
        first = false;
        indent(depth + 1);
        AppendJsonQuoted(out, field.key);
        out->append(": ");
        Pretty(field.value, depth + 1, out);
      }
      out->push_back('\n');
      indent(depth);
      out->push_back('}');
      return;
    }
    case element_type::ARRAY: {
      auto a = e.get_array().value_unsafe();
      if (a.size() == 0) {
        out->append("[]");
        return;
      }
      out->append("[\n");
      bool first = true;
      for (element item : a) {
        if (!first) out->append(",\n");
        first = false;
        indent(depth + 1);
        Pretty(item, depth + 1, out);
      }
      out->push_back('\n');
      indent(depth);
      out->push_back(']');
      return;
    }
    case element_type::STRING:
      AppendJsonQuoted(out, e.get_string().value_unsafe());
      return;
    default:
      out->append(Describe(e));
  }
}
}  // namespace

std::string GoldenPath(std::string_view relative) {
  return absl::StrCat(SLUICE_GOLDEN_DIR, "/ai/", Sv(relative));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool FileExists(const std::string& path) { return std::filesystem::exists(path); }

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

bool UpdatingGoldens() {
  const char* v = std::getenv("SLUICE_UPDATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

std::vector<std::string> CaseNames(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (file.size() > suffix.size() && file.substr(file.size() - suffix.size()) == suffix) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string JsonDifference(std::string_view expected, std::string_view actual) {
  simdjson::dom::parser want_parser, got_parser;
  element want, got;
  if (want_parser.parse(expected.data(), expected.size(), true).get(want)) {
    return "expected text is not JSON";
  }
  if (got_parser.parse(actual.data(), actual.size(), true).get(got)) {
    return absl::StrCat("output is not JSON: ", Sv(actual));
  }
  return Compare(want, got, "$");
}

std::string PrettyJson(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(json.data(), json.size(), true).get(root)) return std::string(json);
  std::string out;
  Pretty(root, 0, &out);
  out.push_back('\n');
  return out;
}

}  // namespace sluice::ai::testing
