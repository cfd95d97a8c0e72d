#include "bench/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace turbine::bench {

ProgressBar::ProgressBar(size_t total, std::string unit, bool enabled)
    : total_(total), unit_(std::move(unit)), enabled_(enabled && total > 0), tty_(::isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(size_t done) {
  if (!enabled_ || finished_ || done == shown_) return;
  if (tty_) {
    // At most ~20 redraws a second, and always the last one.
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
  } else if (shown_ != size_t(-1) && done * 10 / total_ == shown_ * 10 / total_ && done < total_) {
    return;
  }
  shown_ = done;
  draw(done);
}

void ProgressBar::finish() {
  if (!enabled_ || finished_) return;
  if (shown_ != total_) draw(shown_ == size_t(-1) ? 0 : shown_);
  if (tty_) std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::draw(size_t done) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int width = 30, filled = int(width * done / total_);
  std::fprintf(stderr, "%s%3d%% [%s%s] %zu/%zu %s [%.1f s, %.2f %s/s]%s", tty_ ? "\r" : "", int(100 * done / total_),
               std::string(size_t(filled), '=').c_str(), std::string(size_t(width - filled), ' ').c_str(), done,
               total_, unit_.c_str(), elapsed, elapsed > 0 ? double(done) / elapsed : 0.0, unit_.c_str(),
               tty_ ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace turbine::bench
