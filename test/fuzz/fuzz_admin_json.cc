// fuzz_admin_json: the control plane's admin API (routing, JSON decoding, validation, commit)
// through its socket-free handler, on a real RocksDB store.
//
// Input: up to 8 requests separated by a line "===". Each request is "METHOD /path?query", a
// newline, then the body. Several requests per input let the fuzzer build state (a service, then
// a route on it, then a PATCH...). The store is emptied before each input, so an input behaves
// the same whatever ran before it.
//
// Checked beyond "no crash": every answer is a valid status with a JSON body (empty only for
// 204), and the committed config always passes the reference check and compiles into a data
// plane Snapshot: the admin API must never accept what every data plane would then refuse.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "controlplane/admin/admin_api.h"
#include "dataplane/config/snapshot.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace sluice::controlplane {
namespace {

constexpr std::string_view kSeparator = "\n===\n";
constexpr int kMaxRequests = 8;
// A fresh database now and then keeps the data dir (WAL, tombstones) bounded on long runs.
constexpr int kInputsPerStore = 5000;

[[noreturn]] void Fail(const std::string& what, const AdminRequest& request,
                       const AdminResponse& response) {
  fprintf(stderr,
          "fuzz_admin_json: invariant broken: %s\nrequest: %s %s?%s\n%s\nresponse: %d %s\n",
          what.c_str(), request.method.c_str(), request.path.c_str(), request.query.c_str(),
          request.body.c_str(), response.status, response.body.c_str());
  abort();
}

constexpr std::string_view kDirPrefix = "sluice-fuzz-admin-";

// Stores left behind by fuzzer processes that crashed (libFuzzer exits without destructors then).
void RemoveStaleDirs(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(kDirPrefix, 0) != 0) continue;
    int pid = atoi(name.c_str() + kDirPrefix.size());
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
}

class Fixture {
 public:
  Fixture() {
    // tmpfs when there is one: every commit is a synced write.
    std::string parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if (const char* t = getenv("SLUICE_FUZZ_TMPDIR")) parent = t;
    RemoveStaleDirs(parent);
    dir_ = parent + "/" + std::string(kDirPrefix) + std::to_string(getpid());
    nodes_.Connected("dp-1", "host-1", "0.1.0", "10.0.0.1:4711", 1700000000);
    nodes_.Acked("dp-1", 3, 1700000001);
    nodes_.Connected("dp-2", "host-2", "0.1.0", "10.0.0.2:4711", 1700000000);
    nodes_.Nacked("dp-2", 4, "route r1: invalid regex", 1700000002);
    Reopen();
  }
  ~Fixture() {
    api_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  AdminApi& api() { return *api_; }
  Store& store() { return *store_; }

  // Empties the store (one commit), or starts a fresh database every kInputsPerStore inputs.
  void Reset() {
    if (++inputs_ % kInputsPerStore == 0) {
      Reopen();
      return;
    }
    if (store_->config().size() == 0) return;
    ChangeSet all;
    for (ResourceKind kind : kAllKinds) {
      for (const auto& [id, r] : store_->config().Of(kind)) {
        ResourceKey k;
        k.set_kind(kind);
        k.set_id(id);
        all.removes.push_back(std::move(k));
      }
    }
    if (!store_->Commit(all).ok()) abort();
  }

 private:
  void Reopen() {
    api_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    auto opened = Store::Open(dir_);
    if (!opened.ok()) {
      fprintf(stderr, "cannot open a store in %s: %s\n", dir_.c_str(),
              std::string(opened.status().message()).c_str());
      abort();
    }
    store_ = std::move(*opened);
    api_ = std::make_unique<AdminApi>(store_.get(), &nodes_);
  }

  std::string dir_;
  NodeRegistry nodes_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AdminApi> api_;
  uint64_t inputs_ = 0;
};

AdminRequest ParseRequest(std::string_view text) {
  AdminRequest r;
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  r.body = eol == std::string_view::npos ? "" : std::string(text.substr(eol + 1));
  size_t space = line.find(' ');
  r.method = std::string(line.substr(0, space));
  std::string_view target = space == std::string_view::npos ? "" : line.substr(space + 1);
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  r.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  return r;
}

// RFC 3629 well-formedness (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if (cc < (k == 1 ? lo : 0x80) || cc > (k == 1 ? hi : 0xbf)) return false;
    }
    i += extra + 1;
  }
  return true;
}

void CheckResponse(const AdminRequest& request, const AdminResponse& response) {
  if (response.status < 200 || response.status > 599) Fail("status out of range", request, response);
  if (response.status == 204) {
    if (!response.body.empty()) Fail("a 204 with a body", request, response);
    return;
  }
  // Error messages quote the request (method, path, names); common/json.cc turns bytes that are
  // not UTF-8 into U+FFFD, so every body must be valid UTF-8 JSON (RFC 8259 §8.1).
  static const bool strict_utf8 = true;
  std::string body = response.body;
  if (!IsUtf8(body)) {
    if (strict_utf8) Fail("the body is not UTF-8", request, response);
    for (char& c : body) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  google::protobuf::Value parsed;
  if (!google::protobuf::util::JsonStringToMessage(body, &parsed).ok() ||
      parsed.kind_case() != google::protobuf::Value::kStructValue) {
    Fail("the body is not a JSON object", request, response);
  }
  if (response.status >= 400) {
    const auto& fields = parsed.struct_value().fields();
    if (fields.find("code") == fields.end() || fields.find("message") == fields.end())
      Fail("an error body without code and message", request, response);
  }
}

void CheckCommittedConfig(const Store& store, const AdminRequest& request,
                          const AdminResponse& response) {
  if (absl::Status s = store.config().CheckReferences(); !s.ok()) {
    Fail("committed config has a dangling reference: " + std::string(s.message()), request,
         response);
  }
  absl::StatusOr<std::shared_ptr<const Snapshot>> snap = Snapshot::Build(store.config());
  // kUnimplemented: a protocol the data plane does not proxy yet (https, grpc), not a bad config.
  if (!snap.ok() && snap.status().code() != absl::StatusCode::kUnimplemented) {
    Fail("committed config is refused by the data plane: " + std::string(snap.status().message()),
         request, response);
  }
}

}  // namespace
}  // namespace sluice::controlplane

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::controlplane;
  static Fixture* fixture = [] {
    sluice::SetLogLevel(sluice::LogLevel::kError);
    google::protobuf::SetLogHandler(nullptr);
    static Fixture f;
    return &f;
  }();
  if (size > (1u << 16)) return 0;
  fixture->Reset();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < kMaxRequests && !input.empty(); ++i) {
    size_t sep = input.find(kSeparator);
    AdminRequest request = ParseRequest(input.substr(0, sep));
    input = sep == std::string_view::npos ? std::string_view() : input.substr(sep + kSeparator.size());
    uint64_t version_before = fixture->store().version();
    AdminResponse response = fixture->api().Handle(request);
    CheckResponse(request, response);
    if (fixture->store().version() != version_before) {
      if (response.status >= 300) Fail("an error answer committed a change", request, response);
      CheckCommittedConfig(fixture->store(), request, response);
    }
  }
  return 0;
}
