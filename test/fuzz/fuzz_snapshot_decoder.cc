// fuzz_snapshot_decoder: what a data plane does with bytes from the control plane or its cache
// file. The input is decoded as a DiscoveryResponse and applied, as it says (snapshot or delta),
// as a snapshot, and as a delta on top of a base config; every config that applies is compiled
// into a Snapshot and queried. The same bytes are read as a cache file, and, wrapped in a valid
// cache-file header, as a cache file's payload.
//
// Checked beyond "no crash": a SNAPSHOT re-applied from its own resources yields the same
// ConfigSet, and a compiled Snapshot answers route and consumer lookups for every route.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/config_set.h"
#include "common/hash.h"
#include "common/log.h"
#include "dataplane/config/snapshot.h"
#include "dataplane/xds/cache_file.h"
#include "google/protobuf/stubs/logging.h"

namespace sluice {
namespace {

namespace dv = discovery::v1;

[[noreturn]] void Fail(const std::string& what) {
  fprintf(stderr, "fuzz_snapshot_decoder: invariant broken: %s\n", what.c_str());
  abort();
}

Resource Service(const std::string& id, const std::string& host) {
  Resource r;
  auto* s = r.mutable_service();
  s->set_id(id);
  s->set_name(id);
  s->set_host(host);
  s->set_port(8080);
  return r;
}

Resource Route(const std::string& id, const std::string& service, const std::string& path) {
  Resource r;
  auto* route = r.mutable_route();
  route->set_id(id);
  route->set_name(id);
  route->add_paths(path);
  route->mutable_service()->set_id(service);
  return r;
}

// A small config a delta can build on (version 7, like a data plane that is up to date).
const ConfigSet& BaseConfig() {
  static const ConfigSet* base = [] {
    auto* c = new ConfigSet();
    c->Put(Service("svc-a", "127.0.0.1"));
    c->Put(Service("svc-b", "pool"));
    c->Put(Route("route-a", "svc-a", "/a"));
    c->Put(Route("route-b", "svc-b", "~/b/[0-9]+$"));
    Resource up;
    up.mutable_upstream()->set_id("up-1");
    up.mutable_upstream()->set_name("pool");
    c->Put(up);
    Resource target;
    target.mutable_target()->set_id("t-1");
    target.mutable_target()->mutable_upstream()->set_id("up-1");
    target.mutable_target()->set_target("127.0.0.1:9000");
    c->Put(target);
    Resource consumer;
    consumer.mutable_consumer()->set_id("c-1");
    consumer.mutable_consumer()->set_username("alice");
    c->Put(consumer);
    Resource cred;
    cred.mutable_key_auth_credential()->set_id("k-1");
    cred.mutable_key_auth_credential()->mutable_consumer()->set_id("c-1");
    cred.mutable_key_auth_credential()->set_key_hash(Sha256Hex("alice-key"));
    c->Put(cred);
    Resource plugin;
    plugin.mutable_plugin()->set_id("p-1");
    plugin.mutable_plugin()->set_name("key-auth");
    plugin.mutable_plugin()->mutable_route()->set_id("route-a");
    plugin.mutable_plugin()->mutable_key_auth();
    c->Put(plugin);
    c->set_version(7);
    return c;
  }();
  return *base;
}

// Compiles `config` and exercises the lookups a request makes.
void BuildAndQuery(const ConfigSet& config) {
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap = Snapshot::Build(config);
  if (!snap.ok()) return;
  const Snapshot& s = **snap;
  if (s.version() != config.version()) Fail("snapshot version differs from its config's");
  http::HeaderMap headers;
  headers.Add("x-version", "v2");
  for (const auto& [id, r] : config.Of(dv::ROUTE)) {
    if (s.FindService(r.route().service().id()) == nullptr) Fail("route " + id + " lost its service");
    s.PluginsFor(id);
    for (const std::string& path : r.route().paths()) {
      std::string_view host = r.route().hosts_size() > 0 ? std::string_view(r.route().hosts(0))
                                                         : std::string_view("example.com");
      std::string_view method = r.route().methods_size() > 0
                                    ? std::string_view(r.route().methods(0))
                                    : std::string_view("GET");
      s.routes().Match(router::MatchInput{method, host, path, &headers});
    }
  }
  for (const auto& [id, r] : config.Of(dv::SERVICE)) {
    const CompiledService* cs = s.FindService(id);
    if (cs == nullptr) Fail("service " + id + " missing from the snapshot");
    if (cs->upstream != nullptr) {
      for (int i = 0; i < 3; ++i) cs->upstream->Pick();
    }
  }
  for (const auto& [id, r] : config.Of(dv::KEY_AUTH_CREDENTIAL)) {
    s.FindConsumerByKeyHash(r.key_auth_credential().key_hash());
  }
  for (const auto& [id, r] : config.Of(dv::CONSUMER)) {
    if (s.FindConsumer(id) == nullptr) Fail("consumer " + id + " missing from the snapshot");
    s.FindConsumer(r.consumer().username());
  }
}

void CheckSnapshotRoundTrip(const ConfigSet& applied) {
  dv::DiscoveryResponse again;
  again.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  again.set_version(applied.version());
  applied.AppendAll(again.mutable_resources());
  ConfigSet copy;
  if (!copy.Apply(again).ok()) Fail("a config's own resources do not apply as a snapshot");
  if (!(copy == applied)) Fail("re-applying a config's resources gives another config");
}

void ApplyAndBuild(ConfigSet config, const dv::DiscoveryResponse& response) {
  ConfigSet before = config;
  absl::Status s = config.Apply(response);
  if (!s.ok()) {
    // "On error nothing is changed."
    if (!(config == before)) Fail("a failed Apply changed the config");
    return;
  }
  if (response.kind() == dv::DiscoveryResponse::SNAPSHOT) CheckSnapshotRoundTrip(config);
  BuildAndQuery(config);
}

void DecodeResponse(const uint8_t* data, size_t size) {
  dv::DiscoveryResponse response;
  if (!response.ParseFromArray(data, static_cast<int>(size))) return;
  // As sent.
  ApplyAndBuild(ConfigSet(), response);
  ApplyAndBuild(BaseConfig(), response);
  // As a snapshot, and as a delta that fits the base version, whatever the input says.
  dv::DiscoveryResponse as_snapshot = response;
  as_snapshot.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  ApplyAndBuild(ConfigSet(), as_snapshot);
  dv::DiscoveryResponse as_delta = response;
  as_delta.set_kind(dv::DiscoveryResponse::DELTA);
  as_delta.set_base_version(BaseConfig().version());
  ApplyAndBuild(BaseConfig(), as_delta);
}

// What XdsClient::LoadCache does with a cache file that decodes.
void LoadCachedSnapshot(const dv::CachedSnapshot& cached) {
  dv::DiscoveryResponse as_snapshot;
  as_snapshot.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  as_snapshot.set_version(cached.version());
  *as_snapshot.mutable_resources() = cached.resources();
  ApplyAndBuild(ConfigSet(), as_snapshot);
}

void DecodeCacheFile(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (auto cached = ParseCacheFile(raw, "<fuzz>"); cached.ok()) LoadCachedSnapshot(*cached);

  // The checksum keeps random bytes out of the payload decoder; give it a valid header.
  std::string wrapped = "SLUICECACHE1\n";
  uint64_t len = size;
  for (int i = 0; i < 8; ++i) wrapped.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  wrapped.append(Sha256Raw(raw));
  wrapped.append(raw);
  auto cached = ParseCacheFile(wrapped, "<fuzz>");
  dv::CachedSnapshot direct;
  bool decodes = direct.ParseFromArray(data, static_cast<int>(size));
  if (cached.ok() != decodes) Fail("a valid cache file header changed whether the payload decodes");
  if (cached.ok()) LoadCachedSnapshot(*cached);
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    sluice::SetLogLevel(sluice::LogLevel::kError);
    // Invalid UTF-8 in string fields is logged by protobuf on every such input.
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  // Protobuf refuses messages over 2 GiB anyway; libFuzzer inputs are far smaller.
  if (size > (1u << 20)) return 0;
  sluice::DecodeResponse(data, size);
  sluice::DecodeCacheFile(data, size);
  return 0;
}
