#include "dataplane/config/snapshot.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace sluice {

namespace dv = discovery::v1;

CompiledUpstream::CompiledUpstream(std::string name, std::vector<UpstreamTarget> targets)
    : name_(std::move(name)), targets_(std::move(targets)) {
  // Smooth weighted round-robin (as nginx does it), unrolled into a fixed schedule. Weights are
  // reduced by their gcd and the schedule is capped so a big weight sum stays cheap.
  uint64_t g = 0;
  for (const UpstreamTarget& t : targets_) g = std::gcd(g, static_cast<uint64_t>(t.weight));
  if (g == 0) return;  // every weight is 0: no target in rotation
  std::vector<int64_t> weights;
  int64_t total = 0;
  for (const UpstreamTarget& t : targets_) {
    weights.push_back(static_cast<int64_t>(t.weight / g));
    total += weights.back();
  }
  constexpr int64_t kMaxSchedule = 4096;
  if (total > kMaxSchedule) {
    int64_t scaled_total = 0;
    for (int64_t& w : weights) {
      if (w > 0) w = std::max<int64_t>(1, w * kMaxSchedule / total);
      scaled_total += w;
    }
    total = scaled_total;
  }
  std::vector<int64_t> current(weights.size(), 0);
  for (int64_t n = 0; n < total; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      current[i] += weights[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    schedule_.push_back(static_cast<uint32_t>(best));
  }
}

const UpstreamTarget* CompiledUpstream::Pick() const {
  if (schedule_.empty()) return nullptr;
  uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  return &targets_[schedule_[n % schedule_.size()]];
}

namespace {

// The upstream TLS contexts of one snapshot: one per distinct (verify, CA set, client
// certificate), however many services share it.
class UpstreamTlsContexts {
 public:
  absl::StatusOr<std::shared_ptr<const UpstreamTlsContext>> For(const ConfigSet& config,
                                                                const config::v1::Service& s) {
    bool verify = !s.has_tls_verify() || s.tls_verify();
    std::vector<std::string> ca_ids(s.ca_certificates().begin(), s.ca_certificates().end());
    std::sort(ca_ids.begin(), ca_ids.end());
    ca_ids.erase(std::unique(ca_ids.begin(), ca_ids.end()), ca_ids.end());
    std::string key = absl::StrCat(verify ? "verify" : "no-verify", "|",
                                   absl::StrJoin(ca_ids, ","), "|", s.client_certificate().id());
    if (auto it = contexts_.find(key); it != contexts_.end()) return it->second;
    UpstreamTlsOptions o;
    o.verify = verify;
    for (const std::string& ca_id : ca_ids) {
      const Resource* ca = config.Find(dv::CA_CERTIFICATE, ca_id);
      if (ca == nullptr)  // CheckReferences makes this unreachable
        return absl::InvalidArgumentError(absl::StrCat("service ", s.id(),
                                                       ": unknown CA certificate ", ca_id));
      o.ca_pems.push_back(ca->ca_certificate().cert());
    }
    if (!s.client_certificate().id().empty()) {
      const Resource* cert = config.Find(dv::CERTIFICATE, s.client_certificate().id());
      if (cert == nullptr)
        return absl::InvalidArgumentError(absl::StrCat(
            "service ", s.id(), ": unknown client certificate ", s.client_certificate().id()));
      o.client_cert_pem = cert->certificate().cert();
      o.client_key_pem = cert->certificate().key();
    }
    auto built = UpstreamTlsContext::Build(o);
    if (!built.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("service ", s.id(), ": upstream TLS: ", built.status().message()));
    }
    contexts_.emplace(key, *built);
    return *built;
  }

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const UpstreamTlsContext>> contexts_;
};

}  // namespace

