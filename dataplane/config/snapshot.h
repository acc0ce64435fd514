#pragma once
// Snapshot: one config version compiled for the request path. Built once per applied version on
// the xDS thread, then shared read-only by every worker (shared_ptr<const Snapshot>), so requests
// never parse configuration and never take a lock to read it. A request keeps the snapshot it
// started with until it ends.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "common/config_set.h"
#include "dataplane/plugins/plugin.h"
#include "dataplane/router/route_table.h"
#include "dataplane/tls/server_certificates.h"
#include "dataplane/upstream/upstream_tls.h"

namespace sluice {

struct UpstreamTarget {
  std::string host;
  int port = 0;
  uint32_t weight = 100;
};

// Weighted round-robin over an upstream's targets. The pick order is laid out once, at build time
// (smooth weighted round-robin, so heavy targets are interleaved, not bunched); picking is then one
// relaxed atomic increment.
class CompiledUpstream {
 public:
  CompiledUpstream(std::string name, std::vector<UpstreamTarget> targets);
  const std::string& name() const { return name_; }
  const std::vector<UpstreamTarget>& targets() const { return targets_; }
  // nullptr when no target has a positive weight.
  const UpstreamTarget* Pick() const;

 private:
  std::string name_;
  std::vector<UpstreamTarget> targets_;
  std::vector<uint32_t> schedule_;
  mutable std::atomic<uint64_t> next_{0};
};

struct CompiledService {
  std::string id;
  std::string name;
  std::string protocol;
  std::string host;
  int port = 80;
  std::string path;
  // The Host header sent upstream (host, plus ":port" when not the protocol's default).
  std::string host_header;
  uint32_t connect_timeout_ms = 60000;
  uint32_t read_timeout_ms = 60000;
  uint32_t write_timeout_ms = 60000;
  uint32_t retries = 5;
  // Set when `host` names an Upstream: the target comes from its balancer.
  std::shared_ptr<const CompiledUpstream> upstream;
  // From `protocol`: http, https → HTTP/1.1; http2, grpc, grpcs → HTTP/2.
  UpstreamProtocol upstream_protocol = UpstreamProtocol::kHttp1;
  // https and grpcs; shared by the services of this snapshot with the same TLS settings.
  std::shared_ptr<const UpstreamTlsContext> upstream_tls;
};

class Snapshot {
 public:
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Build(const ConfigSet& config);

  uint64_t version() const { return version_; }
  const router::RouteTable& routes() const { return *routes_; }
  const CompiledService* FindService(const std::string& id) const;
  const plugins::ConsumerInfo* FindConsumerByKeyHash(std::string_view key_hash) const;
  const plugins::ConsumerInfo* FindConsumer(std::string_view id_or_username) const;
  // Plugins that apply to a route (global, service and route scoped, the most specific instance of
  // each plugin), sorted by priority.
  const std::vector<std::shared_ptr<const plugins::PluginInstance>>& PluginsFor(
      const std::string& route_id) const;

  // Certificates the TLS listeners present (null: none configured).
  const std::shared_ptr<const tls::ServerCertificates>& certificates() const {
    return certificates_;
  }

  size_t service_count() const { return services_.size(); }
  size_t consumer_count() const { return consumers_.size(); }

 private:
  uint64_t version_ = 0;
  std::unique_ptr<router::RouteTable> routes_;
  std::shared_ptr<const tls::ServerCertificates> certificates_;
  absl::flat_hash_map<std::string, CompiledService> services_;
  absl::node_hash_map<std::string, plugins::ConsumerInfo> consumers_;
  absl::flat_hash_map<std::string, const plugins::ConsumerInfo*> consumers_by_username_;
  absl::flat_hash_map<std::string, const plugins::ConsumerInfo*> consumers_by_key_hash_;
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<const plugins::PluginInstance>>>
      route_plugins_;
};

}  // namespace sluice
