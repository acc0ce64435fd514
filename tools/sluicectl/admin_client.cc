#include "tools/sluicectl/admin_client.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <netdb.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "tools/sluicectl/json_value.h"

namespace sluice::sluicectl {

namespace {

// A runaway `next` chain (a server bug) must not loop forever.
constexpr int kMaxPages = 100000;

struct Exchange {
  event_base* base = nullptr;
  bool done = false;
  int status = 0;
  std::string body;
  std::string error;
};

void OnResponse(evhttp_request* req, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  ex->done = true;
  event_base_loopexit(ex->base, nullptr);
  if (req == nullptr || evhttp_request_get_response_code(req) == 0) {
    // A failed connect ends here without the error callback, and without its reason: the
    // caller finds it out.
    return;
  }
  ex->status = evhttp_request_get_response_code(req);
  evbuffer* in = evhttp_request_get_input_buffer(req);
  const size_t n = evbuffer_get_length(in);
  ex->body.resize(n);
  if (n > 0) evbuffer_copyout(in, ex->body.data(), n);
}

void OnError(evhttp_request_error error, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  const int socket_error = EVUTIL_SOCKET_ERROR();
  switch (error) {
    case EVREQ_HTTP_TIMEOUT:
      ex->error = "timed out";
      break;
    case EVREQ_HTTP_EOF:
      ex->error = "the connection closed before an answer";
      break;
    case EVREQ_HTTP_INVALID_HEADER:
      ex->error = "the answer is not valid HTTP";
      break;
    case EVREQ_HTTP_BUFFER_ERROR:
      ex->error =
          socket_error != 0 ? evutil_socket_error_to_string(socket_error) : "connection failed";
      break;
    case EVREQ_HTTP_REQUEST_CANCEL:
      ex->error = "cancelled";
      break;
    case EVREQ_HTTP_DATA_TOO_LONG:
      ex->error = "the answer is too large";
      break;
  }
}

void OnDeadline(evutil_socket_t, short, void* arg) {
  auto* ex = static_cast<Exchange*>(arg);
  if (ex->error.empty()) ex->error = "timed out";
  event_base_loopexit(ex->base, nullptr);
}

bool MethodOf(std::string_view method, evhttp_cmd_type* out) {
  static constexpr std::pair<std::string_view, evhttp_cmd_type> kMethods[] = {
      {"GET", EVHTTP_REQ_GET},     {"POST", EVHTTP_REQ_POST},     {"PUT", EVHTTP_REQ_PUT},
      {"PATCH", EVHTTP_REQ_PATCH}, {"DELETE", EVHTTP_REQ_DELETE},
  };
  for (const auto& [name, cmd] : kMethods) {
    if (name == method) {
      *out = cmd;
      return true;
    }
  }
  return false;
}

// Why a TCP connection to host:port cannot be made ("Connection refused"), or "" when it can.
// evhttp does not report it, so after a failed call this finds out with a connection of its own.
std::string ConnectProblem(const std::string& host, int port, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = absl::StrCat(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr)
    return absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, &freeaddrinfo);
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  std::string problem;
  if (connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      problem = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (ready == 0) {
        problem = "connect timed out";
      } else if (ready < 0) {
        problem = std::strerror(errno);
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error != 0) {
        problem = std::strerror(so_error);
      }
    }
  }
  close(fd);
  return problem;
}

}  // namespace

absl::StatusOr<AdminClient> AdminClient::Create(std::string_view admin_url,
                                                absl::Duration timeout) {
  const std::string url(admin_url);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin-url '", url, "': ", Sv(why), " (expected http://host:port)"));
  };
  std::unique_ptr<evhttp_uri, decltype(&evhttp_uri_free)> uri(evhttp_uri_parse(url.c_str()),
                                                              &evhttp_uri_free);
  if (uri == nullptr) return bad("not a URL");
  const char* scheme = evhttp_uri_get_scheme(uri.get());
  if (scheme == nullptr || std::string_view(scheme) != "http")
    return bad("only http:// is supported");
  const char* host = evhttp_uri_get_host(uri.get());
  if (host == nullptr || *host == '\0') return bad("no host");
  if (evhttp_uri_get_query(uri.get()) != nullptr || evhttp_uri_get_fragment(uri.get()) != nullptr)
    return bad("no query or fragment allowed");
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must be positive");
  }
  AdminClient c;
  c.url_ = url;
  c.host_ = host;
  c.port_ = evhttp_uri_get_port(uri.get());
  if (c.port_ < 0) c.port_ = 80;
  const char* path = evhttp_uri_get_path(uri.get());
  c.base_path_ = path == nullptr ? "" : path;
  while (!c.base_path_.empty() && c.base_path_.back() == '/') c.base_path_.pop_back();
  c.timeout_ = timeout;
  return c;
}

