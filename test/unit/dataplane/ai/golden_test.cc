// Golden-file tests of every translation direction (test/golden/ai/, see golden.h). Directory
// names say input format _to_ output format: for requests the client's format to the provider's,
// for responses, streams and errors the provider's to the client's.
#include "test/unit/dataplane/ai/golden.h"

#include <simdjson.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "dataplane/ai/chat_request.h"
#include "dataplane/ai/chat_response.h"
#include "dataplane/ai/error_translator.h"
#include "dataplane/ai/json_writer.h"
#include "dataplane/ai/stream_translator.h"

namespace sluice::ai {
namespace {

using testing::CaseNames;
using testing::FileExists;
using testing::GoldenPath;
using testing::JsonDifference;
using testing::PrettyJson;
using testing::ReadFile;
using testing::UpdatingGoldens;
using testing::WriteFile;

struct Direction {
  const char* dir;
  WireFormat from;
  WireFormat to;
};
constexpr Direction kDirections[] = {
    {"openai_to_anthropic", WireFormat::kOpenAI, WireFormat::kAnthropic},
    {"anthropic_to_openai", WireFormat::kAnthropic, WireFormat::kOpenAI},
    {"openai_to_openai", WireFormat::kOpenAI, WireFormat::kOpenAI},
    {"anthropic_to_anthropic", WireFormat::kAnthropic, WireFormat::kAnthropic},
};

// Options of a case: defaults, overridden by NAME.options.json.
struct CaseOptions {
  ProviderBodyOptions body;
  std::string provider_model;
  ResponseOptions response;
};

CaseOptions LoadOptions(const std::string& base, WireFormat provider_format) {
  CaseOptions o;
  o.body.provider =
      provider_format == WireFormat::kAnthropic ? ProviderKind::kAnthropic : ProviderKind::kOpenAI;
  o.provider_model = provider_format == WireFormat::kAnthropic ? "claude-sonnet-4-5-20250929"
                                                               : "gpt-4o-mini-2024-07-18";
  o.response.model = "chat-default";
  o.response.fallback_id = "req-0001";
  o.response.created = 1700000000;
  std::string path = base + ".options.json";
  if (FileExists(path)) {
    simdjson::dom::parser parser;
    std::string text = ReadFile(path);
    simdjson::dom::object obj;
    REQUIRE_FALSE(parser.parse(text).get_object().get(obj));
    std::string_view s;
    int64_t n;
    bool b;
    if (!obj["provider"].get_string().get(s)) {
      if (s == "openai-compatible") o.body.provider = ProviderKind::kOpenAICompatible;
      if (s == "azure-openai") o.body.provider = ProviderKind::kAzureOpenAI;
    }
    if (!obj["model"].get_string().get(s)) {
      o.provider_model = std::string(s);
      o.response.model = std::string(s);
    }
    if (!obj["default_max_tokens"].get_int64().get(n)) o.body.default_max_tokens = n;
    if (!obj["estimated_prompt_tokens"].get_int64().get(n)) o.response.estimated_prompt_tokens = n;
    if (!obj["include_usage"].get_bool().get(b)) o.response.include_usage = b;
    if (!obj["legacy_functions"].get_bool().get(b)) o.response.legacy_functions = b;
  }
  o.body.model = o.provider_model;
  return o;
}

std::string UsageJson(const Usage& u) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("prompt_tokens").Int(u.prompt_tokens);
  w.Key("completion_tokens").Int(u.completion_tokens);
  w.Key("total_tokens").Int(u.total_tokens);
  w.Key("cached_prompt_tokens").Int(u.cached_prompt_tokens);
  w.Key("estimated").Bool(u.estimated);
  w.EndObject();
  return out;
}

// Compares `actual` with the golden JSON file (or writes it when updating).
void CheckJsonGolden(const std::string& path, std::string_view actual) {
  if (UpdatingGoldens()) {
    WriteFile(path, PrettyJson(actual));
    return;
  }
  REQUIRE(FileExists(path));
  INFO(path);
  CHECK(JsonDifference(ReadFile(path), actual) == "");
}

TEST_CASE("golden: requests in every direction", "[ai][golden]") {
  size_t cases = 0;
  for (const Direction& d : kDirections) {
    std::string dir = GoldenPath(absl::StrCat("requests/", d.dir));
    for (const std::string& name : CaseNames(dir, ".in.json")) {
      ++cases;
      std::string base = absl::StrCat(dir, "/", name);
      SECTION(absl::StrCat(d.dir, "/", name)) {
        CaseOptions o = LoadOptions(base, d.to);
        auto req = ChatRequest::Parse(d.from, ReadFile(base + ".in.json"));
        REQUIRE(req.ok());
        auto body = req->BuildProviderBody(o.body);
        INFO(body.status().ToString());
        REQUIRE(body.ok());
        CheckJsonGolden(base + ".out.json", *body);

        std::string info;
        JsonWriter w(&info);
        w.BeginObject();
        w.Key("model").String(req->model());
        w.Key("stream").Bool(req->stream());
        w.Key("include_usage").Bool(req->include_usage());
        w.Key("legacy_functions").Bool(req->legacy_functions());
        w.Key("estimated_prompt_tokens").Int(req->estimated_prompt_tokens());
        w.EndObject();
        CheckJsonGolden(base + ".info.json", info);
      }
    }
  }
  CHECK(cases >= 12);
}

TEST_CASE("golden: non-streaming responses in every direction", "[ai][golden]") {
  size_t cases = 0;
  for (const Direction& d : kDirections) {
    std::string dir = GoldenPath(absl::StrCat("responses/", d.dir));
    for (const std::string& name : CaseNames(dir, ".in.json")) {
      ++cases;
      std::string base = absl::StrCat(dir, "/", name);
      SECTION(absl::StrCat(d.dir, "/", name)) {
        CaseOptions o = LoadOptions(base, d.from);
        auto out = TranslateChatResponse(d.from, d.to, ReadFile(base + ".in.json"), o.response);
        INFO(out.status().ToString());
        REQUIRE(out.ok());
        CheckJsonGolden(base + ".out.json", out->body);
        CheckJsonGolden(base + ".usage.json", UsageJson(out->usage));
      }
    }
  }
  CHECK(cases >= 12);
}

struct StreamRun {
  std::string output;
  Usage usage;
  bool complete = false;
};

// Feeds `input` cut at the given offsets (ascending), then ends the stream.
StreamRun RunStream(const Direction& d, const ResponseOptions& options, std::string_view input,
                    std::initializer_list<size_t> cuts, bool byte_at_a_time = false) {
  auto translator = MakeStreamTranslator(d.from, d.to, options);
  StreamRun run;
  size_t pos = 0;
  auto feed = [&](size_t end) {
    REQUIRE(translator->Feed(input.substr(pos, end - pos), &run.output).ok());
    pos = end;
  };
  if (byte_at_a_time) {
    for (size_t i = 1; i <= input.size(); ++i) feed(i);
  } else {
    for (size_t cut : cuts) feed(cut);
    feed(input.size());
  }
  translator->Finish(&run.output);
  run.usage = translator->usage();
  run.complete = translator->complete();
  return run;
}

bool SameUsage(const Usage& a, const Usage& b) {
  return a.prompt_tokens == b.prompt_tokens && a.completion_tokens == b.completion_tokens &&
         a.total_tokens == b.total_tokens && a.cached_prompt_tokens == b.cached_prompt_tokens &&
         a.estimated == b.estimated;
}

TEST_CASE("golden: streams in every direction, split at every byte", "[ai][golden]") {
  size_t cases = 0;
  for (const Direction& d : kDirections) {
    std::string dir = GoldenPath(absl::StrCat("streams/", d.dir));
    for (const std::string& name : CaseNames(dir, ".in.sse")) {
      ++cases;
      std::string base = absl::StrCat(dir, "/", name);
      SECTION(absl::StrCat(d.dir, "/", name)) {
        CaseOptions o = LoadOptions(base, d.from);
        std::string input = ReadFile(base + ".in.sse");
        StreamRun whole = RunStream(d, o.response, input, {});
        if (UpdatingGoldens()) {
          WriteFile(base + ".out.sse", whole.output);
        } else {
          // Our own output: byte for byte.
          CHECK(whole.output == ReadFile(base + ".out.sse"));
        }
        CheckJsonGolden(base + ".usage.json", UsageJson(whole.usage));

        for (size_t cut = 1; cut < input.size(); ++cut) {
          StreamRun split = RunStream(d, o.response, input, {cut});
          INFO("split at byte " << cut);
          REQUIRE(split.output == whole.output);
          REQUIRE(SameUsage(split.usage, whole.usage));
          REQUIRE(split.complete == whole.complete);
        }
        StreamRun bytes = RunStream(d, o.response, input, {}, true);
        CHECK(bytes.output == whole.output);
        CHECK(SameUsage(bytes.usage, whole.usage));
        // Three pieces at assorted points as well.
        for (size_t a = 1; a + 7 < input.size(); a += 7) {
          size_t b = a + (input.size() - a) / 2;
          StreamRun three = RunStream(d, o.response, input, {a, b});
          INFO("split at bytes " << a << " and " << b);
          REQUIRE(three.output == whole.output);
        }
      }
    }
  }
  CHECK(cases >= 14);
}

TEST_CASE("golden: provider errors in the client's format", "[ai][golden]") {
  std::string dir = GoldenPath("errors");
  size_t cases = 0;
  for (const std::string& name : CaseNames(dir, ".in.json")) {
    ++cases;
    std::string base = absl::StrCat(dir, "/", name);
    SECTION(name) {
      simdjson::dom::parser parser;
      std::string text = ReadFile(base + ".in.json");
      simdjson::dom::object in;
      REQUIRE_FALSE(parser.parse(text).get_object().get(in));
      std::string_view client = in["client"].get_string().value();
      int64_t status = in["status"].get_int64().value();
      std::string_view body = in["body"].get_string().value();
      WireFormat format = client == "openai" ? WireFormat::kOpenAI : WireFormat::kAnthropic;
      ClientError out = TranslateProviderError(format, static_cast<int>(status), body);
      ProviderError parsed = ParseProviderError(static_cast<int>(status), body);
      std::string actual;
      JsonWriter w(&actual);
      w.BeginObject();
      w.Key("status").Int(out.status);
      w.Key("context_window_exceeded").Bool(parsed.context_window_exceeded);
      w.Key("body").Raw(out.body);
      w.EndObject();
      CheckJsonGolden(base + ".out.json", actual);
      // A body passed through is byte-identical to the provider's.
      if (JsonDifference(std::string(body), out.body).empty()) CHECK(out.body == body);
    }
  }
  CHECK(cases >= 10);
}

}  // namespace
}  // namespace sluice::ai
