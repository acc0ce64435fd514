#pragma once
// Helpers shared by the control plane's unit tests.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "common/config_set.h"

namespace sluice::controlplane::testing {

// A fresh directory under /tmp, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sluice-cp-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Resource MakeService(const std::string& id, const std::string& name) {
  Resource r;
  auto* s = r.mutable_service();
  s->set_id(id);
  s->set_name(name);
  s->set_protocol("http");
  s->set_host("127.0.0.1");
  s->set_port(9001);
  return r;
}

inline Resource MakeRoute(const std::string& id, const std::string& service_id) {
  Resource r;
  auto* route = r.mutable_route();
  route->set_id(id);
  route->add_paths("/" + id);
  route->mutable_service()->set_id(service_id);
  return r;
}

inline ResourceKey Key(ResourceKind kind, const std::string& id) {
  ResourceKey k;
  k.set_kind(kind);
  k.set_id(id);
  return k;
}

}  // namespace sluice::controlplane::testing
