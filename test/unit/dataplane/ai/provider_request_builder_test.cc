#include "dataplane/ai/provider_request_builder.h"

#include <catch2/catch.hpp>

namespace sluice::ai {
namespace {

ProviderRequestBuilder Make(ProviderKind kind, std::string base_url, std::string secret = "sk-p") {
  ProviderEndpoint e;
  e.kind = kind;
  e.base_url = std::move(base_url);
  e.secret = std::move(secret);
  auto b = ProviderRequestBuilder::Create(std::move(e));
  REQUIRE(b.ok());
  return *std::move(b);
}

std::string PathOf(const ProviderRequestBuilder& b, Operation op, std::string_view model = "m") {
  auto r = b.Build(op, model);
  REQUIRE(r.ok());
  return r->path;
}

http::HeaderMap ClientHeaders() {
  http::HeaderMap h;
  h.Add("Host", "gateway.example.com");
  h.Add("Authorization", "Bearer client-key");
  h.Add("X-Api-Key", "client-key");
  h.Add("api-key", "client-key");
  h.Add("OpenAI-Organization", "org-client");
  h.Add("anthropic-version", "2023-01-01");
  h.Add("anthropic-beta", "prompt-caching-2024-07-31");
  h.Add("Accept-Encoding", "gzip, br");
  h.Add("Content-Type", "application/json");
  h.Add("X-Request-Id", "abc");
  return h;
}

std::string Get(const http::HeaderMap& h, std::string_view name) {
  const std::string* v = h.Get(name);
  return v ? *v : "<none>";
}

TEST_CASE("OpenAI: paths under the base URL, Bearer auth", "[ai][provider]") {
  auto b = Make(ProviderKind::kOpenAI, "https://api.openai.com/v1/");
  CHECK(b.tls());
  CHECK(b.host() == "api.openai.com");
  CHECK(b.port() == 443);
  CHECK(b.authority() == "api.openai.com");
  CHECK(PathOf(b, Operation::kChatCompletions) == "/v1/chat/completions");
  CHECK(PathOf(b, Operation::kMessages) == "/v1/chat/completions");
  CHECK(PathOf(b, Operation::kEmbeddings) == "/v1/embeddings");
  auto models = b.Build(Operation::kListModels, "");
  REQUIRE(models.ok());
  CHECK(models->method == "GET");
  CHECK(models->path == "/v1/models");
  CHECK(b.Build(Operation::kMessages, "m")->body_format == WireFormat::kOpenAI);

  http::HeaderMap h = ClientHeaders();
  b.RewriteHeaders(&h);
  CHECK(Get(h, "authorization") == "Bearer sk-p");
  CHECK(h.Count("authorization") == 1);
  CHECK(Get(h, "x-api-key") == "<none>");
  CHECK(Get(h, "api-key") == "<none>");
  CHECK(Get(h, "openai-organization") == "<none>");
  CHECK(Get(h, "anthropic-version") == "<none>");
  CHECK(Get(h, "anthropic-beta") == "<none>");
  CHECK(Get(h, "host") == "api.openai.com");
  CHECK(Get(h, "accept-encoding") == "identity");
  CHECK(Get(h, "x-request-id") == "abc");
  CHECK(Get(h, "content-type") == "application/json");
}

TEST_CASE("OpenAI-compatible: base path joined, empty path means /v1, no key no auth",
          "[ai][provider]") {
  auto ollama = Make(ProviderKind::kOpenAICompatible, "http://127.0.0.1:11434/v1", "");
  CHECK_FALSE(ollama.tls());
  CHECK(ollama.port() == 11434);
  CHECK(ollama.authority() == "127.0.0.1:11434");
  CHECK(PathOf(ollama, Operation::kChatCompletions) == "/v1/chat/completions");
  http::HeaderMap h = ClientHeaders();
  ollama.RewriteHeaders(&h);
  CHECK(Get(h, "authorization") == "<none>");
  CHECK(Get(h, "host") == "127.0.0.1:11434");

  CHECK(PathOf(Make(ProviderKind::kOpenAICompatible, "http://vllm:8000"),
               Operation::kChatCompletions) == "/v1/chat/completions");
  CHECK(PathOf(Make(ProviderKind::kOpenAICompatible, "https://api.groq.com/openai/v1"),
               Operation::kEmbeddings) == "/openai/v1/embeddings");
  auto v6 = Make(ProviderKind::kOpenAICompatible, "http://[::1]:8080/api");
  CHECK(v6.host() == "::1");
  CHECK(v6.authority() == "[::1]:8080");
  CHECK(PathOf(v6, Operation::kListModels) == "/api/models");
  // A default port is not repeated in Host.
  CHECK(Make(ProviderKind::kOpenAI, "https://example.com:443/v1").authority() == "example.com");
}

TEST_CASE("Azure: deployment paths with api-version, api-key auth", "[ai][provider]") {
  ProviderEndpoint e;
  e.kind = ProviderKind::kAzureOpenAI;
  e.base_url = "https://my-resource.openai.azure.com";
  e.secret = "azure-key";
  e.azure_api_version = "2024-06-01";
  auto b = ProviderRequestBuilder::Create(e);
  REQUIRE(b.ok());
  CHECK(PathOf(*b, Operation::kChatCompletions, "gpt-4o-prod") ==
        "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-06-01");
  CHECK(PathOf(*b, Operation::kEmbeddings, "embed v3/x") ==
        "/openai/deployments/embed%20v3%2Fx/embeddings?api-version=2024-06-01");
  CHECK(PathOf(*b, Operation::kListModels) == "/openai/models?api-version=2024-06-01");
  CHECK_FALSE(b->Build(Operation::kChatCompletions, "").ok());
  http::HeaderMap h = ClientHeaders();
  b->RewriteHeaders(&h);
  CHECK(Get(h, "api-key") == "azure-key");
  CHECK(h.Count("api-key") == 1);
  CHECK(Get(h, "authorization") == "<none>");

  e.azure_api_version.clear();
  CHECK(PathOf(*ProviderRequestBuilder::Create(e), Operation::kChatCompletions, "d") ==
        std::string("/openai/deployments/d/chat/completions?api-version=") +
            kDefaultAzureApiVersion);
  // Azure's v1 API: OpenAI's paths, model in the body.
  e.base_url = "https://my-resource.openai.azure.com/openai/v1";
  CHECK(PathOf(*ProviderRequestBuilder::Create(e), Operation::kChatCompletions, "d") ==
        "/openai/v1/chat/completions");
}

TEST_CASE("Anthropic: /v1/messages, x-api-key and anthropic-version", "[ai][provider]") {
  auto b = Make(ProviderKind::kAnthropic, "https://api.anthropic.com", "sk-ant");
  CHECK(PathOf(b, Operation::kMessages) == "/v1/messages");
  CHECK(PathOf(b, Operation::kChatCompletions) == "/v1/messages");
  CHECK(b.Build(Operation::kChatCompletions, "m")->body_format == WireFormat::kAnthropic);
  CHECK(PathOf(b, Operation::kListModels) == "/v1/models");
  CHECK(b.Build(Operation::kEmbeddings, "m").status().code() == absl::StatusCode::kUnimplemented);
  CHECK(PathOf(Make(ProviderKind::kAnthropic, "https://proxy.internal/anthropic/v1"),
               Operation::kMessages) == "/anthropic/v1/messages");

  http::HeaderMap h = ClientHeaders();
  b.RewriteHeaders(&h);
  CHECK(Get(h, "x-api-key") == "sk-ant");
  CHECK(h.Count("x-api-key") == 1);
  CHECK(Get(h, "anthropic-version") == kDefaultAnthropicVersion);
  CHECK(h.Count("anthropic-version") == 1);
  CHECK(Get(h, "anthropic-beta") == "prompt-caching-2024-07-31");  // kept for Anthropic
  CHECK(Get(h, "authorization") == "<none>");
  CHECK(Get(h, "api-key") == "<none>");
}

TEST_CASE("Header overrides apply last", "[ai][provider]") {
  ProviderEndpoint e;
  e.kind = ProviderKind::kOpenAICompatible;
  e.base_url = "http://10.0.0.5:8000/v1";
  e.secret = "k";
  e.header_overrides = {{"X-Tenant", "blue"}, {"Authorization", "Token custom"}};
  auto b = ProviderRequestBuilder::Create(e);
  REQUIRE(b.ok());
  http::HeaderMap h = ClientHeaders();
  b->RewriteHeaders(&h);
  CHECK(Get(h, "x-tenant") == "blue");
  CHECK(Get(h, "authorization") == "Token custom");
  CHECK(h.Count("authorization") == 1);
}

TEST_CASE("Bad base URLs are refused", "[ai][provider]") {
  for (const char* url : {"api.openai.com/v1", "ftp://x", "https://", "https://:80/v1",
                          "https://u:p@host/v1", "https://host:0", "https://host:70000",
                          "https://host/v1?x=1", "http://[::1/v1", "https://host:8a"}) {
    ProviderEndpoint e;
    e.base_url = url;
    INFO(url);
    CHECK_FALSE(ProviderRequestBuilder::Create(e).ok());
  }
}

}  // namespace
}  // namespace sluice::ai
