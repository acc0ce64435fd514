#include "dataplane/net/worker.h"

#include <event2/dns.h>
#include <event2/thread.h>

#include <cstdlib>

#include "common/log.h"
#include "dataplane/upstream/connection_pool.h"

namespace sluice {

Worker::Worker(int index) : index_(index) {
  static const bool threads_ready = [] { return evthread_use_pthreads() == 0; }();
  if (!threads_ready) abort();
  base_ = event_base_new();
  if (base_ == nullptr) abort();
  dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  if (dns_ == nullptr) {
    // No resolv.conf: numeric hosts still work; names fail with a clear upstream error.
    dns_ = evdns_base_new(base_, 0);
  }
  pool_ = std::make_unique<ConnectionPool>(this);
  notify_ev_ = event_new(base_, -1, 0, &Worker::OnNotify, this);
  deferred_ev_ = event_new(base_, -1, 0, &Worker::OnDeferred, this);
}

Worker::~Worker() {
  deferred_.clear();
  pool_.reset();
  event_free(notify_ev_);
  event_free(deferred_ev_);
  if (dns_ != nullptr) evdns_base_free(dns_, 0);
  event_base_free(base_);
}

void Worker::Publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_snapshot_ = std::move(snapshot);
  }
  event_active(notify_ev_, 0, 0);
}

void Worker::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  event_active(notify_ev_, 0, 0);
}

void Worker::OnNotify(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  std::shared_ptr<const Snapshot> snap;
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    snap = std::move(self->pending_snapshot_);
    fns.swap(self->posted_);
  }
  if (snap) {
    self->snapshot_ = std::move(snap);
    self->adopted_version_.store(self->snapshot_->version(), std::memory_order_release);
  }
  for (auto& fn : fns) fn();
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

void Worker::Run() { event_base_loop(base_, 0); }

void Worker::Stop() { event_base_loopbreak(base_); }

}  // namespace sluice
