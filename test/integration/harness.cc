#include "test/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

// Listener and reporter types are only declared when external interfaces are asked for.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <simdjson.h>

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Per-test-case state: the scratch directory and the logs written into it.

struct LogEntry {
  std::string name;
  std::string path;
};

struct TestCaseState {
  std::string scratch_dir;
  std::vector<LogEntry> logs;
  int log_counter = 0;
};

TestCaseState& State() {
  static TestCaseState state;
  return state;
}

std::string TailOfFile(const std::string& path, size_t max_lines, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<cannot open " + path + ">";
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = all.substr(all.size() - max_bytes);
  size_t pos = all.size();
  size_t lines = 0;
  while (pos > 0) {
    size_t nl = all.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (nl + 1 < all.size() && ++lines > max_lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return all.substr(pos);
}

// Prints the process logs of a failed test case (CI has nothing else to go on) and removes the
// scratch directory of a passed one.
class ScratchListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    State() = TestCaseState{};
    TestEventListenerBase::testCaseStarting(info);
  }

  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    TestCaseState& state = State();
    const bool failed = stats.totals.assertions.failed > 0;
    if (failed && !state.logs.empty()) {
      std::cerr << "\n===== process logs for failed test \"" << stats.testInfo.name
                << "\" (last 60 lines each) =====\n";
      for (const LogEntry& log : state.logs) {
        std::cerr << "----- " << log.name << " (" << log.path << ") -----\n"
                  << TailOfFile(log.path, 60, 16 * 1024) << "\n";
      }
      std::cerr << "===== end of process logs =====\n";
    }
    if (!state.scratch_dir.empty()) {
      const char* keep = std::getenv("SLUICE_KEEP_SCRATCH");
      if (failed || (keep != nullptr && *keep != '\0' && std::string(keep) != "0")) {
        std::cerr << "scratch directory kept: " << state.scratch_dir << "\n";
      } else {
        std::error_code ec;
        fs::remove_all(state.scratch_dir, ec);
      }
    }
    state = TestCaseState{};
    TestEventListenerBase::testCaseEnded(stats);
  }
};

CATCH_REGISTER_LISTENER(ScratchListener)

Clock::time_point Deadline(Millis timeout) { return Clock::now() + timeout; }

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 60'000));
}

bool SplitHostPort(std::string_view host_port, std::string* host, std::string* port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == host_port.size()) return false;
  *host = std::string(host_port.substr(0, colon));
  *port = std::string(host_port.substr(colon + 1));
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

// Connects a non-blocking, close-on-exec socket within the deadline. Returns -1 and sets `error`.
int ConnectTcp(std::string_view host_port, Clock::time_point deadline, std::string* error) {
  std::string host, port;
  if (!SplitHostPort(host_port, &host, &port)) {
    *error = "bad host:port '" + std::string(host_port) + "'";
    return -1;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = "resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, &freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *error = std::string("connect: ") + std::strerror(errno);
      close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready <= 0) {
      *error = ready == 0 ? "connect: timed out" : std::string("poll: ") + std::strerror(errno);
      close(fd);
      return -1;
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      *error = std::string("connect: ") + std::strerror(so_error);
      close(fd);
      return -1;
    }
  }
  return fd;
}

bool SendAll(int fd, std::string_view bytes, Clock::time_point deadline, std::string* error) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      int ready = poll(&p, 1, RemainingMs(deadline));
      if (ready <= 0) {
        *error = "send: timed out";
        return false;
      }
      continue;
    }
    *error = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

enum class ReadResult { kData, kClosed, kTimeout, kError };

// Appends whatever arrives before the deadline (at least one byte) to `out`.
ReadResult ReadOnce(int fd, std::string* out, Clock::time_point deadline, std::string* error) {
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      *error = std::string("poll: ") + std::strerror(errno);
      return ReadResult::kError;
    }
    if (ready == 0) {
      *error = "read: timed out";
      return ReadResult::kTimeout;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      return ReadResult::kData;
    }
    if (n == 0) return ReadResult::kClosed;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    *error = std::string("recv: ") + std::strerror(errno);
    return errno == ECONNRESET ? ReadResult::kClosed : ReadResult::kError;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// Parses the status line and header block (without the final blank line).
