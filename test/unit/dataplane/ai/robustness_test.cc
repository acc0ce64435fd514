// Bad input never crashes the AI path and never makes it write invalid JSON: truncated and
// corrupted versions of every golden input go through every translator.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dataplane/ai/chat_request.h"
#include "dataplane/ai/chat_response.h"
#include "dataplane/ai/error_translator.h"
#include "dataplane/ai/sse_parser.h"
#include "dataplane/ai/stream_translator.h"
#include "test/unit/dataplane/ai/golden.h"

namespace sluice::ai {
namespace {

using testing::CaseNames;
using testing::GoldenPath;
using testing::JsonDifference;
using testing::ReadFile;

constexpr const char* kDirs[] = {"openai_to_anthropic", "anthropic_to_openai", "openai_to_openai",
                                 "anthropic_to_anthropic"};
constexpr WireFormat kFormats[] = {WireFormat::kOpenAI, WireFormat::kAnthropic};

std::vector<std::string> Inputs(std::string_view kind, std::string_view suffix) {
  std::vector<std::string> inputs;
  for (const char* dir : kDirs) {
    std::string path = GoldenPath(absl::StrCat(Sv(kind), "/", dir));
    for (const std::string& name : CaseNames(path, suffix)) {
      inputs.push_back(ReadFile(absl::StrCat(path, "/", name, Sv(suffix))));
    }
  }
  return inputs;
}

bool IsJson(std::string_view text) { return JsonDifference(text, text).empty(); }

// Deterministic corruption: a few bytes replaced by bytes that matter to JSON and SSE.
std::string Corrupt(std::string s, uint32_t seed) {
  static constexpr char kBytes[] = "{}[]\":,\\\n\r \x00\xff\xc3xa0";
  for (int k = 0; k < 3 && !s.empty(); ++k) {
    seed = seed * 1103515245u + 12345u;
    size_t at = (seed >> 8) % s.size();
    seed = seed * 1103515245u + 12345u;
    s[at] = kBytes[(seed >> 8) % (sizeof kBytes - 1)];
  }
  return s;
}

TEST_CASE("Truncated and corrupted requests are refused or translated into JSON",
          "[ai][robustness]") {
  uint32_t seed = 1;
  for (const std::string& input : Inputs("requests", ".in.json")) {
    std::vector<std::string> variants;
    for (size_t cut = 0; cut < input.size(); cut += 3) variants.push_back(input.substr(0, cut));
    for (int k = 0; k < 200; ++k) variants.push_back(Corrupt(input, seed++));
    for (const std::string& body : variants) {
      for (WireFormat client : kFormats) {
        auto req = ChatRequest::Parse(client, body);
        if (!req.ok()) continue;
        for (ProviderKind provider : {ProviderKind::kOpenAI, ProviderKind::kAnthropic}) {
          auto out = req->BuildProviderBody({provider, "m", 4096});
          if (!out.ok()) continue;
          INFO(body);
          REQUIRE(IsJson(*out));
        }
      }
    }
  }
}

TEST_CASE("Truncated and corrupted responses and errors are refused or translated into JSON",
          "[ai][robustness]") {
  ResponseOptions options;
  options.model = "alias";
  uint32_t seed = 7;
  for (const std::string& input : Inputs("responses", ".in.json")) {
    std::vector<std::string> variants;
    for (size_t cut = 0; cut < input.size(); cut += 3) variants.push_back(input.substr(0, cut));
    for (int k = 0; k < 200; ++k) variants.push_back(Corrupt(input, seed++));
    for (const std::string& body : variants) {
      for (WireFormat provider : kFormats) {
        for (WireFormat client : kFormats) {
          auto out = TranslateChatResponse(provider, client, body, options);
          INFO(body);
          if (out.ok()) REQUIRE(IsJson(out->body));
          REQUIRE(IsJson(TranslateProviderError(client, 500, body).body));
        }
      }
    }
  }
}

TEST_CASE("Corrupted streams still give well-formed client streams", "[ai][robustness]") {
  ResponseOptions options;
  options.model = "alias";
  uint32_t seed = 99;
  for (const std::string& input : Inputs("streams", ".in.sse")) {
    for (int k = 0; k < 100; ++k) {
      std::string stream = Corrupt(input, seed++);
      for (WireFormat provider : kFormats) {
        for (WireFormat client : kFormats) {
          auto t = MakeStreamTranslator(provider, client, options);
          std::string out;
          REQUIRE(t->Feed(stream, &out).ok());
          t->Finish(&out);
          (void)t->usage();
          if (provider == client) continue;  // observers forward what they got
          // Everything a translator writes is SSE whose data is JSON (or OpenAI's [DONE]).
          SseParser parser;
          REQUIRE(parser
                      .Feed(out,
                            [&](const SseEvent& e) {
                              INFO(e.data);
                              if (e.data != "[DONE]") REQUIRE(IsJson(e.data));
                            })
                      .ok());
          CHECK_FALSE(parser.has_partial_event());
        }
      }
    }
  }
}

TEST_CASE("A huge body, then small ones, on the same thread", "[ai][robustness]") {
  std::string image(3 << 20, 'A');
  std::string big =
      absl::StrCat(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",)"
                   R"("image_url":{"url":"data:image/png;base64,)",
                   image, R"("}}]}]})");
  auto req = ChatRequest::Parse(WireFormat::kOpenAI, big);
  REQUIRE(req.ok());
  auto anthropic = req->BuildProviderBody({ProviderKind::kAnthropic, "claude", 4096});
  REQUIRE(anthropic.ok());
  CHECK(anthropic->find(image) != std::string::npos);
  ResponseOptions options;
  auto out = TranslateChatResponse(
      WireFormat::kAnthropic, WireFormat::kOpenAI,
      R"({"id":"msg_1","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn"})",
      options);
  REQUIRE(out.ok());
  CHECK(out->body.find("\"content\":\"ok\"") != std::string::npos);
  // The request parsed before still holds its own document.
  CHECK(req->BuildProviderBody({ProviderKind::kOpenAI, "gpt", 4096})->size() > image.size());
}

}  // namespace
}  // namespace sluice::ai
