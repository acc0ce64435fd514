#include "controlplane/admin/http_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/evhttp_method.h"
#include "common/json.h"
#include "common/log.h"
#include "common/net.h"
#include "common/strings.h"

namespace sluice::controlplane {

namespace {

// Bodies between AdminApi::kMaxBodyBytes and this get a JSON 413 from AdminApi; larger ones are
// refused by evhttp itself (with its own body) before they are read into memory.
constexpr ev_ssize_t kTransportMaxBody = 16 << 20;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}

void Send(evhttp_request* req, const AdminResponse& response) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evhttp_add_header(headers, "Cache-Control", "no-store");
  if (!response.etag.empty()) evhttp_add_header(headers, "ETag", response.etag.c_str());
  evbuffer* out = evbuffer_new();
  if (response.status != 204) {
    evbuffer_add(out, response.body.data(), response.body.size());
    evbuffer_add(out, "\n", 1);
  }
  evhttp_send_reply(req, response.status, Reason(response.status), out);
  evbuffer_free(out);
}

void OnRequest(evhttp_request* req, void* arg) {
  auto* api = static_cast<AdminApi*>(arg);
  AdminRequest request;
  request.method = EvhttpMethodName(evhttp_request_get_command(req));
  std::string_view uri = evhttp_request_get_uri(req);
  uri = uri.substr(0, uri.find('#'));
  size_t q = uri.find('?');
  request.path = std::string(uri.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(uri.substr(q + 1));
  const char* if_match = evhttp_find_header(evhttp_request_get_input_headers(req), "If-Match");
  if (if_match != nullptr) request.if_match = if_match;

  evbuffer* in = evhttp_request_get_input_buffer(req);
  size_t length = evbuffer_get_length(in);
  if (length > AdminApi::kMaxBodyBytes) {
    Send(req, AdminResponse{413, JsonError("payload_too_large",
                                           absl::StrCat("the request body is larger than ",
                                                        AdminApi::kMaxBodyBytes,
                                                        " bytes; send smaller documents"))});
    return;
  }
  request.body.resize(length);
  if (length > 0) evbuffer_copyout(in, request.body.data(), length);

  AdminResponse response = api->Handle(request);
  LOG_DEBUG("admin ", request.method, " ", request.path, " -> ", response.status);
  Send(req, response);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(event_base* base,
                                                                        const std::string& listen,
                                                                        AdminApi* api) {
  absl::StatusOr<HostPort> hp = ParseHostPort(listen);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --admin-listen '", listen, "': ", hp.status().message()));
  }
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->api_ = api;
  server->http_ = evhttp_new(base);
  if (server->http_ == nullptr) return absl::InternalError("evhttp_new failed");
  evhttp_set_allowed_methods(server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                                EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
  evhttp_set_max_body_size(server->http_, kTransportMaxBody);
  evhttp_set_max_headers_size(server->http_, 64 << 10);
  evhttp_set_timeout(server->http_, 60);
  evhttp_set_gencb(server->http_, &OnRequest, api);
  errno = 0;
  if (evhttp_bind_socket_with_handle(server->http_, hp->host.c_str(),
                                     static_cast<uint16_t>(hp->port)) == nullptr) {
    int err = errno;
    return absl::UnavailableError(absl::StrCat("cannot listen on --admin-listen ", listen, ": ",
                                               err != 0 ? strerror(err) : "bind failed"));
  }
  return server;
}

AdminHttpServer::~AdminHttpServer() {
  if (http_ != nullptr) evhttp_free(http_);
}

}  // namespace sluice::controlplane
