#include "dataplane/net/lazy_timer.h"

namespace sluice {

namespace {
int64_t CachedNowMs(event_base* base) {
  timeval tv;
  event_base_gettimeofday_cached(base, &tv);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}
}  // namespace

LazyTimer::LazyTimer(event_base* base, void (*on_expired)(void*), void* arg)
    : base_(base), ev_(evtimer_new(base, &OnFire, this)), on_expired_(on_expired), arg_(arg) {}

LazyTimer::~LazyTimer() { event_free(ev_); }

void LazyTimer::Arm(uint32_t ms) {
  int64_t now = CachedNowMs(base_);
  armed_ = true;
  deadline_ms_ = now + ms;
  if (fires_ms_ != 0 && fires_ms_ <= deadline_ms_) return;
  Schedule(now, ms);
}

void LazyTimer::Cancel() {
  armed_ = false;
  fires_ms_ = 0;
  evtimer_del(ev_);
}

void LazyTimer::Schedule(int64_t now_ms, int64_t ms) {
  fires_ms_ = now_ms + ms;
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(ev_, &tv);
}

void LazyTimer::OnFire(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<LazyTimer*>(arg);
  self->fires_ms_ = 0;
  if (!self->armed_) return;
  int64_t now = CachedNowMs(self->base_);
  if (now < self->deadline_ms_) {
    self->Schedule(now, self->deadline_ms_ - now);
    return;
  }
  self->armed_ = false;
  self->on_expired_(self->arg_);
}

}  // namespace sluice