bool ParseHead(std::string_view head, HttpResponse* resp) {
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return false;
  size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > status_line.size()) return false;
  int status = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    char c = status_line[i];
    if (c < '0' || c > '9') return false;
    status = status * 10 + (c - '0');
  }
  resp->status = status;
  resp->headers.clear();
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = Lower(Trim(line.substr(0, colon)));
    std::string value = Trim(line.substr(colon + 1));
    auto [it, inserted] = resp->headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return true;
}

enum class ChunkedState { kComplete, kIncomplete, kMalformed };

// Decodes a complete chunked body from `raw`; kIncomplete when more bytes are needed.
ChunkedState DecodeChunked(std::string_view raw, std::string* body) {
  body->clear();
  size_t pos = 0;
  for (;;) {
    size_t eol = raw.find("\r\n", pos);
    if (eol == std::string_view::npos) return ChunkedState::kIncomplete;
    std::string_view size_line = raw.substr(pos, eol - pos);
    size_t semi = size_line.find(';');
    if (semi != std::string_view::npos) size_line = size_line.substr(0, semi);
    std::string size_text = Trim(size_line);
    if (size_text.empty()) return ChunkedState::kMalformed;
    size_t size = 0;
    for (char c : size_text) {
      int digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return ChunkedState::kMalformed;
      if (size > (SIZE_MAX >> 4)) return ChunkedState::kMalformed;
      size = size * 16 + static_cast<size_t>(digit);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailers, then an empty line.
      for (;;) {
        size_t end = raw.find("\r\n", pos);
        if (end == std::string_view::npos) return ChunkedState::kIncomplete;
        if (end == pos) return ChunkedState::kComplete;
        pos = end + 2;
      }
    }
    if (raw.size() < pos + size + 2) return ChunkedState::kIncomplete;
    body->append(raw.substr(pos, size));
    if (raw.substr(pos + size, 2) != "\r\n") return ChunkedState::kMalformed;
    pos += size + 2;
  }
}

bool HasHeaderNamed(const Headers& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) return true;
  }
  return false;
}

std::string HeadOf(std::string_view body, size_t max) {
  if (body.size() <= max) return std::string(body);
  return std::string(body.substr(0, max)) + "…";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

int FreePort() {
  // The kernel may hand the same port to two binds in a row once the first socket is closed, so
  // a test asking for a proxy port and then a status port could get one port twice. Never hand
  // out a port twice in one test binary.
  static std::set<int> handed_out;
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    REQUIRE(rc == 0);
    const int port = ntohs(addr.sin_port);
    if (handed_out.insert(port).second) return port;
  }
  FAIL("no unused loopback port after 100 attempts");
  return 0;
}

std::string LoopbackAddr(int port) { return "127.0.0.1:" + std::to_string(port); }

int ListenOnLoopback(int backlog, int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, backlog) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int PortOf(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(host_port.c_str() + colon + 1);
}

const std::string& ScratchDir() {
  TestCaseState& state = State();
  if (state.scratch_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                          "/sluice-it-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    REQUIRE(mkdtemp(buf.data()) != nullptr);
    state.scratch_dir = buf.data();
  }
  return state.scratch_dir;
}

std::string NewDir(const std::string& name) {
  const std::string path =
      ScratchDir() + "/" + name + "-" + std::to_string(++State().log_counter);
  std::error_code ec;
  fs::create_directories(path, ec);
  REQUIRE(!ec);
  return path;
}

std::string NewCacheFile(const std::string& node_id) {
  return NewDir(node_id) + "/cache.bin";
}

