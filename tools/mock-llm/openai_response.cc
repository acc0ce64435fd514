#include "tools/mock-llm/openai_response.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "tools/mock-llm/mock_stats.h"

namespace sluice::mock_llm {
namespace {

constexpr std::string_view kModelIds[] = {"mock-gpt-4o-mini", "mock-gpt-4o", "mock-embed"};
// Fixed so that model listings are byte-for-byte stable across runs.
constexpr int64_t kModelCreated = 1700000000;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void AppendUsage(const Usage& usage, std::string* out) {
  absl::StrAppend(out, "{\"prompt_tokens\":", usage.prompt_tokens, ",\"completion_tokens\":",
                  usage.completion_tokens, ",\"total_tokens\":",
                  usage.prompt_tokens + usage.completion_tokens, "}");
}

void AppendModel(std::string_view id, std::string* out) {
  out->append("{\"id\":");
  AppendJsonString(out, id);
  absl::StrAppend(out, ",\"object\":\"model\",\"created\":", kModelCreated,
                  ",\"owned_by\":\"sluice-mock\"}");
}

}  // namespace

std::string FormatChatCompletion(const CompletionMeta& meta, const CompletionPlan& plan,
                                 const Usage& usage) {
  std::string out;
  out.reserve(256 + meta.model.size() + static_cast<size_t>(plan.tokens) * 8);
  out.append("{\"id\":");
  AppendJsonString(&out, meta.id);
  absl::StrAppend(&out, ",\"object\":\"chat.completion\",\"created\":", meta.created,
                  ",\"model\":");
  AppendJsonString(&out, meta.model);
  out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  if (plan.tool_call.has_value()) {
    out.append("null,\"tool_calls\":[{\"id\":");
    AppendJsonString(&out, plan.tool_call->id);
    out.append(",\"type\":\"function\",\"function\":{\"name\":");
    AppendJsonString(&out, plan.tool_call->name);
    out.append(",\"arguments\":");
    AppendJsonString(&out, plan.tool_call->arguments_json);
    out.append("}}]");
  } else {
    // Token words need no JSON escaping.
    out.push_back('"');
    CompletionTextWriter text(plan.text_bytes);
    for (int64_t i = 1; i <= plan.tokens; ++i) text.AppendToken(i, &out);
    out.push_back('"');
  }
  out.append(",\"refusal\":null},\"logprobs\":null,\"finish_reason\":");
  AppendJsonString(&out, OpenAiFinishReason(plan.stop));
  out.append("}],\"usage\":");
  AppendUsage(usage, &out);
  out.push_back('}');
  return out;
}

OpenAiChatStream::OpenAiChatStream(Options options)
    : options_(std::move(options)), text_(options_.plan.text_bytes) {
  prefix_.append("data: {\"id\":");
  AppendJsonString(&prefix_, options_.meta.id);
  absl::StrAppend(&prefix_, ",\"object\":\"chat.completion.chunk\",\"created\":",
                  options_.meta.created, ",\"model\":");
  AppendJsonString(&prefix_, options_.meta.model);
  prefix_.push_back(',');
  if (options_.plan.tool_call.has_value()) {
    argument_pieces_ = SplitArguments(options_.plan.tool_call->arguments_json);
    body_steps_ = static_cast<int64_t>(argument_pieces_.size());
  } else {
    body_steps_ = options_.plan.tokens;
  }
}

void OpenAiChatStream::AppendChunk(std::string_view body, int64_t now_us,
                                   std::string* out) const {
  out->append(prefix_);
  out->append(body);
  absl::StrAppend(out, ",\"sluice_mock_ts_us\":", now_us, "}\n\n");
}

int64_t OpenAiChatStream::StepCount() const {
  return body_steps_ + (options_.include_usage ? 4 : 3);
}

bool OpenAiChatStream::Exhausted() const { return step_ >= StepCount(); }

bool OpenAiChatStream::NextChunk(int64_t now_us, std::string* out) {
  if (Exhausted()) return false;
  const int64_t step = step_++;
  const int64_t n = body_steps_;
  const std::optional<ToolCall>& call = options_.plan.tool_call;
  const absl::string_view usage_null = options_.include_usage ? ",\"usage\":null" : "";
  std::string body;
  if (step == 0) {
    body.append("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":");
    if (call.has_value()) {
      body.append("null,\"tool_calls\":[{\"index\":0,\"id\":");
      AppendJsonString(&body, call->id);
      body.append(",\"type\":\"function\",\"function\":{\"name\":");
      AppendJsonString(&body, call->name);
      body.append(",\"arguments\":\"\"}}]");
    } else {
      body.append("\"\"");
    }
    absl::StrAppend(&body, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]",
                    usage_null);
  } else if (step <= n) {
    if (call.has_value()) {
      body.append(
          "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
          "{\"arguments\":");
      AppendJsonString(&body, argument_pieces_[static_cast<size_t>(step - 1)]);
      body.append("}}]}");
    } else {
      body.append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
      text_.AppendToken(step, &body);
      body.append("\"}");
    }
    absl::StrAppend(&body, ",\"logprobs\":null,\"finish_reason\":null}]", usage_null);
  } else if (step == n + 1) {
    body.append("\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":");
    AppendJsonString(&body, OpenAiFinishReason(options_.plan.stop));
    absl::StrAppend(&body, "}]", usage_null);
  } else if (step == n + 2 && options_.include_usage) {
    body.append("\"choices\":[],\"usage\":");
    AppendUsage(options_.usage, &body);
    if (options_.stats != nullptr) {
      options_.stats->AddUsage(options_.api, options_.usage.prompt_tokens,
                               options_.usage.completion_tokens);
    }
  } else {
    out->append("data: [DONE]\n\n");
    return true;
  }
  AppendChunk(body, now_us, out);
  return true;
}

void EmbeddingVector(uint64_t seed, int dimensions, float* out) {
  double norm = 0;
  for (int d = 0; d < dimensions; ++d) {
    const uint64_t bits = SplitMix64(seed + static_cast<uint64_t>(d) * 0x9e3779b97f4a7c15ull);
    // Top 24 bits → [-1, 1): exactly representable as float, so output is platform-stable.
    const double v = static_cast<double>(bits >> 40) / static_cast<double>(1ull << 23) - 1.0;
    out[d] = static_cast<float>(v);
    norm += v * v;
  }
  const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  for (int d = 0; d < dimensions; ++d) out[d] = static_cast<float>(out[d] * scale);
}

std::string FormatEmbeddings(const EmbeddingsRequest& request) {
  std::string out;
  out.reserve(128 + request.input_hashes.size() * (64 + request.dimensions * 12));
  out.append("{\"object\":\"list\",\"data\":[");
  std::vector<float> vec(request.dimensions);
  for (size_t i = 0; i < request.input_hashes.size(); ++i) {
    EmbeddingVector(request.input_hashes[i], request.dimensions, vec.data());
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"object\":\"embedding\",\"index\":", i,
                    ",\"embedding\":");
    if (request.base64) {
      // Little-endian float32, as the OpenAI API encodes it (we only build on little-endian).
      std::string raw(vec.size() * sizeof(float), '\0');
      std::memcpy(raw.data(), vec.data(), raw.size());
      out.push_back('"');
      out.append(absl::Base64Escape(raw));
      out.push_back('"');
    } else {
      out.push_back('[');
      for (size_t d = 0; d < vec.size(); ++d) absl::StrAppend(&out, d == 0 ? "" : ",", vec[d]);
      out.push_back(']');
    }
    out.push_back('}');
  }
  out.append("],\"model\":");
  AppendJsonString(&out, request.model);
  absl::StrAppend(&out, ",\"usage\":{\"prompt_tokens\":", request.prompt_tokens,
                  ",\"total_tokens\":", request.prompt_tokens, "}}");
  return out;
}

std::string FormatModelList() {
  std::string out = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (std::string_view id : kModelIds) {
    if (!first) out.push_back(',');
    first = false;
    AppendModel(id, &out);
  }
  out.append("]}");
  return out;
}

std::optional<std::string> FormatModel(std::string_view id) {
  for (std::string_view known : kModelIds) {
    if (known == id) {
      std::string out;
      AppendModel(id, &out);
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace sluice::mock_llm
