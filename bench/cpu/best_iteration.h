// BestIteration: the fastest single iteration of a benchmark loop.
//
// The benchmark machine is shared with compilers: an average over iterations measures how much
// CPU we were given as much as the code. The fastest iteration (of many short ones) is the one
// that ran undisturbed; benchmarks report rates from it as "<counter>_best" next to the usual
// averaged counter, and runs with --benchmark_repetitions give the median of either.
#pragma once

#include <chrono>
#include <limits>

namespace turbine::bench {

class BestIteration {
 public:
  void start() { start_ = std::chrono::steady_clock::now(); }
  void stop() {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (s < best_seconds_) best_seconds_ = s;
  }
  double seconds() const { return best_seconds_; }
  // Units of work per second in the best iteration.
  double rate(double work_per_iteration) const { return work_per_iteration / best_seconds_; }

 private:
  std::chrono::steady_clock::time_point start_;
  double best_seconds_ = std::numeric_limits<double>::infinity();
};

}  // namespace turbine::bench