static int DefaultPort(const std::string& protocol) {
  return (protocol == "https" || protocol == "grpcs") ? 443 : 80;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Build(const ConfigSet& config) {
  RETURN_IF_ERROR(config.CheckReferences());
  auto snap = std::shared_ptr<Snapshot>(new Snapshot());
  snap->version_ = config.version();

  if (!config.Of(dv::CERTIFICATE).empty()) {
    std::vector<tls::CertificateSource> sources;
    for (const auto& [id, r] : config.Of(dv::CERTIFICATE)) {
      const config::v1::Certificate& c = r.certificate();
      // Only certificates with server names are served; the others are client certificates.
      if (c.snis().empty()) continue;
      tls::CertificateSource& src = sources.emplace_back();
      src.id = id;
      src.cert_pem = c.cert();
      src.key_pem = c.key();
      src.snis.assign(c.snis().begin(), c.snis().end());
    }
    if (!sources.empty()) {
      ASSIGN_OR_RETURN(snap->certificates_, tls::ServerCertificates::Build(sources));
    }
  }

  // Upstreams by name, with their targets.
  absl::flat_hash_map<std::string, std::vector<UpstreamTarget>> targets_by_upstream_id;
  for (const auto& [id, r] : config.Of(dv::TARGET)) {
    const config::v1::Target& t = r.target();
    UpstreamTarget target;
    size_t colon = t.target().rfind(':');
    bool bracketed = !t.target().empty() && t.target()[0] == '[';
    if (colon == std::string::npos || (bracketed && t.target().back() == ']')) {
      target.host = t.target();
      target.port = 8000;
    } else {
      target.host = t.target().substr(0, colon);
      target.port = std::atoi(t.target().c_str() + colon + 1);
    }
    if (target.host.size() > 2 && target.host.front() == '[' && target.host.back() == ']')
      target.host = target.host.substr(1, target.host.size() - 2);
    if (target.port <= 0 || target.port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("target ", id, ": invalid port"));
    target.weight = t.has_weight() ? t.weight() : 100;
    targets_by_upstream_id[t.upstream().id()].push_back(std::move(target));
  }
  absl::flat_hash_map<std::string, std::shared_ptr<const CompiledUpstream>> upstreams_by_name;
  for (const auto& [id, r] : config.Of(dv::UPSTREAM)) {
    upstreams_by_name[http::ToLower(r.upstream().name())] = std::make_shared<CompiledUpstream>(
        r.upstream().name(), std::move(targets_by_upstream_id[id]));
  }

  UpstreamTlsContexts upstream_tls;
  for (const auto& [id, r] : config.Of(dv::SERVICE)) {
    const config::v1::Service& s = r.service();
    CompiledService cs;
    cs.id = id;
    cs.name = s.name();
    cs.protocol = s.protocol().empty() ? "http" : s.protocol();
    if (cs.protocol == "http2" || cs.protocol == "grpc" || cs.protocol == "grpcs") {
      cs.upstream_protocol = UpstreamProtocol::kHttp2;
    } else if (cs.protocol != "http" && cs.protocol != "https") {
      return absl::InvalidArgumentError(
          absl::StrCat("service ", id, ": unknown protocol '", cs.protocol, "'"));
    }
    if (cs.protocol == "https" || cs.protocol == "grpcs") {
      ASSIGN_OR_RETURN(cs.upstream_tls, upstream_tls.For(config, s));
    }
    cs.host = s.host();
    cs.port = s.port() != 0 ? static_cast<int>(s.port()) : DefaultPort(cs.protocol);
    cs.path = s.path();
    cs.host_header = cs.port == DefaultPort(cs.protocol) ? cs.host
                                                          : absl::StrCat(cs.host, ":", cs.port);
    if (s.has_connect_timeout()) cs.connect_timeout_ms = s.connect_timeout();
    if (s.has_read_timeout()) cs.read_timeout_ms = s.read_timeout();
    if (s.has_write_timeout()) cs.write_timeout_ms = s.write_timeout();
    if (s.has_retries()) cs.retries = s.retries();
    if (auto it = upstreams_by_name.find(http::ToLower(cs.host)); it != upstreams_by_name.end())
      cs.upstream = it->second;
    snap->services_.emplace(id, std::move(cs));
  }

  std::vector<const config::v1::Route*> routes;
  for (const auto& [id, r] : config.Of(dv::ROUTE)) routes.push_back(&r.route());
  ASSIGN_OR_RETURN(snap->routes_, router::RouteTable::Build(routes));

  for (const auto& [id, r] : config.Of(dv::CONSUMER)) {
    const config::v1::Consumer& c = r.consumer();
    plugins::ConsumerInfo& info = snap->consumers_[id];
    info = plugins::ConsumerInfo{id, c.username(), c.custom_id()};
    if (!c.username().empty()) snap->consumers_by_username_[c.username()] = &info;
  }
  for (const auto& [id, r] : config.Of(dv::KEY_AUTH_CREDENTIAL)) {
    const config::v1::KeyAuthCredential& k = r.key_auth_credential();
    auto it = snap->consumers_.find(k.consumer().id());
    if (it == snap->consumers_.end()) continue;  // CheckReferences makes this unreachable
    snap->consumers_by_key_hash_[k.key_hash()] = &it->second;
  }

  // Plugins: for each route, the most specific enabled instance of each plugin among global,
  // service-scoped, route-scoped and route+service-scoped ones. Consumer-scoped plugins apply
  // from the phases after access (none yet).
  struct Candidate {
    int specificity;
    std::shared_ptr<const plugins::PluginInstance> instance;
  };
  std::vector<std::pair<const config::v1::Plugin*, std::shared_ptr<const plugins::PluginInstance>>>
      instances;
  for (const auto& [id, r] : config.Of(dv::PLUGIN)) {
    const config::v1::Plugin& p = r.plugin();
    if (p.has_enabled() && !p.enabled()) continue;
    if (!p.consumer().id().empty()) continue;
    plugins::PluginFactory factory = plugins::FindPluginFactory(p.name());
    if (factory == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("plugin ", id, ": unknown plugin '",
                                                     p.name(), "'"));
    auto instance = factory(p);
    if (!instance.ok())
      return absl::InvalidArgumentError(absl::StrCat("plugin ", id, ": ",
                                                     instance.status().message()));
    instances.emplace_back(&p, *std::move(instance));
  }
  for (const auto& [route_id, r] : config.Of(dv::ROUTE)) {
    const std::string& service_id = r.route().service().id();
    absl::flat_hash_map<std::string, Candidate> best;
    for (const auto& [p, instance] : instances) {
      bool route_ok = p->route().id().empty() || p->route().id() == route_id;
      bool service_ok = p->service().id().empty() || p->service().id() == service_id;
      if (!route_ok || !service_ok) continue;
      int specificity = (p->route().id().empty() ? 0 : 2) + (p->service().id().empty() ? 0 : 1);
      auto [it, inserted] = best.try_emplace(p->name(), Candidate{specificity, instance});
      if (!inserted && specificity > it->second.specificity) it->second = {specificity, instance};
    }
    if (best.empty()) continue;
    auto& chain = snap->route_plugins_[route_id];
    for (auto& [name, c] : best) chain.push_back(c.instance);
    std::sort(chain.begin(), chain.end(), [](const auto& a, const auto& b) {
      if (a->priority() != b->priority()) return a->priority() > b->priority();
      return a->name() < b->name();
    });
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

const CompiledService* Snapshot::FindService(const std::string& id) const {
  auto it = services_.find(id);
  return it == services_.end() ? nullptr : &it->second;
}

const plugins::ConsumerInfo* Snapshot::FindConsumerByKeyHash(std::string_view key_hash) const {
  auto it = consumers_by_key_hash_.find(Sv(key_hash));
  return it == consumers_by_key_hash_.end() ? nullptr : it->second;
}

const plugins::ConsumerInfo* Snapshot::FindConsumer(std::string_view id_or_username) const {
  if (auto it = consumers_.find(Sv(id_or_username)); it != consumers_.end()) return &it->second;
  auto it = consumers_by_username_.find(Sv(id_or_username));
  return it == consumers_by_username_.end() ? nullptr : it->second;
}

const std::vector<std::shared_ptr<const plugins::PluginInstance>>& Snapshot::PluginsFor(
    const std::string& route_id) const {
  static const std::vector<std::shared_ptr<const plugins::PluginInstance>> kNone;
  auto it = route_plugins_.find(route_id);
  return it == route_plugins_.end() ? kNone : it->second;
}

}  // namespace sluice
