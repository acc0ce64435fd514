// sluicectl with certificates, CA certificates, providers and models against a real control
// plane: apply, dump (secrets redacted), apply of the dump (a no-op), prune in reference order.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "test/common/test_certs.h"
#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

struct CtlRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
  bool Says(const std::string& s) const { return output.find(s) != std::string::npos; }
};

CtlRun Ctl(const ControlPlane& cp, std::vector<std::string> args) {
  args.insert(args.begin(), {"--admin-url", "http://" + cp.admin});
  Process p("sluicectl", BinDir() + "/sluicectl", args);
  REQUIRE(p.started());
  REQUIRE(p.Wait(Millis(60'000)));
  CtlRun run;
  REQUIRE(WIFEXITED(p.wait_status()));
  run.exit_code = WEXITSTATUS(p.wait_status());
  run.output = p.ReadLog();
  run.output.erase(0, run.output.find('\n') + 1);  // the harness's "# command" line
  return run;
}

std::string WriteFile(const std::string& text, const std::string& name) {
  const std::string path = NewDir("files") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// `pem` as a YAML literal block at `indent` spaces.
std::string Block(const std::string& pem, int indent) {
  std::string out = "|\n";
  size_t start = 0;
  while (start < pem.size()) {
    size_t end = pem.find('\n', start);
    out += std::string(indent, ' ') + pem.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string File(const TestCert& ca, const TestCert& leaf, const std::string& key,
                 const std::string& secret, bool with_canary) {
  std::string text = "ca_certificates:\n  - name: internal\n    cert: " + Block(ca.cert_pem, 6) +
                     "certificates:\n  - name: edge\n    snis: [api.example.com]\n    cert: " +
                     Block(leaf.cert_pem, 6) + "    key: " +
                     (key == "<redacted>" ? key + "\n" : Block(key, 6)) +
                     R"(services:
  - name: secure
    url: http://127.0.0.1:9
    ca_certificates: [internal]
    client_certificate: {name: edge}
providers:
  - name: openai-main
    kind: openai
    auth: {secret: ")" + secret + R"("}
models:
)";
  if (with_canary) {
    text += "  - name: chat\n    split: [{model: {name: chat-default}, weight: 90}, "
            "{model: {name: chat-big}, weight: 10}]\n";
  }
  return text + R"(  - name: chat-big
    provider: {name: openai-main}
    model: gpt-4o
    fallbacks: [{name: chat-default}]
  - name: chat-default
    provider: {name: openai-main}
    model: gpt-4o-mini
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
)";
}

TEST_CASE("sluicectl: TLS and AI entities apply, dump redacted, re-apply as a no-op, prune",
          "[sluicectl][entities]") {
  ControlPlane cp = StartControlPlane(NewDir("cp-data"));
  const TestCert ca = MakeCa();
  const TestCert leaf = MakeLeaf(ca, {"api.example.com"});
  const std::string secret = "sk-sluicectl-secret-0123456789";

  CtlRun first =
      Ctl(cp, {"apply", "-f", WriteFile(File(ca, leaf, leaf.key_pem, secret, true), "a.yaml")});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.Says("applied: 7 created, 0 updated, 0 deleted, 0 unchanged"));
  CHECK_FALSE(first.Says(secret));
  CHECK_FALSE(first.Says("PRIVATE KEY"));
  Json model = Json::Parse(AdminCall(cp, "GET", "/models/chat").body);
  CHECK(model.Int("/split/0/weight") == 90);

  CtlRun dump = Ctl(cp, {"dump"});
  INFO(dump.output);
  REQUIRE(dump.exit_code == 0);
  CHECK(dump.Says("key: <redacted>"));
  CHECK(dump.Says("auth: {secret: <redacted>}"));
  CHECK_FALSE(dump.Says(secret));
  CHECK_FALSE(dump.Says("PRIVATE KEY"));
  CHECK(dump.Says("fallbacks:\n      - {name: chat-default}"));

  const int64_t version = ControlPlaneVersion(cp);
  CtlRun again = Ctl(cp, {"apply", "--prune", "-f", WriteFile(dump.output, "dump.yaml")});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.Says("applied: 0 created, 0 updated, 0 deleted, 7 unchanged"));
  CHECK(ControlPlaneVersion(cp) == version);

  // The secrets are still the ones first given: a PATCH with "<redacted>" would fail otherwise.
  CHECK(AdminCall(cp, "PATCH", "/providers/openai-main", R"({"auth":{"secret":"<redacted>"}})")
            .status == 200);

  // Without the canary, --prune deletes it before anything it references.
  CtlRun pruned = Ctl(cp, {"apply", "--prune", "-f",
                           WriteFile(File(ca, leaf, "<redacted>", "<redacted>", false), "b.yaml")});
  INFO(pruned.output);
  CHECK(pruned.exit_code == 0);
  CHECK(pruned.Says("deleted model chat"));
  CHECK(pruned.Says("applied: 0 created, 0 updated, 1 deleted, 6 unchanged"));
  CHECK(AdminCall(cp, "GET", "/models/chat").status == 404);

  // An empty file with every section prunes all, referrers first: models, providers, services,
  // certificates, CA certificates.
  CtlRun all = Ctl(cp, {"apply", "--prune", "-f",
                        WriteFile("services: []\nca_certificates: []\ncertificates: []\n"
                                  "providers: []\nmodels: []\n",
                                  "empty.yaml")});
  INFO(all.output);
  CHECK(all.exit_code == 0);
  CHECK(all.Says("applied: 0 created, 0 updated, 6 deleted, 0 unchanged"));
  Json config = Json::Parse(AdminCall(cp, "GET", "/config").body);
  for (const char* section : {"/models", "/providers", "/services", "/certificates",
                              "/ca_certificates"})
    CHECK(config.Size(section) == 0);

  CtlRun get = Ctl(cp, {"get", "models"});
  CHECK(get.exit_code == 0);
  CHECK(get.Says("no models"));
}

}  // namespace
}  // namespace sluice::testing
