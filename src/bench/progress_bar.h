// A progress bar on stderr, like the tqdm bar of vLLM's benchmarks: redrawn in place on a
// terminal; on a pipe or file (CI logs), one line at every tenth instead of a stream of "\r".
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace turbine::bench {

class ProgressBar {
 public:
  ProgressBar(size_t total, std::string unit, bool enabled);
  void update(size_t done);  // redraws when something changed
  void finish();             // the last line and a newline (once)

 private:
  void draw(size_t done);

  size_t total_;
  std::string unit_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  size_t shown_ = size_t(-1);
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace turbine::bench
