#pragma once
// ProxyStream: one request through the phases of DESIGN.md — route, access (plugins), upstream,
// response — streaming the body both ways with backpressure.
#include <event2/buffer.h>

#include <memory>
#include <string>

#include "dataplane/config/snapshot.h"
#include "dataplane/http/codec.h"
#include "dataplane/net/worker.h"
#include "dataplane/plugins/plugin.h"
#include "dataplane/upstream/upstream_stream.h"

namespace sluice {

class ProxyStream final : public http::StreamHandler,
                          public UpstreamHandler,
                          public plugins::RequestContext {
 public:
  ProxyStream(Worker* worker, http::ResponseEncoder* encoder);
  ~ProxyStream() override;

  // http::StreamHandler
  void DecodeHeaders(http::RequestHead head) override;
  void DecodeData(const char* data, size_t len) override;
  void DecodeComplete() override;
  void OnDownstreamDrained() override;
  void OnDownstreamReset() override;

  // UpstreamHandler
  void OnUpstreamConnected() override;
  void OnUpstreamHeaders(int status, http::HeaderMap headers, bool end_stream) override;
  void OnUpstreamData(const char* data, size_t len) override;
  void OnUpstreamTrailers(http::HeaderMap trailers) override;
  void OnUpstreamComplete() override;
  void OnUpstreamError(UpstreamError error) override;
  void OnUpstreamDrained() override;

  // plugins::RequestContext
  std::string_view method() const override { return head_.method; }
  std::string_view target() const override { return head_.target; }
  // Once the upstream phase starts, the headers live on in the upstream request.
  http::HeaderMap& request_headers() override {
    return upstream_request_built_ ? upstream_request_.headers : head_.headers;
  }
  void RemoveQueryParam(std::string_view name) override;
  std::string_view request_id() const override { return request_id_; }
  const plugins::ConsumerInfo* consumer() const override { return consumer_; }
  void set_consumer(const plugins::ConsumerInfo* c) override { consumer_ = c; }
  const plugins::ConsumerInfo* FindConsumerByKeyHash(std::string_view key_hash) const override;
  const plugins::ConsumerInfo* FindConsumer(std::string_view id_or_username) const override;
  void SendLocalResponse(int status, std::string_view code, std::string_view message,
                         const http::HeaderMap* extra_headers) override;
  void Resume(plugins::PhaseResult result) override;

 private:
  enum class State { kHeaders, kAccess, kConnecting, kProxying, kDone };

  void RunAccessPhase();
  void StartUpstream();
  void BuildUpstreamRequest();
  void ConnectUpstream(bool fresh);
  void SendRequestHead();
  void WriteBody(const char* data, size_t len, bool end_stream);
  void FinishRequestBody();
  std::string UpstreamPath() const;
  void SendBodyTooLarge();

  Worker* worker_;
  http::ResponseEncoder* encoder_;
  std::shared_ptr<const Snapshot> snapshot_;
  http::RequestHead head_;
  std::string request_id_;
  State state_ = State::kHeaders;
  const router::CompiledRoute* route_ = nullptr;
  size_t strip_length_ = 0;
  const CompiledService* service_ = nullptr;
  const plugins::ConsumerInfo* consumer_ = nullptr;
  const std::vector<std::shared_ptr<const plugins::PluginInstance>>* plugins_ = nullptr;
  size_t plugin_index_ = 0;
  bool paused_in_plugin_ = false;

  std::string target_host_;
  int target_port_ = 0;
  UpstreamRequest upstream_request_;
  bool upstream_request_built_ = false;
  UpstreamStream* upstream_ = nullptr;
  // Trailers of the response, sent when it completes.
  http::HeaderMap response_trailers_;
  bool has_response_trailers_ = false;
  // The response head was the whole response (sent with end of stream).
  bool response_ended_with_head_ = false;
  bool retried_stale_ = false;
  // Request body received before the upstream was ready.
  evbuffer* pending_body_ = nullptr;
  // A copy of the body sent so far, to replay it on a fresh connection when a pooled one turns
  // out to be closed (only while it is small).
  evbuffer* replay_body_ = nullptr;
  bool replayable_ = true;
  uint64_t body_received_ = 0;
  bool request_complete_ = false;
  bool request_sent_ = false;
  bool response_started_ = false;
  bool downstream_paused_ = false;
  bool upstream_paused_ = false;
};

}  // namespace sluice
