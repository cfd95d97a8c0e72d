// Test helper: runs one function per rank of a group, each on its own thread.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distributed/communicator.h"

namespace turbine {

// Runs fn(rank's communicator) for every rank on its own thread, which owns (and at its end
// destroys) that rank's communicator, and waits for all of them. Returns each rank's exception,
// null where fn returned. A hang is a test failure, not a stuck ctest: if any rank is still
// running after `deadline_seconds`, the process says so and aborts.
std::vector<std::exception_ptr> run_ranks(std::vector<std::unique_ptr<Communicator>> ranks,
                                          const std::function<void(Communicator&)>& fn,
                                          int deadline_seconds = 60);

// what() of an exception, or "" for null.
std::string message_of(const std::exception_ptr& error);

// Adds a test failure for every rank that threw.
void expect_no_errors(const std::vector<std::exception_ptr>& errors);

}  // namespace turbine
