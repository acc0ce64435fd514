#pragma once
// Harness for integration tests: real sluice processes on loopback ports chosen at run time, a
// blocking HTTP/1.1 client with a deadline on every call, and a small JSON reader.
//
// Every process a test starts writes its stdout and stderr to a log file in the test's scratch
// directory. When a test case fails, the tail of each of those logs is printed and the directory
// is kept (its path is printed); when it passes, the directory is removed.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::testing {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// Binds 127.0.0.1:0, reads the port the kernel chose, closes the socket. Another process could
// take the port before the caller binds it; on loopback in a test run that does not happen.
int FreePort();
std::string LoopbackAddr(int port);  // "127.0.0.1:<port>"
// A listening socket on 127.0.0.1 and a port the kernel chose (for in-test upstreams). REQUIREs
// success; the caller closes the descriptor.
int ListenOnLoopback(int backlog, int* port);

// The test case's scratch directory, created on first use and removed (or kept, on failure) when
// the test case ends.
const std::string& ScratchDir();
// A new, empty directory inside ScratchDir() ("<name>-<n>"); each call makes another one, so a
// TEST_CASE that Catch re-runs once per SECTION never sees the previous run's files.
std::string NewDir(const std::string& name);
// A path for a data plane's --cache-file in a NewDir() of its own (the file does not exist yet).
std::string NewCacheFile(const std::string& node_id);

// Where the sluice binaries are: $SLUICE_BIN_DIR, else the directory holding this test binary.
std::string BinDir();

// A child process started with fork/exec; stdout and stderr go to `log_path()`.
class Process {
 public:
  // `name` labels the log file (scratch/<name>-<n>.log) and the log tail printed on failure.
  Process(std::string name, std::string binary, std::vector<std::string> args);
  ~Process();  // SIGTERM, then SIGKILL after 2 s; always reaped.
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }
  std::string ReadLog() const;

  // True while the process has not exited (reaps it, without blocking, if it has).
  bool Running();
  void Kill(int signal);  // Sends `signal` (default use: SIGTERM); does not wait.
  void Kill9();           // SIGKILL and reap.
  // Waits for the process to exit; returns false if it is still running at the deadline.
  bool Wait(Millis timeout);
  // Exit status as returned by waitpid (valid once Running() is false).
  int wait_status() const { return wait_status_; }
  // SIGTERM, wait up to `grace`, then SIGKILL. Leaves the process reaped.
  void Stop(Millis grace = Millis(2000));

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int wait_status_ = 0;
};

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 client. Blocking sockets with poll(): a call never outlives its timeout.

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no response (error says why).
  std::string error;
  // Lower-case names; repeated headers are joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;

  std::string Header(const std::string& lower_name) const;
  bool HasHeader(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
  // "<status> <error> <body…>", for INFO() messages.
  std::string Describe() const;
};

// Sends one request on a new connection and reads the response (Content-Length, chunked, or
// until the server closes). Adds Host, Content-Length (when there is a body) and
// `Connection: close` unless `headers` already carry them.
HttpResponse Request(std::string_view method, std::string_view host_port, std::string_view path,
                     const Headers& headers = {}, std::string_view body = {},
                     Millis timeout = Millis(5000));
HttpResponse Get(std::string_view host_port, std::string_view path, const Headers& headers = {},
                 Millis timeout = Millis(5000));

// A raw TCP connection for protocol tests: send bytes, read what comes back, with deadlines.
class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Connect(std::string_view host_port, Millis timeout = Millis(2000));
  bool Send(std::string_view bytes, Millis timeout = Millis(2000));
  // Waits up to `timeout` for some bytes; returns them ("" on timeout, close or error).
  std::string ReadSome(Millis timeout);
  // Reads until the peer closes or the deadline passes; returns everything read.
  std::string ReadUntilClose(Millis timeout);
  bool closed() const { return closed_; }
  void Close();

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// JSON, read through JSON pointers ("/data/0/node_id"; RFC 6901, so "/fields/paths[0]" names the
// key "paths[0]" of "fields").

class Json {
 public:
  static Json Parse(std::string_view text);
  Json(Json&&) noexcept;
  Json& operator=(Json&&) noexcept;
  ~Json();

