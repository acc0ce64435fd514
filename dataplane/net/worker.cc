#include "dataplane/net/worker.h"

#include <event2/dns.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "common/log.h"
#include "dataplane/net/stream_socket.h"
#include "dataplane/upstream/connection_pool.h"

namespace sluice {

Worker::Worker(int index) : index_(index) {
  // No evthread locking: each event base is touched by its own thread only, and other threads
  // reach it through the eventfd below. That keeps a mutex out of every bufferevent call.
  base_ = event_base_new();
  if (base_ == nullptr) abort();
  dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  if (dns_ == nullptr) {
    // No resolv.conf: numeric hosts still work; names fail with a clear upstream error.
    dns_ = evdns_base_new(base_, 0);
  }
  pool_ = std::make_unique<ConnectionPool>(this);
  notify_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (notify_fd_ < 0) abort();
  notify_ev_ = event_new(base_, notify_fd_, EV_READ | EV_PERSIST, &Worker::OnNotify, this);
  event_add(notify_ev_, nullptr);
  deferred_ev_ = event_new(base_, -1, 0, &Worker::OnDeferred, this);
  flush_ev_ = event_new(base_, -1, 0, &Worker::OnFlush, this);
}

Worker::~Worker() {
  deferred_.clear();
  if (drain_check_ev_ != nullptr) event_free(drain_check_ev_);
  pool_.reset();
  event_free(notify_ev_);
  close(notify_fd_);
  event_free(deferred_ev_);
  event_free(flush_ev_);
  if (dns_ != nullptr) evdns_base_free(dns_, 0);
  event_base_free(base_);
}

void Worker::Publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_snapshot_ = std::move(snapshot);
  }
  Wake();
}

void Worker::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  Wake();
}

void Worker::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop is woken either way.
  ssize_t n = write(notify_fd_, &one, sizeof one);
  (void)n;
}

void Worker::OnNotify(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  uint64_t count;
  ssize_t n = read(self->notify_fd_, &count, sizeof count);
  (void)n;
  std::shared_ptr<const Snapshot> snap;
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    snap = std::move(self->pending_snapshot_);
    fns.swap(self->posted_);
  }
  if (snap) {
    self->snapshot_ = std::move(snap);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->adopted_version_.store(self->snapshot_->version(), std::memory_order_release);
    }
    self->adopted_cv_.notify_all();
  }
  for (auto& fn : fns) fn();
}

void Worker::QueueFlush(StreamSocket* s) {
  flush_queue_.push_back(s);
  if (flush_queue_.size() == 1) event_active(flush_ev_, 0, 0);
}

void Worker::CancelFlush(StreamSocket* s) {
  for (StreamSocket*& q : flush_queue_) {
    if (q == s) q = nullptr;
  }
}

void Worker::OnFlush(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  // A flush may queue more (a drained client resumes its upstream, which then has output).
  while (!self->flush_queue_.empty()) {
    std::vector<StreamSocket*> batch;
    batch.swap(self->flush_queue_);
    for (StreamSocket* s : batch) {
      if (s != nullptr) s->Flush();
    }
  }
}

void Worker::DeferDelete(std::unique_ptr<Deferrable> obj) {
  deferred_.push_back(std::move(obj));
  if (deferred_.size() == 1) event_active(deferred_ev_, 0, 0);
}

void Worker::OnDeferred(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  // Destructors may defer more objects; loop until none are left.
  while (!self->deferred_.empty()) {
    std::vector<std::unique_ptr<Deferrable>> batch;
    batch.swap(self->deferred_);
    batch.clear();
  }
}

void Worker::AddConnection(Drainable* c) {
  connections_.insert(c);
  if (budget_ != nullptr) budget_->open.fetch_add(1, std::memory_order_relaxed);
}

void Worker::RemoveConnection(Drainable* c) {
  if (connections_.erase(c) > 0 && budget_ != nullptr) {
    budget_->open.fetch_sub(1, std::memory_order_relaxed);
  }
}

static int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Worker::Drain(uint32_t deadline_ms) {
  Post([this, deadline_ms] {
    if (draining_) return;
    draining_ = true;
    drain_deadline_ms_ = MonotonicMs() + deadline_ms;
    for (auto& fn : on_drain_) fn();
    // Drain() may close a connection at once, which removes it from the set.
    std::vector<Drainable*> open(connections_.begin(), connections_.end());
    for (Drainable* c : open) c->Drain();
    drain_check_ev_ = event_new(base_, -1, EV_PERSIST, &Worker::OnDrainCheck, this);
    timeval tick{0, 50 * 1000};
    event_add(drain_check_ev_, &tick);
    OnDrainCheck(-1, 0, this);
  });
}

void Worker::OnDrainCheck(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  // Every worker waits for the whole process to be drained, so the status listener (on worker 0)
  // keeps answering /ready with 503 until the end.
  bool all_closed = self->budget_ != nullptr ? self->budget_->open.load() == 0
                                             : self->connections_.empty();
  if (all_closed) {
    event_base_loopbreak(self->base_);
  } else if (MonotonicMs() >= self->drain_deadline_ms_) {
    LOG_WARN("worker ", self->index_, ": drain deadline passed with ", self->connections_.size(),
             " connections still open; closing them");
    event_base_loopbreak(self->base_);
  }
}

bool Worker::WaitAdopted(uint64_t version, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return adopted_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return !running_.load() || adopted_version_.load() >= version;
  });
}

void Worker::Run() {
  running_.store(true);
  event_base_loop(base_, 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.store(false);
  }
  adopted_cv_.notify_all();
}

void Worker::Stop() {
  Post([this] { event_base_loopbreak(base_); });
}

}  // namespace sluice
