#include "run_ranks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace turbine {

std::vector<std::exception_ptr> run_ranks(std::vector<std::unique_ptr<Communicator>> ranks,
                                          const std::function<void(Communicator&)>& fn, int deadline_seconds) {
  const size_t world = ranks.size();
  std::vector<std::exception_ptr> errors(world);
  std::mutex mutex;
  std::condition_variable finished;
  size_t num_finished = 0;
  std::vector<std::thread> threads;
  for (size_t r = 0; r < world; ++r) {
    threads.emplace_back([&, r, comm = std::move(ranks[r])]() mutable {
      try {
        fn(*comm);
      } catch (...) {
        errors[r] = std::current_exception();
      }
      comm.reset();  // as a worker thread would on its way out
      std::lock_guard lock(mutex);
      ++num_finished;
      finished.notify_all();
    });
  }
  {
    std::unique_lock lock(mutex);
    if (!finished.wait_for(lock, std::chrono::seconds(deadline_seconds), [&] { return num_finished == world; })) {
      std::fprintf(stderr, "run_ranks: %zu of %zu ranks still running after %d s: the group hung\n",
                   world - num_finished, world, deadline_seconds);
      std::abort();
    }
  }
  for (auto& thread : threads) thread.join();
  return errors;
}

std::string message_of(const std::exception_ptr& error) {
  if (!error) return {};
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(not a std::exception)";
  }
}

void expect_no_errors(const std::vector<std::exception_ptr>& errors) {
  for (size_t r = 0; r < errors.size(); ++r)
    EXPECT_FALSE(errors[r]) << "rank " << r << " threw: " << message_of(errors[r]);
}

}  // namespace turbine
