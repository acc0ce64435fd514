#pragma once
// AdminApi: the admin REST API as a plain function of (method, path, query, body) → (status,
// JSON body), so it is tested without sockets; http_server.h adapts it to libevent's evhttp.
//
// Resource endpoints follow Kong's Admin API: /services, /routes, /upstreams, /consumers,
// /plugins, /certificates, /ca_certificates, /providers, /models (POST, GET list;
// GET/PUT/PATCH/DELETE by id or name), nested /services/{x}/routes,
// /{services,routes,consumers}/{x}/plugins, /upstreams/{x}/targets[/{id or target}],
// /consumers/{x}/key-auth[/{id}]; plus /status, /config and /dataplanes. api/openapi.yaml is
// the full description. Every error body is {"code": ..., "message": ...} (+ "fields" for
// invalid_config).
//
// Every answer about one entity carries its ETag; PUT, PATCH and DELETE with If-Match write
// only when it still matches (else 412 precondition_failed), so concurrent writers do not
// overwrite each other unseen.
//
// Not thread-safe: runs on the admin loop, the only thread that writes the Store.
#include <string>

#include "controlplane/store/store.h"
#include "controlplane/xds/node_registry.h"

namespace sluice::controlplane {

struct AdminRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // raw (percent-encoded) path, without the query
  std::string query;   // raw query string, without '?'
  std::string body;
  // The If-Match header as received; empty when absent.
  std::string if_match = {};
};

struct AdminResponse {
  int status = 200;
  std::string body;  // JSON; empty for 204
  // The entity's ETag (quoted) for answers about one entity; empty otherwise.
  std::string etag = {};
};

// The strong entity tag of a stored resource: a digest of its stored form, so it changes with
// every change to the resource (updated_at included) and is the same on every read and after a
// restart.
std::string EntityTag(const Resource& r);

class AdminApi {
 public:
  static constexpr size_t kMaxBodyBytes = 1 << 20;

  AdminApi(Store* store, NodeRegistry* nodes) : store_(store), nodes_(nodes) {}

  AdminResponse Handle(const AdminRequest& request);

 private:
  class Handler;
  Store* store_;
  NodeRegistry* nodes_;
};

}  // namespace sluice::controlplane
