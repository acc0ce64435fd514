#include "dataplane/ai/error_translator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "dataplane/ai/json_dom.h"

namespace sluice::ai {

namespace {

constexpr int kAnthropicOverloaded = 529;

// How providers word "the prompt is longer than the context window" (OpenAI and Azure also say
// so with code context_length_exceeded).
constexpr std::string_view kContextWindowPhrases[] = {
    "maximum context length",  "prompt is too long",   "context window",
    "context_length_exceeded", "exceed context limit", "context length",
};

std::string CodeText(json::object error) {
  if (auto s = json::String(error, "code")) return std::string(*s);
  if (auto n = json::Int(error, "code")) return absl::StrCat(*n);
  return "";
}

void WriteOpenAIError(JsonWriter& w, std::string_view message, std::string_view type,
                      std::string_view code) {
  w.BeginObject().Key("error").BeginObject();
  w.Key("message").String(message);
  w.Key("type").String(type);
  w.Key("param").Null();
  w.Key("code");
  if (code.empty()) {
    w.Null();
  } else {
    w.String(code);
  }
  w.EndObject().EndObject();
}

void WriteAnthropicError(JsonWriter& w, std::string_view message, std::string_view type,
                         std::string_view code) {
  w.BeginObject().Key("type").String("error").Key("error").BeginObject();
  w.Key("type").String(type);
  w.Key("message").String(message);
  if (!code.empty()) w.Key("code").String(code);
  w.EndObject().EndObject();
}

}  // namespace

std::string_view OpenAIErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string_view AnthropicErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case kAnthropicOverloaded:
    case 503:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

ProviderError ParseProviderError(int status, std::string_view body) {
  ProviderError e;
  auto root = json::Parse(body);
  auto obj = root ? json::AsObject(*root) : std::nullopt;
  if (obj) {
    if (auto error = json::Object(*obj, "error")) {
      // OpenAI, Azure ({"error":{"code","message"}}) and Anthropic ({"type":"error","error":{}}).
      e.message = std::string(json::String(*error, "message").value_or(""));
      e.type = std::string(json::String(*error, "type").value_or(""));
      e.code = CodeText(*error);
    } else if (auto text = json::String(*obj, "error")) {
      e.message = std::string(*text);  // Ollama: {"error":"..."}
    } else if (auto message = json::String(*obj, "message")) {
      // vLLM: {"object":"error","message","type","code":400}
      e.message = std::string(*message);
      e.type = std::string(json::String(*obj, "type").value_or(""));
    } else if (auto detail = json::String(*obj, "detail")) {
      e.message = std::string(*detail);
    }
  }
  if (e.message.empty()) e.message = absl::StrCat("the provider answered HTTP ", status);
  if (status == 400 || status == 413 || status == 422) {
    if (e.code == "context_length_exceeded") {
      e.context_window_exceeded = true;
    } else {
      const std::string lower = absl::AsciiStrToLower(e.message);
      for (std::string_view phrase : kContextWindowPhrases) {
        if (lower.find(phrase) != std::string::npos) {
          e.context_window_exceeded = true;
          break;
        }
      }
    }
  }
  return e;
}

ClientError TranslateProviderError(WireFormat client, int status, std::string_view body) {
  ClientError out;
  out.status = client == WireFormat::kOpenAI && status == kAnthropicOverloaded ? 503 : status;
  if (auto root = json::Parse(body); root && root->is_object()) {
    auto obj = root->get_object().value_unsafe();
    auto error = json::Object(obj, "error");
    bool has_message = error && json::String(*error, "message");
    bool anthropic_shape = json::String(obj, "type") == "error";
    if (client == WireFormat::kOpenAI && has_message && !anthropic_shape) {
      out.body = std::string(body);
      return out;
    }
    if (client == WireFormat::kAnthropic && has_message && anthropic_shape &&
        json::String(*error, "type")) {
      out.body = std::string(body);
      return out;
    }
  }
  ProviderError e = ParseProviderError(status, body);
  JsonWriter w(&out.body);
  if (client == WireFormat::kOpenAI) {
    WriteOpenAIError(w, e.message, OpenAIErrorType(out.status), e.code.empty() ? e.type : e.code);
  } else {
    WriteAnthropicError(w, e.message, AnthropicErrorType(status), "");
  }
  return out;
}

std::string RenderGatewayError(WireFormat client, int status, std::string_view code,
                               std::string_view message) {
  std::string out;
  JsonWriter w(&out);
  if (client == WireFormat::kOpenAI) {
    WriteOpenAIError(w, message, OpenAIErrorType(status), code);
  } else {
    WriteAnthropicError(w, message, AnthropicErrorType(status), code);
  }
  return out;
}

}  // namespace sluice::ai
