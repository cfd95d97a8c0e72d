// ThreadPool: a fixed set of worker threads for data-parallel loops with low dispatch latency.
//
// A decode step calls parallel_for a few hundred times per token, each call doing microseconds
// of work, so dispatch must cost about a microsecond: workers spin for a short while after each
// job (the next one usually comes quickly) and only then sleep on a futex. [0, n) is cut into
// num_threads() static contiguous parts (part p gets [n * p / P, n * (p + 1) / P)), so each
// part is one contiguous stream of memory. Parts are claimed, not assigned: the caller and the
// workers take the next unclaimed part until none is left. A worker that is slow to wake (the
// machine is busy, or it was asleep) therefore never holds the caller up: the caller runs its
// part too, and parallel_for degrades to serial speed instead of waiting on the scheduler.
//
// Contract:
//  - num_threads() counts the caller; there are num_threads() - 1 workers. fn is called only on
//    non-empty ranges, every index of [0, n) is covered exactly once, and parallel_for returns
//    when all parts are done.
//  - fn must not throw (a throw from a worker terminates the process).
//  - One dispatch at a time: a parallel_for issued while another is running (from fn itself,
//    or from another thread) runs serially on its calling thread instead of deadlocking.
//  - The pool owns its threads; there is no global pool. Destruction joins the workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace turbine {

class ThreadPool {
 public:
  // num_threads <= 0 means default_thread_count().
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The number of physical cores available to this process (see physical_core_count()).
  static int default_thread_count();

  int num_threads() const { return num_threads_; }

  template <typename Fn>
  void parallel_for(int64_t n, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run(n, [](void* ctx, int64_t begin, int64_t end) { (*static_cast<F*>(ctx))(begin, end); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);

  void run(int64_t n, RangeFn fn, void* ctx);
  // Claims and runs parts of job `generation` until none is left.
  void run_parts(uint32_t generation);
  void worker_loop();
  void wait_for_parts();

  int num_threads_ = 1;

  // The current job. Written by the caller before it publishes the job's claim word and
  // generation (release); read by a participant only after it claimed a part of that job, which
  // keeps the job alive until the part is done.
  RangeFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_n_ = 0;

  alignas(64) std::atomic<uint32_t> generation_{0};  // bumped once per job (futex word)
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<uint64_t> claim_{0};  // generation << 32 | next unclaimed part
  alignas(64) std::atomic<uint32_t> pending_{0};  // parts not finished yet (futex word)
  std::atomic<bool> caller_sleeping_{false};
  alignas(64) std::atomic<bool> dispatching_{false};

  std::vector<std::thread> workers_;
};

}  // namespace turbine