std::string BinDir() {
  const char* env = std::getenv("SLUICE_BIN_DIR");
  if (env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return self.parent_path().string();
}

// ---------------------------------------------------------------------------------------------
// Process

Process::Process(std::string name, std::string binary, std::vector<std::string> args)
    : name_(std::move(name)) {
  TestCaseState& state = State();
  log_path_ = ScratchDir() + "/" + name_ + "-" + std::to_string(++state.log_counter) + ".log";
  state.logs.push_back({name_, log_path_});

  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    UNSCOPED_INFO("cannot open log " << log_path_ << ": " << std::strerror(errno));
    return;
  }
  std::string command = binary;
  for (const std::string& a : args) command += " " + a;
  std::string banner = "# " + command + "\n";
  (void)!write(log_fd, banner.data(), banner.size());
  if (access(binary.c_str(), X_OK) != 0) {
    std::string msg = "# cannot execute " + binary + ": " + std::strerror(errno) + "\n";
    (void)!write(log_fd, msg.data(), msg.size());
    close(log_fd);
    return;
  }

  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Child. If the test binary dies (ctest timeout, crash), take the child down with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Until execv the child still runs Catch's fatal-signal handlers: a signal now must not make
    // it print a test report of its own.
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    const char msg[] = "# execv failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) {
    UNSCOPED_INFO("fork failed: " << std::strerror(errno));
    return;
  }
  pid_ = pid;
}

Process::~Process() {
  if (pid_ > 0 && !exited_) Stop();
}

std::string Process::ReadLog() const {
  std::ifstream in(log_path_, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool Process::Running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = status;
    return false;
  }
  return true;
}

void Process::Kill(int signal) {
  if (pid_ > 0 && !exited_) kill(pid_, signal);
}

void Process::Kill9() {
  if (pid_ <= 0 || exited_) return;
  kill(pid_, SIGKILL);
  Wait(Millis(10'000));
}

bool Process::Wait(Millis timeout) {
  auto deadline = Deadline(timeout);
  for (;;) {
    if (!Running()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(5));
  }
}

void Process::Stop(Millis grace) {
  if (pid_ <= 0 || exited_) return;
  kill(pid_, SIGTERM);
  if (Wait(grace)) return;
  std::string msg = "# harness: still running " + std::to_string(grace.count()) +
                    " ms after SIGTERM; sending SIGKILL\n";
  int fd = open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, msg.data(), msg.size());
    close(fd);
  }
  Kill9();
}

// ---------------------------------------------------------------------------------------------
// HTTP client

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::Describe() const {
  std::string out = std::to_string(status);
  if (!error.empty()) out += " (" + error + ")";
  if (!body.empty()) out += " " + HeadOf(body, 600);
  return out;
}

HttpResponse Request(std::string_view method, std::string_view host_port, std::string_view path,
                     const Headers& headers, std::string_view body, Millis timeout) {
  HttpResponse resp;
  auto deadline = Deadline(timeout);
  int fd = ConnectTcp(host_port, deadline, &resp.error);
  if (fd < 0) return resp;

  std::string req;
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  if (!HasHeaderNamed(headers, "host")) req.append("Host: ").append(host_port).append("\r\n");
  if (!HasHeaderNamed(headers, "connection")) req.append("Connection: close\r\n");
  if (!body.empty() && !HasHeaderNamed(headers, "content-length") &&
      !HasHeaderNamed(headers, "transfer-encoding")) {
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  for (const auto& [name, value] : headers) {
    req.append(name).append(": ").append(value).append("\r\n");
  }
  req.append("\r\n").append(body);

  if (!SendAll(fd, req, deadline, &resp.error)) {
    close(fd);
    return resp;
  }

  const bool head_request = method == "HEAD";
  std::string buf;
  size_t body_start = std::string::npos;
  for (;;) {
    if (body_start == std::string::npos) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        if (!ParseHead(std::string_view(buf).substr(0, end), &resp)) {
          resp.status = 0;
          resp.error = "malformed response head: " + HeadOf(buf.substr(0, end), 200);
          break;
        }
        if (resp.status >= 100 && resp.status < 200) {
          // Interim response (100 Continue): the real one follows.
          buf.erase(0, end + 4);
          resp.headers.clear();
          resp.status = 0;
          continue;
        }
        body_start = end + 4;
      }
    }
    if (body_start != std::string::npos) {
      std::string_view raw = std::string_view(buf).substr(body_start);
      if (head_request || resp.status == 204 || resp.status == 304) {
        break;
      }
      if (Lower(resp.Header("transfer-encoding")).find("chunked") != std::string::npos) {
        ChunkedState st = DecodeChunked(raw, &resp.body);
        if (st == ChunkedState::kComplete) break;
        if (st == ChunkedState::kMalformed) {
          resp.error = "malformed chunked body";
          resp.status = 0;
          break;
        }
      } else if (resp.HasHeader("content-length")) {
        size_t want = std::strtoull(resp.Header("content-length").c_str(), nullptr, 10);
        if (raw.size() >= want) {
          resp.body = std::string(raw.substr(0, want));
          break;
        }
      }
    }
    ReadResult r = ReadOnce(fd, &buf, deadline, &resp.error);
    if (r == ReadResult::kData) continue;
    if (r == ReadResult::kClosed) {
      if (body_start == std::string::npos) {
        resp.status = 0;
        resp.error = buf.empty() ? "connection closed before any response"
                                 : "connection closed inside the response head";
      } else if (Lower(resp.Header("transfer-encoding")).find("chunked") != std::string::npos ||
                 resp.HasHeader("content-length")) {
        resp.error = "connection closed before the end of the body";
        resp.body = buf.substr(body_start);
        resp.status = 0;
      } else {
        resp.body = buf.substr(body_start);  // Delimited by close.
        resp.error.clear();
      }
      break;
    }
    // Timeout or error: report what was seen.
    if (body_start != std::string::npos) resp.body = buf.substr(body_start);
    resp.status = 0;
    break;
  }
  close(fd);
  return resp;
}

