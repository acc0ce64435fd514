#include "controlplane/xds/xds_server.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "common/log.h"

namespace sluice::controlplane {

using discovery::v1::DiscoveryRequest;
using discovery::v1::DiscoveryResponse;
using ReaderWriter = grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>;

namespace {

int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

// gRPC peers look like "ipv4:127.0.0.1:5000"; operators want the address.
std::string PeerAddress(const std::string& peer) {
  for (const char* scheme : {"ipv4:", "ipv6:", "unix:"}) {
    if (absl::StartsWith(peer, scheme)) return peer.substr(std::string(scheme).size());
  }
  return peer;
}

}  // namespace

struct XdsServer::StreamState {
  grpc::ServerContext* context = nullptr;
  std::string node_id;
  absl::Mutex mu;
  absl::CondVar cv;
  bool closed ABSL_GUARDED_BY(mu) = false;
  bool need_snapshot ABSL_GUARDED_BY(mu) = true;
  // A response is out and its ACK/NACK has not come back yet.
  bool awaiting_reply ABSL_GUARDED_BY(mu) = false;
  uint64_t sent_version ABSL_GUARDED_BY(mu) = 0;
  std::string sent_nonce ABSL_GUARDED_BY(mu);
  DiscoveryResponse::Kind sent_kind ABSL_GUARDED_BY(mu) = DiscoveryResponse::KIND_UNSPECIFIED;
};

XdsServer::XdsServer(const ConfigSet& initial, NodeRegistry* nodes, size_t max_log_versions)
    : nodes_(nodes),
      history_(max_log_versions),
      latest_version_(initial.version()),
      nonce_prefix_(RandomToken(6)) {
  absl::MutexLock lock(&history_mu_);
  history_.Reset(initial);
}

XdsServer::~XdsServer() { Stop(); }

std::string XdsServer::NextNonce() {
  return absl::StrCat(nonce_prefix_, "-", nonce_counter_.fetch_add(1) + 1);
}

void XdsServer::OnCommit(uint64_t version, const ChangeSet& change) {
  {
    absl::MutexLock lock(&history_mu_);
    history_.Record(version, change);
  }
  latest_version_.store(version);
  absl::MutexLock lock(&streams_mu_);
  for (StreamState* s : streams_) {
    // Taking the stream's lock orders this wake-up after the writer's check of latest_version_.
    absl::MutexLock stream_lock(&s->mu);
    s->cv.Signal();
  }
}

void XdsServer::Stop() {
  stopping_.store(true);
  absl::MutexLock lock(&streams_mu_);
  for (StreamState* s : streams_) {
    s->context->TryCancel();
    absl::MutexLock stream_lock(&s->mu);
    s->cv.Signal();
  }
}

grpc::Status XdsServer::Stream(grpc::ServerContext* context, ReaderWriter* stream) {
  DiscoveryRequest request;
  if (!stream->Read(&request)) return grpc::Status::OK;
  if (request.node().id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first DiscoveryRequest must carry node.id");
  }
  if (stopping_.load()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");

  StreamState state;
  state.context = context;
  state.node_id = request.node().id();
  const std::string address = PeerAddress(context->peer());
  nodes_->Connected(state.node_id, request.node().hostname(), request.node().build_version(),
                    address, NowSeconds());
  LOG_INFO("data plane ", state.node_id, " connected from ", address, " holding version ",
           request.version_info());
  {
    absl::MutexLock lock(&streams_mu_);
    streams_.insert(&state);
  }

  std::thread writer([this, &state, stream] { WriteLoop(&state, stream); });

  while (stream->Read(&request)) {
    const int64_t now = NowSeconds();
    nodes_->Seen(state.node_id, now);
    absl::MutexLock lock(&state.mu);
    if (!state.awaiting_reply || request.response_nonce() != state.sent_nonce) {
      LOG_DEBUG("data plane ", state.node_id, ": ignoring request with stale nonce '",
                request.response_nonce(), "'");
      continue;
    }
    state.awaiting_reply = false;
    if (request.has_error_detail()) {
      nodes_->Nacked(state.node_id, state.sent_version, request.error_detail().message(), now);
      LOG_WARN("data plane ", state.node_id, " rejected version ", state.sent_version, ": ",
               request.error_detail().message());
      // A rejected delta usually means the node holds another base: resync it. A rejected
      // snapshot is not resent (it would be rejected again); the next change is tried instead.
      if (state.sent_kind == DiscoveryResponse::DELTA) state.need_snapshot = true;
    } else if (request.version_info() == state.sent_version) {
      nodes_->Acked(state.node_id, request.version_info(), now);
      LOG_DEBUG("data plane ", state.node_id, " applied version ", request.version_info());
    } else {
      LOG_WARN("data plane ", state.node_id, " answered version ", state.sent_version,
               " with version_info ", request.version_info(), " and no error_detail");
    }
    state.cv.Signal();
  }

  {
    absl::MutexLock lock(&state.mu);
    state.closed = true;
    state.cv.Signal();
  }
  writer.join();
  {
    absl::MutexLock lock(&streams_mu_);
    streams_.erase(&state);
  }
  nodes_->Disconnected(state.node_id, NowSeconds());
  LOG_INFO("data plane ", state.node_id, " disconnected");
  return grpc::Status::OK;
}

void XdsServer::WriteLoop(StreamState* s, ReaderWriter* stream) {
  for (;;) {
    DiscoveryResponse response;
    {
      absl::MutexLock lock(&s->mu);
      auto ready = [this, s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
        return s->closed || stopping_.load() ||
               (!s->awaiting_reply &&
                (s->need_snapshot || latest_version_.load() > s->sent_version));
      };
      // The timeout only guards against a missed wake-up; commits and replies signal.
      while (!ready()) s->cv.WaitWithTimeout(&s->mu, absl::Seconds(1));
      if (s->closed || stopping_.load()) return;
      {
        absl::MutexLock history_lock(&history_mu_);
        response = history_.Build(s->sent_version, s->need_snapshot);
      }
      response.set_nonce(NextNonce());
      s->need_snapshot = false;
      s->awaiting_reply = true;
      s->sent_version = response.version();
      s->sent_nonce = response.nonce();
      s->sent_kind = response.kind();
    }
    LOG_DEBUG("data plane ", s->node_id, ": sending ",
              DiscoveryResponse::Kind_Name(response.kind()), " version ", response.version(),
              " (", response.resources_size(), " resources, ", response.removed_size(),
              " removed)");
    if (!stream->Write(response)) {
      // The stream is broken; make sure the reader notices too.
      s->context->TryCancel();
      return;
    }
  }
}

}  // namespace sluice::controlplane
