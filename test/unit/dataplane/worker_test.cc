// Worker: snapshots published from another thread are adopted by each loop, WaitAdopted() sees
// them, Post() runs on the loop thread, and Stop()/Drain() end the loop from outside. Meant to be
// run under ThreadSanitizer too (tools/dev test --tsan).
#include "dataplane/net/worker.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace sluice {
namespace {

std::shared_ptr<const Snapshot> SnapshotAt(uint64_t version) {
  ConfigSet config;
  config.set_version(version);
  auto snap = Snapshot::Build(config);
  REQUIRE(snap.ok());
  return *snap;
}

TEST_CASE("workers adopt snapshots published from another thread", "[worker]") {
  constexpr int kWorkers = 3;
  std::vector<std::unique_ptr<Worker>> workers;
  ConnectionBudget budget;
  for (int i = 0; i < kWorkers; ++i) {
    workers.push_back(std::make_unique<Worker>(i));
    workers.back()->SetConnectionBudget(&budget);
  }
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  // WaitAdopted() returns at once for a loop that is not running yet: wait until each runs (a
  // posted task has run), or a slow thread start would make the checks below meaningless.
  for (auto& w : workers) {
    std::atomic<bool> ran{false};
    w->Post([&ran] { ran = true; });
    for (int i = 0; i < 5000 && !ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(ran);
  }

  // Every loop reads the snapshot it holds on its own thread while versions keep coming.
  std::atomic<uint64_t> max_seen{0};
  std::atomic<bool> stop_readers{false};
  std::thread reader([&] {
    while (!stop_readers) {
      for (auto& w : workers) {
        w->Post([&max_seen, wp = w.get()] {
          const auto& s = wp->snapshot();
          if (s) {
            uint64_t v = s->version();
            uint64_t cur = max_seen.load();
            while (v > cur && !max_seen.compare_exchange_weak(cur, v)) {
            }
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });

  for (uint64_t v = 1; v <= 200; ++v) {
    auto snap = SnapshotAt(v);
    for (auto& w : workers) w->Publish(snap);
    for (auto& w : workers) REQUIRE(w->WaitAdopted(v, 5000));
  }
  for (auto& w : workers) CHECK(w->adopted_version() == 200);
  // On a loaded machine the reader may not have had a turn yet: give it one.
  for (int i = 0; i < 5000 && max_seen.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop_readers = true;
  reader.join();
  CHECK(max_seen.load() > 0);
  CHECK(max_seen.load() <= 200);

  for (auto& w : workers) w->Stop();
  for (auto& t : threads) t.join();
  // A stopped loop no longer blocks anyone waiting for a version.
  CHECK(workers[0]->WaitAdopted(1000, 5000));
}

TEST_CASE("a worker with no connections drains at once", "[worker]") {
  Worker w(0);
  ConnectionBudget budget;
  w.SetConnectionBudget(&budget);
  std::atomic<bool> hook_ran{false};
  w.OnDrain([&] { hook_ran = true; });
  std::thread t([&] { w.Run(); });
  auto start = std::chrono::steady_clock::now();
  w.Drain(10000);
  t.join();
  CHECK(hook_ran);
  CHECK(w.draining());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

}  // namespace
}  // namespace sluice