  bool ok() const;  // Parsed without error.
  bool Has(std::string_view pointer) const;
  // The string at `pointer`, or "<missing /ptr>" / "<not a string /ptr>" so a failed CHECK says
  // what went wrong.
  std::string Str(std::string_view pointer) const;
  // The integer at `pointer`, or `fallback` when absent or not an integer.
  int64_t Int(std::string_view pointer, int64_t fallback = INT64_MIN) const;
  bool Bool(std::string_view pointer, bool fallback = false) const;
  // Number of elements of the array (or members of the object) at `pointer`; -1 if neither.
  int64_t Size(std::string_view pointer) const;
  // Object keys at `pointer` (empty when it is not an object).
  std::vector<std::string> Keys(std::string_view pointer) const;
  // The value at `pointer` re-serialized (minified); "" when absent.
  std::string Raw(std::string_view pointer = "") const;
  const std::string& text() const { return text_; }

 private:
  Json();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string text_;
};

// ---------------------------------------------------------------------------------------------
// Polling.

// Calls `predicate` every 20 ms until it returns true or `timeout` passes; returns its last result.
bool WaitUntil(const std::function<bool()>& predicate, Millis timeout);

// ---------------------------------------------------------------------------------------------
// The cluster.

struct ControlPlane {
  std::unique_ptr<Process> process;
  std::string admin;  // host:port of the admin API
  std::string xds;    // host:port of the config stream
  std::string data_dir;
};

struct DataPlane {
  std::unique_ptr<Process> process;
  std::string proxy;   // host:port of the proxy listener
  std::string status;  // host:port of the status listener
  std::string node_id;
  std::string cache_file;
};

struct MockLlm {
  std::unique_ptr<Process> process;
  std::string addr;  // host:port
  std::string Url() const { return "http://" + addr; }
};

// Starts a process and waits until it answers (admin GET /status, data plane status GET /status,
// mock GET /_mock/health). Fails the test (REQUIRE) when it exits or does not get ready in
// time. A port of 0 picks a free one; pass the old ports to restart in place.
ControlPlane StartControlPlane(const std::string& data_dir, int admin_port = 0, int xds_port = 0);
DataPlane StartDataPlane(const ControlPlane& cp, const std::string& node_id,
                         const std::string& cache_file, int proxy_port = 0, int status_port = 0,
                         const std::vector<std::string>& extra_args = {});
// Same, for a control plane that may be down: `xds` is the address the data plane dials.
DataPlane StartDataPlaneAt(const std::string& xds, const std::string& node_id,
                           const std::string& cache_file, int proxy_port = 0,
                           int status_port = 0, const std::vector<std::string>& extra_args = {});
// `extra_args`: more sluice-mock-llm flags (--openai-key K, --record-requests N...).
MockLlm StartMockLlm(const std::vector<std::string>& extra_args = {});

int PortOf(const std::string& host_port);

// Admin API calls. AdminCall returns the response; Admin(...) also REQUIREs `expected_status`
// and returns the parsed body.
HttpResponse AdminCall(const ControlPlane& cp, std::string_view method, std::string_view path,
                       std::string_view json_body = {});
Json Admin(const ControlPlane& cp, std::string_view method, std::string_view path,
           std::string_view json_body, int expected_status);

// Config version reported by GET /status on the control plane's admin API or on a data plane's
// status listener; -1 when it cannot be read.
int64_t ControlPlaneVersion(const ControlPlane& cp);
int64_t DataPlaneVersion(const DataPlane& dp);
// "connected", "disconnected", or "" when the status cannot be read.
std::string DataPlaneCpState(const DataPlane& dp);

// Waits until the data plane reports `version` (or any newer one).
bool WaitForVersion(const DataPlane& dp, int64_t version, Millis timeout = Millis(5000));

// Creates service `name` → `url` and route `route_name` on `paths` (JSON array text), both
// through the admin API (REQUIREs 201). Returns the config version after the route was written.
int64_t AddServiceAndRoute(const ControlPlane& cp, const std::string& name, const std::string& url,
                           const std::string& route_name, const std::string& paths_json,
                           bool strip_path = false);

// The common test setup: a control plane, a mock LLM, service "llm" → the mock with route "all"
// on "/" (strip_path false), and one data plane ("dp1", started with `dp_args`) serving it.
struct Cluster {
  ControlPlane cp;
  MockLlm mock;
  DataPlane dp;
};
Cluster StartCluster(const std::vector<std::string>& dp_args = {});

}  // namespace sluice::testing