absl::StatusOr<HttpReply> AdminClient::Call(std::string_view method, std::string_view path,
                                            std::string_view body) const {
  evhttp_cmd_type cmd;
  if (!MethodOf(method, &cmd))
    return absl::InternalError(absl::StrCat("unsupported method ", Sv(method)));
  std::unique_ptr<event_base, decltype(&event_base_free)> base(event_base_new(), &event_base_free);
  if (base == nullptr) return absl::InternalError("event_base_new failed");
  // evhttp resolves the host name itself (blocking) when given no evdns base.
  std::unique_ptr<evhttp_connection, decltype(&evhttp_connection_free)> conn(
      evhttp_connection_base_new(base.get(), nullptr, host_.c_str(), static_cast<uint16_t>(port_)),
      &evhttp_connection_free);
  if (conn == nullptr) return absl::InternalError("evhttp_connection_base_new failed");
  const timeval tv = absl::ToTimeval(timeout_);
  evhttp_connection_set_timeout_tv(conn.get(), &tv);
  evhttp_connection_set_retries(conn.get(), 0);

  Exchange ex;
  ex.base = base.get();
  // The request belongs to the connection once made (freed by it).
  evhttp_request* req = evhttp_request_new(&OnResponse, &ex);
  evhttp_request_set_error_cb(req, &OnError);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  const std::string host_header = absl::StrCat(host_, ":", port_);
  evhttp_add_header(headers, "Host", host_header.c_str());
  evhttp_add_header(headers, "Accept", "application/json");
  evhttp_add_header(headers, "User-Agent", "sluicectl");
  evhttp_add_header(headers, "Connection", "close");
  if (cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PUT || cmd == EVHTTP_REQ_PATCH) {
    evhttp_add_header(headers, "Content-Type", "application/json");
    // evhttp adds Content-Length only to POST and PUT; PATCH needs it too.
    evhttp_add_header(headers, "Content-Length", absl::StrCat(body.size()).c_str());
    evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  }
  const std::string target = absl::StrCat(base_path_, Sv(path));
  if (evhttp_make_request(conn.get(), req, cmd, target.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the control plane at ", url_, ": request failed"));
  }
  // evhttp's own timeouts cover connect, read and write; this one bounds the whole call.
  const timeval overall = absl::ToTimeval(timeout_ + absl::Seconds(1));
  event_base_once(base.get(), -1, EV_TIMEOUT, &OnDeadline, &ex, &overall);
  event_base_dispatch(base.get());

  if (ex.status == 0) {
    std::string why = ex.error.empty() ? "the connection closed before an answer" : ex.error;
    if (why != "timed out") {
      std::string problem = ConnectProblem(host_, port_, timeout_);
      if (!problem.empty()) why = problem;
    }
    const std::string message = absl::StrCat("cannot reach the control plane at ", url_, " (",
                                             Sv(method), " ", target, "): ", why);
    return why == "timed out" || why == "connect timed out" ? absl::DeadlineExceededError(message)
                                                            : absl::UnavailableError(message);
  }
  return HttpReply{ex.status, std::move(ex.body)};
}

absl::StatusOr<std::string> AdminClient::Get(std::string_view path) const {
  absl::StatusOr<HttpReply> reply = Call("GET", path);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", Sv(path), ": ", DescribeError(*reply)));
  }
  return std::move(reply->body);
}

absl::StatusOr<std::vector<std::string>> AdminClient::ListAll(std::string_view path) const {
  std::vector<std::string> items;
  std::set<std::string> seen;
  std::string next(path);
  simdjson::dom::parser parser;
  for (int page = 0; page < kMaxPages && !next.empty(); ++page) {
    if (!seen.insert(next).second) {
      return absl::InternalError(absl::StrCat("GET ", Sv(path), ": page ", next, " came twice"));
    }
    absl::StatusOr<std::string> body = Get(next);
    if (!body.ok()) return body.status();
    simdjson::dom::element root;
    simdjson::dom::array data;
    if (parser.parse(*body).get(root) != simdjson::SUCCESS ||
        root["data"].get_array().get(data) != simdjson::SUCCESS) {
      return absl::InternalError(
          absl::StrCat("GET ", next, ": the answer is not a page ({\"data\":[...]})"));
    }
    for (simdjson::dom::element item : data) items.push_back(simdjson::minify(item));
    std::string_view following;
    if (root["next"].get_string().get(following) == simdjson::SUCCESS) {
      next = std::string(following);
    } else {
      next.clear();
    }
  }
  if (!next.empty()) return absl::InternalError(absl::StrCat("GET ", Sv(path), ": too many pages"));
  return items;
}

std::string DescribeError(const HttpReply& reply) {
  std::string out = absl::StrCat(reply.status);
  absl::StatusOr<JsonObject> error = ParseJsonObject(reply.body);
  const std::string code = error.ok() ? StringMember(*error, "code") : "";
  const std::string message = error.ok() ? StringMember(*error, "message") : "";
  if (code.empty() && message.empty()) {
    std::string body = reply.body.substr(0, 300);
    absl::StrAppend(&out, body.empty() ? " (empty answer)" : absl::StrCat(" ", body));
    return out;
  }
  absl::StrAppend(&out, " ", code);
  const JsonObject* fields = ObjectMember(*error, "fields");
  if (fields == nullptr || fields->fields().empty()) {
    absl::StrAppend(&out, ": ", message);
    return out;
  }
  // The message lists the fields too; one per line reads better.
  std::vector<std::string> names;
  for (const auto& [name, unused] : fields->fields()) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names)
    absl::StrAppend(&out, "\n    ", name, ": ", StringMember(*fields, name));
  return out;
}

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInvalidArgument:
      return 2;
    default:
      return 1;
  }
}

}  // namespace sluice::sluicectl
