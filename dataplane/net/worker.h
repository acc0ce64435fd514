#pragma once
// Worker: one event loop (libevent) and everything that lives on it: listeners, downstream
// connections, the upstream connection pool and the snapshot in use. Work crosses into a worker
// only by posting to its loop, so nothing on the request path takes a lock.
#include <event2/event.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "dataplane/config/snapshot.h"

struct evdns_base;

namespace sluice {

class ConnectionPool;
class StreamSocket;

// Something whose destruction must wait until the current callback stack has unwound.
class Deferrable {
 public:
  virtual ~Deferrable() = default;
};

// A client connection the worker can ask to wind down (graceful shutdown).
class Drainable {
 public:
  virtual ~Drainable() = default;
  // Close now if idle; otherwise finish the request in flight, answer it with
  // "Connection: close", then close.
  virtual void Drain() = 0;
};

// Open client connections across every worker of the process, and the cap on them.
struct ConnectionBudget {
  std::atomic<int64_t> open{0};
  int64_t max = 32768;
};

class Worker {
 public:
  explicit Worker(int index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int index() const { return index_; }
  event_base* base() const { return base_; }
  evdns_base* dns() const { return dns_; }
  ConnectionPool& pool() { return *pool_; }

  // The snapshot requests start with now; null until the first config arrives. Loop thread only.
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }

  // The version of the snapshot this worker's loop has swapped in (0: none). Any thread.
  uint64_t adopted_version() const { return adopted_version_.load(std::memory_order_acquire); }

  // Thread-safe: waits until the loop has swapped in `version` (or a newer one), for at most
  // `timeout_ms`; returns at once if the loop is not running. True if adopted.
  bool WaitAdopted(uint64_t version, int timeout_ms);

  // Thread-safe: hands a new snapshot to the loop, which swaps it in between two events.
  void Publish(std::shared_ptr<const Snapshot> snapshot);
  // Thread-safe: runs `fn` on the loop thread.
  void Post(std::function<void()> fn);

  // Sockets with output to send once the current callback stack has returned (loop thread).
  void QueueFlush(StreamSocket* s);
  void CancelFlush(StreamSocket* s);

  // Destroys `obj` once the loop is back from the current callback.
  void DeferDelete(std::unique_ptr<Deferrable> obj);

  // Client connections (loop thread only).
  void SetConnectionBudget(ConnectionBudget* budget) { budget_ = budget; }
  bool AtConnectionLimit() const { return budget_ != nullptr && budget_->open.load() >= budget_->max; }
  void AddConnection(Drainable* c);
  void RemoveConnection(Drainable* c);
  size_t connection_count() const { return connections_.size(); }
  // Open client connections of the whole process (any thread).
  int64_t open_connections() const { return budget_ == nullptr ? 0 : budget_->open.load(); }
  bool draining() const { return draining_; }
  // Runs on the loop thread when draining starts (the listeners close there).
  void OnDrain(std::function<void()> fn) { on_drain_.push_back(std::move(fn)); }

  // Thread-safe: stop accepting, let requests in flight finish, close idle connections, and stop
  // the loop once no connection is left or after `deadline_ms`.
  void Drain(uint32_t deadline_ms);

  // Runs the loop until Stop().
  void Run();
  // Thread-safe.
  void Stop();

 private:
  static void OnNotify(evutil_socket_t, short, void* arg);
  static void OnDeferred(evutil_socket_t, short, void* arg);
  static void OnFlush(evutil_socket_t, short, void* arg);
  void Wake();

  int index_;
  event_base* base_;
  evdns_base* dns_;
  std::unique_ptr<ConnectionPool> pool_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::atomic<uint64_t> adopted_version_{0};
  std::atomic<bool> running_{false};
  std::condition_variable adopted_cv_;
  int notify_fd_ = -1;
  event* notify_ev_;
  event* deferred_ev_;
  event* flush_ev_;
  std::vector<StreamSocket*> flush_queue_;
  std::vector<std::unique_ptr<Deferrable>> deferred_;
  ConnectionBudget* budget_ = nullptr;
  absl::flat_hash_set<Drainable*> connections_;
  std::vector<std::function<void()>> on_drain_;
  bool draining_ = false;
  event* drain_check_ev_ = nullptr;
  int64_t drain_deadline_ms_ = 0;
  static void OnDrainCheck(evutil_socket_t, short, void* arg);

  std::mutex mu_;
  std::shared_ptr<const Snapshot> pending_snapshot_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice
