#include "dataplane/observability/status_server.h"

#include <event2/buffer.h>
#include <event2/http.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/net.h"

namespace sluice {

namespace {
int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Reply(evhttp_request* req, int code, const std::string& body) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", out);
  evbuffer_free(out);
}
}  // namespace

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(
    const std::vector<Worker*>& workers, const std::string& address,
                                                                   const XdsClient* xds,
                                                                   std::string node_id) {
  auto hp = ParseHostPort(address);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --status-listen '", address, "': ", hp.status().message()));
  }
  auto s = std::unique_ptr<StatusServer>(new StatusServer());
  s->workers_ = workers;
  s->xds_ = xds;
  s->node_id_ = std::move(node_id);
  s->started_unix_ = NowUnix();
  s->http_ = evhttp_new(workers.front()->base());
  if (evhttp_bind_socket(s->http_, hp->host.c_str(), static_cast<uint16_t>(hp->port)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (status): ", strerror(errno)));
  }
  evhttp_set_allowed_methods(s->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(s->http_, &Handle, s.get());
  return s;
}

StatusServer::~StatusServer() {
  if (http_ != nullptr) evhttp_free(http_);
}

void StatusServer::Handle(evhttp_request* req, void* arg) {
  auto* self = static_cast<StatusServer*>(arg);
  const char* uri = evhttp_request_get_uri(req);
  std::string_view path = uri == nullptr ? "" : uri;
  path = path.substr(0, path.find('?'));
  XdsClient::Status st = self->xds_->status();
  const auto& snap = self->workers_.front()->snapshot();
  // A version counts as served once every worker has swapped it in.
  uint64_t version = snap ? snap->version() : 0;
  for (const Worker* w : self->workers_) version = std::min(version, w->adopted_version());
  if (path == "/status") {
    std::string body = absl::StrCat(
        "{\"node_id\":", JsonString(self->node_id_), ",\"config_version\":", version,
        ",\"workers\":", self->workers_.size(),
        ",\"connections\":", self->workers_.front()->open_connections(), ",\"controlplane\":",
        st.connected ? "\"connected\"" : "\"disconnected\"",
        ",\"controlplane_connected_since\":", st.connected ? st.connected_since_unix : 0,
        ",\"last_config_update\":", st.last_update_unix, ",\"last_error\":",
        st.last_error.empty() ? std::string("null") : JsonString(st.last_error),
        ",\"routes\":", snap ? snap->routes().route_count() : 0, ",\"services\":",
        snap ? snap->service_count() : 0, ",\"consumers\":", snap ? snap->consumer_count() : 0,
        ",\"uptime_seconds\":", NowUnix() - self->started_unix_, "}\n");
    Reply(req, 200, body);
    return;
  }
  if (path == "/ready") {
    // Ready once a config is loaded (from the control plane or the cache file), and not while
    // draining, so load balancers stop sending new connections.
    if (self->workers_.front()->draining()) {
      Reply(req, 503, JsonError("draining", "this data plane is shutting down") + "\n");
    } else if (snap) {
      Reply(req, 200, "{\"ready\":true}\n");
    } else {
      Reply(req, 503, JsonError("no_config", "no configuration loaded yet") + "\n");
    }
    return;
  }
  Reply(req, 404, JsonError("not_found", "status endpoints: /status, /ready") + "\n");
}

}  // namespace sluice