HttpResponse Get(std::string_view host_port, std::string_view path, const Headers& headers,
                 Millis timeout) {
  return Request("GET", host_port, path, headers, {}, timeout);
}

RawConnection::~RawConnection() { Close(); }

bool RawConnection::Connect(std::string_view host_port, Millis timeout) {
  Close();
  std::string error;
  fd_ = ConnectTcp(host_port, Deadline(timeout), &error);
  closed_ = fd_ < 0;
  if (fd_ < 0) UNSCOPED_INFO("raw connect to " << host_port << ": " << error);
  return fd_ >= 0;
}

bool RawConnection::Send(std::string_view bytes, Millis timeout) {
  if (fd_ < 0) return false;
  std::string error;
  bool ok = SendAll(fd_, bytes, Deadline(timeout), &error);
  if (!ok) UNSCOPED_INFO("raw send: " << error);
  return ok;
}

std::string RawConnection::ReadSome(Millis timeout) {
  if (fd_ < 0 || closed_) return {};
  std::string out, error;
  ReadResult r = ReadOnce(fd_, &out, Deadline(timeout), &error);
  if (r == ReadResult::kClosed || r == ReadResult::kError) closed_ = true;
  return out;
}

std::string RawConnection::ReadUntilClose(Millis timeout) {
  std::string out, error;
  if (fd_ < 0) return out;
  auto deadline = Deadline(timeout);
  while (!closed_) {
    ReadResult r = ReadOnce(fd_, &out, deadline, &error);
    if (r == ReadResult::kClosed || r == ReadResult::kError) closed_ = true;
    if (r == ReadResult::kTimeout) break;
  }
  return out;
}

void RawConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  closed_ = true;
}

// ---------------------------------------------------------------------------------------------
// Json

struct Json::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool ok = false;

  bool Find(std::string_view pointer, simdjson::dom::element* out) const {
    if (!ok) return false;
    if (pointer.empty()) {
      *out = root;
      return true;
    }
    return root.at_pointer(pointer).get(*out) == simdjson::SUCCESS;
  }
};

Json::Json() : impl_(std::make_unique<Impl>()) {}
Json::Json(Json&&) noexcept = default;
Json& Json::operator=(Json&&) noexcept = default;
Json::~Json() = default;

Json Json::Parse(std::string_view text) {
  Json json;
  json.text_ = std::string(text);
  json.impl_->ok =
      json.impl_->parser.parse(json.text_.data(), json.text_.size()).get(json.impl_->root) ==
      simdjson::SUCCESS;
  return json;
}

bool Json::ok() const { return impl_->ok; }

bool Json::Has(std::string_view pointer) const {
  simdjson::dom::element e;
  return impl_->Find(pointer, &e);
}

