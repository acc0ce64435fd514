#pragma once
// A control plane's admin API on a fresh store, called without sockets, for unit tests.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "controlplane/admin/admin_api.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "test/unit/controlplane/test_util.h"

namespace sluice::controlplane::testing {

class AdminFixture {
 public:
  AdminFixture() {
    auto opened = Store::Open(dir_.path());
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
    api_ = std::make_unique<AdminApi>(store_.get(), &nodes_);
  }

  AdminResponse Call(const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& if_match = "") {
    size_t q = target.find('?');
    AdminRequest request{method, target.substr(0, q),
                         q == std::string::npos ? "" : target.substr(q + 1), body, if_match};
    return api_->Handle(request);
  }

  // Calls and parses the JSON answer, checking the status.
  google::protobuf::Struct Json(const std::string& method, const std::string& target,
                                const std::string& body, int want_status) {
    AdminResponse r = Call(method, target, body);
    INFO(method << " " << target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == want_status);
    google::protobuf::Struct s;
    REQUIRE(google::protobuf::util::JsonStringToMessage(r.body, &s).ok());
    return s;
  }

  Store& store() { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<Store> store_;
  NodeRegistry nodes_;
  std::unique_ptr<AdminApi> api_;
};

inline std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? "" : it->second.string_value();
}

inline const google::protobuf::Struct& Obj(const google::protobuf::Struct& s,
                                           const std::string& key) {
  static const google::protobuf::Struct kEmpty;
  auto it = s.fields().find(key);
  return it == s.fields().end() ? kEmpty : it->second.struct_value();
}

// `text` as a JSON string literal (quotes and escapes included), for building bodies.
inline std::string Quoted(const std::string& text) {
  google::protobuf::Value v;
  v.set_string_value(text);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(v, &out);
  return out;
}

}  // namespace sluice::controlplane::testing
