#pragma once
// LazyTimer: one deadline per connection, re-armed without touching libevent's timer heap on the
// request path (as nginx does). Arm() only moves the deadline when a pending timer is already due
// no later than it; that timer, firing early, re-arms itself for the rest. A keep-alive
// connection then costs about one evtimer_add per timeout period instead of several per request
// (and per body chunk).
#include <event2/event.h>

#include <cstdint>

namespace sluice {

class LazyTimer {
 public:
  // `on_expired(arg)` runs on the loop when an armed deadline passes.
  LazyTimer(event_base* base, void (*on_expired)(void*), void* arg);
  ~LazyTimer();
  LazyTimer(const LazyTimer&) = delete;
  LazyTimer& operator=(const LazyTimer&) = delete;

  // The deadline is now + ms (the loop's cached time), replacing any earlier one.
  void Arm(uint32_t ms);
  // No deadline: a pending timer finds nothing to do when it fires.
  void Disarm() { armed_ = false; }
  // Disarms and removes the pending timer (the owner is closing).
  void Cancel();

 private:
  static void OnFire(evutil_socket_t, short, void* arg);
  void Schedule(int64_t now_ms, int64_t ms);

  event_base* base_;
  event* ev_;
  void (*on_expired_)(void*);
  void* arg_;
  bool armed_ = false;
  int64_t deadline_ms_ = 0;
  int64_t fires_ms_ = 0;  // when the pending timer fires (0: none pending)
};

}  // namespace sluice
