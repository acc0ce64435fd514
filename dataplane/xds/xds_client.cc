#include "dataplane/xds/xds_client.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/log.h"
#include "dataplane/xds/cache_file.h"
#include "sluice/discovery/v1/discovery.grpc.pb.h"

namespace sluice {

namespace dv = discovery::v1;

namespace {
int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
}  // namespace

XdsClient::XdsClient(Options options, PublishFn publish)
    : options_(std::move(options)), publish_(std::move(publish)) {}

XdsClient::~XdsClient() { Stop(); }

void XdsClient::LoadCache() {
  if (options_.cache_file.empty()) return;
  auto cached = ReadCacheFile(options_.cache_file);
  if (!cached.ok()) {
    if (cached.status().code() == absl::StatusCode::kNotFound) {
      LOG_INFO("no cache file yet at ", options_.cache_file);
    } else {
      LOG_ERROR("ignoring cache file: ", std::string(cached.status().message()));
    }
    return;
  }
  dv::DiscoveryResponse as_snapshot;
  as_snapshot.set_kind(dv::DiscoveryResponse::SNAPSHOT);
  as_snapshot.set_version(cached->version());
  *as_snapshot.mutable_resources() = cached->resources();
  ConfigSet config;
  absl::Status s = config.Apply(as_snapshot);
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap =
      s.ok() ? Snapshot::Build(config) : absl::StatusOr<std::shared_ptr<const Snapshot>>(s);
  if (!snap.ok()) {
    LOG_ERROR("ignoring cache file ", options_.cache_file, ": ",
              std::string(snap.status().message()));
    return;
  }
  LOG_INFO("serving config version ", config.version(), " from cache file ", options_.cache_file,
           " until the control plane answers");
  Adopt(std::move(config), *std::move(snap));
}

void XdsClient::Adopt(ConfigSet config, std::shared_ptr<const Snapshot> snapshot) {
  config_ = std::move(config);
  publish_(std::move(snapshot));
  std::lock_guard<std::mutex> lock(mu_);
  status_.version = config_.version();
  status_.last_update_unix = NowUnix();
}

void XdsClient::Start() { thread_ = std::thread([this] { Run(); }); }

void XdsClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (active_ctx_ != nullptr) active_ctx_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

XdsClient::Status XdsClient::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void XdsClient::Run() {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = kMinBackoff;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    bool got_response = RunStream();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.connected = false;
      if (stopping_) return;
    }
    if (got_response) backoff = kMinBackoff;
    // Jitter keeps a fleet of data planes from reconnecting in lockstep after an outage.
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    auto wait = std::chrono::milliseconds(static_cast<int64_t>(backoff.count() * jitter(rng)));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stopping_; });
    backoff = std::min(kMaxBackoff, backoff * 2);
  }
}

bool XdsClient::RunStream() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 512 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(options_.controlplane,
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = dv::ConfigDiscovery::NewStub(channel);
  grpc::ClientContext ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    active_ctx_ = &ctx;
  }
  auto stream = stub->Stream(&ctx);
  dv::DiscoveryRequest first;
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  first.mutable_node()->set_id(options_.node_id);
  first.mutable_node()->set_hostname(host);
  first.mutable_node()->set_build_version(SLUICE_VERSION);
  first.set_version_info(config_.version());
  bool got_response = false;
  if (stream->Write(first)) {
    dv::DiscoveryResponse response;
    while (stream->Read(&response)) {
      if (!got_response) {
        got_response = true;
        LOG_INFO("connected to control plane ", options_.controlplane);
        std::lock_guard<std::mutex> lock(mu_);
        status_.connected = true;
        status_.connected_since_unix = NowUnix();
      }
      std::string error = Apply(response);
      dv::DiscoveryRequest ack;
      ack.set_response_nonce(response.nonce());
      ack.set_version_info(config_.version());
      if (!error.empty()) {
        LOG_WARN("rejecting config version ", response.version(), ": ", error);
        ack.mutable_error_detail()->set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        ack.mutable_error_detail()->set_message(error);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.last_error = error;
      }
      if (!stream->Write(ack)) break;
    }
  }
  stream->WritesDone();
  grpc::Status st = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ctx_ = nullptr;
    if (!stopping_) {
      std::string why = st.ok() ? "stream closed by the control plane"
                                : absl::StrCat(st.error_message(), " (code ",
                                               static_cast<int>(st.error_code()), ")");
      if (got_response || status_.last_error.empty()) {
        LOG_WARN("control plane ", options_.controlplane, " unreachable: ", why,
                 "; serving config version ", config_.version(), " and retrying");
      }
      status_.last_error = why;
    }
  }
  return got_response;
}

std::string XdsClient::Apply(const dv::DiscoveryResponse& response) {
  ConfigSet next = config_;
  if (absl::Status s = next.Apply(response); !s.ok()) return std::string(s.message());
  auto snapshot = Snapshot::Build(next);
  if (!snapshot.ok()) return std::string(snapshot.status().message());
  uint64_t version = next.version();
  Adopt(std::move(next), *std::move(snapshot));
  LOG_INFO("applied config version ", version, " (",
           response.kind() == dv::DiscoveryResponse::SNAPSHOT ? "snapshot" : "delta", ", ",
           response.resources_size(), " resources, ", response.removed_size(), " removed)");
  if (!options_.cache_file.empty()) {
    dv::CachedSnapshot cached;
    cached.set_version(version);
    cached.set_written_at(NowUnix());
    config_.AppendAll(cached.mutable_resources());
    if (absl::Status s = WriteCacheFile(options_.cache_file, cached); !s.ok()) {
      LOG_ERROR("cannot write cache file: ", std::string(s.message()));
    }
  }
  return "";
}

}  // namespace sluice