std::string Json::Str(std::string_view pointer) const {
  simdjson::dom::element e;
  if (!impl_->Find(pointer, &e)) return "<missing " + std::string(pointer) + ">";
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    return "<not a string " + std::string(pointer) + ": " + simdjson::minify(e) + ">";
  }
  return std::string(s);
}

int64_t Json::Int(std::string_view pointer, int64_t fallback) const {
  simdjson::dom::element e;
  if (!impl_->Find(pointer, &e)) return fallback;
  int64_t v;
  if (e.get_int64().get(v) == simdjson::SUCCESS) return v;
  return fallback;
}

bool Json::Bool(std::string_view pointer, bool fallback) const {
  simdjson::dom::element e;
  if (!impl_->Find(pointer, &e)) return fallback;
  bool v;
  if (e.get_bool().get(v) == simdjson::SUCCESS) return v;
  return fallback;
}

int64_t Json::Size(std::string_view pointer) const {
  simdjson::dom::element e;
  if (!impl_->Find(pointer, &e)) return -1;
  simdjson::dom::array arr;
  if (e.get_array().get(arr) == simdjson::SUCCESS) return static_cast<int64_t>(arr.size());
  simdjson::dom::object obj;
  if (e.get_object().get(obj) == simdjson::SUCCESS) return static_cast<int64_t>(obj.size());
  return -1;
}

std::vector<std::string> Json::Keys(std::string_view pointer) const {
  std::vector<std::string> keys;
  simdjson::dom::element e;
  simdjson::dom::object obj;
  if (!impl_->Find(pointer, &e) || e.get_object().get(obj) != simdjson::SUCCESS) return keys;
  for (auto field : obj) keys.emplace_back(field.key);
  return keys;
}

std::string Json::Raw(std::string_view pointer) const {
  simdjson::dom::element e;
  if (!impl_->Find(pointer, &e)) return {};
  return simdjson::minify(e);
}

// ---------------------------------------------------------------------------------------------

bool WaitUntil(const std::function<bool()>& predicate, Millis timeout) {
  auto deadline = Deadline(timeout);
  for (;;) {
    if (predicate()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(20));
  }
}

