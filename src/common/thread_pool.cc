#include "common/thread_pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <climits>

#include "common/cpu_features.h"
#include "common/error.h"

namespace turbine {
namespace {

// How long a thread spins before sleeping. Workers spin across the gap between two ops of a
// decode step (a few microseconds of single-threaded work); the caller spins while workers
// finish the parts they claimed, which normally end within microseconds of its own.
constexpr auto kWorkerSpin = std::chrono::microseconds(200);
constexpr auto kCallerSpin = std::chrono::microseconds(200);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

// Spins until done() or the time limit; returns done().
template <typename Done>
bool spin_until(Done done, std::chrono::microseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() - start > limit) return done();
  }
}

}  // namespace

int ThreadPool::default_thread_count() { return physical_core_count(); }

ThreadPool::ThreadPool(int num_threads) {
  num_threads_ = num_threads > 0 ? num_threads : default_thread_count();
  workers_.reserve(size_t(num_threads_ - 1));
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(generation_);
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run(int64_t n, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  // Serial when there is nobody to share with, when n is a single index, or when another
  // dispatch is in flight (a nested call from fn, or a second calling thread).
  if (num_threads_ == 1 || n == 1 || dispatching_.exchange(true, std::memory_order_acquire)) {
    fn(ctx, 0, n);
    return;
  }
  job_fn_ = fn;
  job_ctx_ = ctx;
  job_n_ = n;
  pending_.store(uint32_t(num_threads_), std::memory_order_relaxed);
  const uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  claim_.store(uint64_t(generation) << 32, std::memory_order_release);
  // seq_cst pairs with the workers' sleeping_workers_ increment: either a worker sees the new
  // generation before sleeping, or we see it asleep and wake it.
  generation_.store(generation, std::memory_order_seq_cst);
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) futex_wake_all(generation_);
  run_parts(generation);
  wait_for_parts();
  dispatching_.store(false, std::memory_order_release);
}

void ThreadPool::run_parts(uint32_t generation) {
  for (;;) {
    uint64_t state = claim_.load(std::memory_order_acquire);
    uint32_t part = 0;
    for (;;) {
      part = uint32_t(state);
      if (uint32_t(state >> 32) != generation || part >= uint32_t(num_threads_)) return;  // none left
      if (claim_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel, std::memory_order_acquire)) break;
    }
    const int64_t begin = job_n_ * part / num_threads_;
    const int64_t end = job_n_ * (part + 1) / num_threads_;
    if (begin < end) job_fn_(job_ctx_, begin, end);
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 && caller_sleeping_.load(std::memory_order_seq_cst)) {
      futex_wake_all(pending_);
    }
  }
}

void ThreadPool::wait_for_parts() {
  auto done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (spin_until(done, kCallerSpin)) return;
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  for (;;) {
    const uint32_t left = pending_.load(std::memory_order_seq_cst);
    if (left == 0) break;
    futex_wait(pending_, left);
  }
  caller_sleeping_.store(false, std::memory_order_relaxed);
}

void ThreadPool::worker_loop() {
  uint32_t seen = 0;  // generation 0: before any job
  for (;;) {
    auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(changed, kWorkerSpin)) {
      sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
      while (generation_.load(std::memory_order_seq_cst) == seen) futex_wait(generation_, seen);
      sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_relaxed)) return;
    run_parts(seen);
  }
}

}  // namespace turbine
