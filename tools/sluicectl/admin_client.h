#pragma once
// A small blocking HTTP/1.1 client for the control plane's admin API (libevent's evhttp, one
// connection per call). Every call is bounded by the timeout it was created with.
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sluice::sluicectl {

struct HttpReply {
  int status = 0;
  std::string body;
};

class AdminClient {
 public:
  // `admin_url` is "http://host:port", optionally with a path prefix ("http://gw/admin").
  // InvalidArgument when it is not of that shape.
  static absl::StatusOr<AdminClient> Create(std::string_view admin_url, absl::Duration timeout);

  // One request. Unavailable (or DeadlineExceeded) when no HTTP answer came back; any answer,
  // error statuses included, is a reply.
  absl::StatusOr<HttpReply> Call(std::string_view method, std::string_view path,
                                 std::string_view body = {}) const;
  // GET that must answer 200; FailedPrecondition carrying DescribeError otherwise.
  absl::StatusOr<std::string> Get(std::string_view path) const;
  // GETs a collection ("/services") and every following page (its `next`); each item's JSON
  // text as the control plane wrote it.
  absl::StatusOr<std::vector<std::string>> ListAll(std::string_view path) const;

  const std::string& url() const { return url_; }

 private:
  AdminClient() = default;

  std::string url_;
  std::string host_;
  int port_ = 0;
  std::string base_path_;  // "" or "/prefix"
  absl::Duration timeout_;
};

// The admin API's error answer ({"code","message","fields"}) for people: "409 in_use: <message>",
// or, with `fields`, "400 invalid_config" and an indented "<field>: <problem>" line per field.
std::string DescribeError(const HttpReply& reply);

// 2 when the control plane could not be reached or the input is bad, 1 otherwise (the control
// plane refused something).
int ExitCodeFor(const absl::Status& status);

}  // namespace sluice::sluicectl