namespace {

bool PortAccepts(const std::string& host_port) {
  std::string error;
  int fd = ConnectTcp(host_port, Deadline(Millis(200)), &error);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// Waits until `ready` holds or the process exits; REQUIREs that it is up.
void AwaitReady(Process& process, const std::function<bool()>& ready, const std::string& what) {
  REQUIRE(process.started());
  bool up = WaitUntil([&] { return !process.Running() || ready(); }, Millis(15'000));
  INFO(what << ": " << process.name() << " (log " << process.log_path() << ")");
  REQUIRE(process.Running());
  REQUIRE(up);
}

}  // namespace

ControlPlane StartControlPlane(const std::string& data_dir, int admin_port, int xds_port) {
  ControlPlane cp;
  cp.admin = LoopbackAddr(admin_port != 0 ? admin_port : FreePort());
  cp.xds = LoopbackAddr(xds_port != 0 ? xds_port : FreePort());
  cp.data_dir = data_dir;
  cp.process = std::make_unique<Process>(
      "controlplane", BinDir() + "/sluice-controlplane",
      std::vector<std::string>{"--admin-listen", cp.admin, "--xds-listen", cp.xds, "--data-dir",
                               data_dir});
  AwaitReady(*cp.process, [&] { return Get(cp.admin, "/status", {}, Millis(500)).status == 200; },
             "control plane admin GET /status");
  // The config stream must be listening too, or data planes started next would back off.
  REQUIRE(WaitUntil([&] { return PortAccepts(cp.xds); }, Millis(5000)));
  return cp;
}

DataPlane StartDataPlane(const ControlPlane& cp, const std::string& node_id,
                         const std::string& cache_file, int proxy_port, int status_port,
                         const std::vector<std::string>& extra_args) {
  return StartDataPlaneAt(cp.xds, node_id, cache_file, proxy_port, status_port, extra_args);
}

DataPlane StartDataPlaneAt(const std::string& xds, const std::string& node_id,
                           const std::string& cache_file, int proxy_port, int status_port,
                           const std::vector<std::string>& extra_args) {
  DataPlane dp;
  dp.proxy = LoopbackAddr(proxy_port != 0 ? proxy_port : FreePort());
  dp.status = LoopbackAddr(status_port != 0 ? status_port : FreePort());
  dp.node_id = node_id;
  dp.cache_file = cache_file;
  std::vector<std::string> args{"--controlplane", xds, "--listen", dp.proxy, "--status-listen",
                                dp.status, "--node-id", node_id, "--cache-file", cache_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  dp.process = std::make_unique<Process>("dataplane-" + node_id,
                                         BinDir() + "/sluice-dataplane", std::move(args));
  AwaitReady(*dp.process,
             [&] {
               return Get(dp.status, "/status", {}, Millis(500)).status == 200 &&
                      PortAccepts(dp.proxy);
             },
             "data plane GET /status and proxy port");
  return dp;
}

MockLlm StartMockLlm(const std::vector<std::string>& extra_args) {
  MockLlm mock;
  mock.addr = LoopbackAddr(FreePort());
  std::vector<std::string> args{"--listen", mock.addr};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  mock.process = std::make_unique<Process>("mock-llm", BinDir() + "/sluice-mock-llm", args);
  AwaitReady(*mock.process,
             [&] { return Get(mock.addr, "/_mock/health", {}, Millis(500)).status == 200; },
             "mock LLM GET /_mock/health");
  return mock;
}

HttpResponse AdminCall(const ControlPlane& cp, std::string_view method, std::string_view path,
                       std::string_view json_body) {
  Headers headers;
  if (!json_body.empty()) headers.emplace_back("Content-Type", "application/json");
  return Request(method, cp.admin, path, headers, json_body);
}

Json Admin(const ControlPlane& cp, std::string_view method, std::string_view path,
           std::string_view json_body, int expected_status) {
  HttpResponse resp = AdminCall(cp, method, path, json_body);
  INFO(method << " " << path << " " << json_body << " -> " << resp.Describe());
  REQUIRE(resp.status == expected_status);
  return Json::Parse(resp.body);
}

int64_t ControlPlaneVersion(const ControlPlane& cp) {
  HttpResponse resp = Get(cp.admin, "/status", {}, Millis(1000));
  if (resp.status != 200) return -1;
  return Json::Parse(resp.body).Int("/config_version", -1);
}

int64_t DataPlaneVersion(const DataPlane& dp) {
  HttpResponse resp = Get(dp.status, "/status", {}, Millis(1000));
  if (resp.status != 200) return -1;
  return Json::Parse(resp.body).Int("/config_version", -1);
}

std::string DataPlaneCpState(const DataPlane& dp) {
  HttpResponse resp = Get(dp.status, "/status", {}, Millis(1000));
  if (resp.status != 200) return {};
  Json json = Json::Parse(resp.body);
  return json.Has("/controlplane") ? json.Str("/controlplane") : std::string();
}

bool WaitForVersion(const DataPlane& dp, int64_t version, Millis timeout) {
  return WaitUntil([&] { return DataPlaneVersion(dp) >= version; }, timeout);
}

int64_t AddServiceAndRoute(const ControlPlane& cp, const std::string& name, const std::string& url,
                           const std::string& route_name, const std::string& paths_json,
                           bool strip_path) {
  Admin(cp, "POST", "/services", R"({"name":")" + name + R"(","url":")" + url + R"("})", 201);
  Admin(cp, "POST", "/routes",
        R"({"name":")" + route_name + R"(","paths":)" + paths_json +
            R"(,"strip_path":)" + (strip_path ? "true" : "false") + R"(,"service":{"name":")" +
            name + R"("}})",
        201);
  int64_t version = ControlPlaneVersion(cp);
  REQUIRE(version > 0);
  return version;
}

Cluster StartCluster(const std::vector<std::string>& dp_args) {
  Cluster c;
  c.cp = StartControlPlane(NewDir("cp"));
  c.mock = StartMockLlm();
  int64_t v = AddServiceAndRoute(c.cp, "llm", c.mock.Url(), "all", "[\"/\"]");
  c.dp = StartDataPlane(c.cp, "dp1", NewDir("dp") + "/cache", 0, 0, dp_args);
  REQUIRE(WaitForVersion(c.dp, v));
  return c;
}

}  // namespace sluice::testing
