// Micro-benchmarks of the AI path's CPU cost (hidden: run with
// `sluice_unit_tests "[ai-bench]"`). They print numbers; they assert only that the work was done.
#include <catch2/catch.hpp>
#include <time.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "dataplane/ai/chat_request.h"
#include "dataplane/ai/chat_response.h"
#include "dataplane/ai/stream_translator.h"

namespace sluice::ai {
namespace {

// Thread CPU time: the machine may be shared, and time spent waiting for a core is not ours.
double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <typename F>
double NanosPerRun(int runs, F&& f) {
  double start = ThreadCpuNanos();
  for (int i = 0; i < runs; ++i) f();
  return (ThreadCpuNanos() - start) / runs;
}

// A ~1 KB OpenAI chat request.
std::string OneKilobyteRequest(bool stream) {
  std::string text(700, 'x');
  for (size_t i = 0; i < text.size(); i += 6) text[i] = ' ';
  return absl::StrCat(
      R"({"model":"chat-default","messages":[{"role":"system","content":"You are a helpful )"
      R"(assistant. Answer briefly and precisely."},{"role":"user","content":")",
      text,
      R"("},{"role":"assistant","content":"Sure."},{"role":"user","content":"Go on."}],)"
      R"("temperature":0.7,"max_tokens":256,"stream":)",
      stream ? "true" : "false", "}");
}

std::string OpenAIChunks(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(
        &s,
        R"(data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":)"
        R"("chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18",)"
        R"("system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":)"
        R"({"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null})",
        "\n\n");
  }
  return s;
}

std::string AnthropicEvents(int n) {
  std::string s =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
      "\"model\":\"claude\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n";
  for (int i = 0; i < n; ++i) {
    s.append(
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\" token\"}}\n\n");
  }
  return s;
}

TEST_CASE("AI path CPU cost", "[.][ai-bench]") {
  for (bool stream : {false, true}) {
    std::string body = OneKilobyteRequest(stream);
    ProviderBodyOptions same{ProviderKind::kOpenAI, "gpt-4o-mini", 4096};
    ProviderBodyOptions other{ProviderKind::kAnthropic, "claude-sonnet-4-5", 4096};
    size_t bytes = 0;
    double same_ns = NanosPerRun(20000, [&] {
      auto req = ChatRequest::Parse(WireFormat::kOpenAI, body);
      bytes += req->BuildProviderBody(same)->size();
    });
    double other_ns = NanosPerRun(20000, [&] {
      auto req = ChatRequest::Parse(WireFormat::kOpenAI, body);
      bytes += req->BuildProviderBody(other)->size();
    });
    CHECK(bytes > 0);
    std::printf(
        "request %zu B stream=%d: parse+OpenAI body %.0f ns, parse+Anthropic body %.0f ns\n",
        body.size(), stream, same_ns, other_ns);
  }

  std::string response =
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":")" +
      std::string(800, 'y') +
      R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":200,)"
      R"("total_tokens":209}})";
  ResponseOptions options;
  options.model = "chat-default";
  for (WireFormat client : {WireFormat::kOpenAI, WireFormat::kAnthropic}) {
    size_t bytes = 0;
    double ns = NanosPerRun(20000, [&] {
      bytes += TranslateChatResponse(WireFormat::kOpenAI, client, response, options)->body.size();
    });
    CHECK(bytes > 0);
    std::printf("response %zu B OpenAI -> %s: %.0f ns\n", response.size(),
                std::string(WireFormatName(client)).c_str(), ns);
  }

  constexpr int kChunks = 2000;
  struct StreamCase {
    WireFormat provider, client;
    std::string input;
  } cases[] = {
      {WireFormat::kOpenAI, WireFormat::kOpenAI, OpenAIChunks(kChunks)},
      {WireFormat::kOpenAI, WireFormat::kAnthropic, OpenAIChunks(kChunks)},
      {WireFormat::kAnthropic, WireFormat::kOpenAI, AnthropicEvents(kChunks)},
      {WireFormat::kAnthropic, WireFormat::kAnthropic, AnthropicEvents(kChunks)},
  };
  for (const StreamCase& c : cases) {
    std::string out;
    // Fed in 512-byte reads, as a socket might deliver them.
    double ns = NanosPerRun(20, [&] {
      auto t = MakeStreamTranslator(c.provider, c.client, options);
      out.clear();
      for (size_t pos = 0; pos < c.input.size(); pos += 512) {
        REQUIRE(t->Feed(std::string_view(c.input).substr(pos, 512), &out).ok());
      }
      t->Finish(&out);
    });
    CHECK(!out.empty());
    std::printf("stream %s -> %s: %.0f ns per chunk\n",
                std::string(WireFormatName(c.provider)).c_str(),
                std::string(WireFormatName(c.client)).c_str(), ns / kChunks);
  }
}

}  // namespace
}  // namespace sluice::ai
