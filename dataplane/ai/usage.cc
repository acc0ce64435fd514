#include "dataplane/ai/usage.h"

#include "dataplane/ai/usage_json.h"

namespace sluice::ai {

namespace json {

Usage ReadOpenAIUsage(object usage) {
  Usage u;
  u.prompt_tokens = Int(usage, "prompt_tokens").value_or(0);
  u.completion_tokens = Int(usage, "completion_tokens").value_or(0);
  u.total_tokens = Int(usage, "total_tokens").value_or(u.prompt_tokens + u.completion_tokens);
  if (auto details = Object(usage, "prompt_tokens_details")) {
    u.cached_prompt_tokens = Int(*details, "cached_tokens").value_or(0);
  }
  return u;
}

void AnthropicUsage::Merge(object usage) {
  if (auto v = Int(usage, "input_tokens")) input_tokens = v;
  if (auto v = Int(usage, "output_tokens")) output_tokens = v;
  if (auto v = Int(usage, "cache_read_input_tokens")) cache_read_input_tokens = v;
  if (auto v = Int(usage, "cache_creation_input_tokens")) cache_creation_input_tokens = v;
}

Usage ToUsage(const AnthropicUsage& usage) {
  Usage u;
  u.prompt_tokens = usage.prompt_tokens();
  u.completion_tokens = usage.output_tokens.value_or(0);
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  u.cached_prompt_tokens = usage.cache_read_input_tokens.value_or(0);
  return u;
}

void WriteOpenAIUsage(JsonWriter& w, const Usage& usage) {
  w.BeginObject();
  w.Key("prompt_tokens").Int(usage.prompt_tokens);
  w.Key("completion_tokens").Int(usage.completion_tokens);
  w.Key("total_tokens").Int(usage.total_tokens);
  if (usage.cached_prompt_tokens > 0) {
    w.Key("prompt_tokens_details").BeginObject();
    w.Key("cached_tokens").Int(usage.cached_prompt_tokens);
    w.EndObject();
  }
  w.EndObject();
}

void WriteAnthropicUsage(JsonWriter& w, const Usage& usage) {
  w.BeginObject();
  w.Key("input_tokens").Int(usage.prompt_tokens - usage.cached_prompt_tokens);
  if (usage.cached_prompt_tokens > 0) {
    w.Key("cache_read_input_tokens").Int(usage.cached_prompt_tokens);
  }
  w.Key("output_tokens").Int(usage.completion_tokens);
  w.EndObject();
}

}  // namespace json

std::optional<Usage> ExtractUsage(WireFormat format, std::string_view body) {
  auto root = json::Parse(body);
  if (!root) return std::nullopt;
  auto obj = json::AsObject(*root);
  if (!obj) return std::nullopt;
  auto usage = json::Object(*obj, "usage");
  if (!usage) return std::nullopt;
  if (format == WireFormat::kOpenAI) return json::ReadOpenAIUsage(*usage);
  json::AnthropicUsage parts;
  parts.Merge(*usage);
  return json::ToUsage(parts);
}

}  // namespace sluice::ai
