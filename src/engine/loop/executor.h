// Executor: runs the engine's step plans on its workers (worker.h).
//
// The engine thread drives it as it would drive one runner: launch(plan) queues a step on every
// worker, collect() returns the driver's (worker 0's) results. With one worker that is all it
// does, at no cost. With more (tensor parallelism; today, whole-model replicas in CPU tests), each
// follower runs on a thread of its own and takes every command from the driver through the
// group's communicator: a fixed header (launch, collect or stop, and the payload's size), then for
// a launch the plan encoded as bytes (engine/scheduler/step_plan_codec.h), so that the same
// protocol carries over to workers in other processes. Followers collect their own results and
// drop them: under tensor parallelism every rank samples the same tokens from the same
// (all-reduced) logits.
//
// With verify_lockstep, every collect also checks that each follower produced the driver's tokens
// (a checksum of its StepTokens, broadcast from each follower in turn): a desynchronised worker
// fails the step naming its rank instead of going unnoticed. For tests and debugging; it adds one
// small collective per follower per step.
//
// Failure: a follower that throws aborts the group, so the driver's next command throws
// CommunicatorAborted and fails the engine's step as any error does. Destroying the executor
// stops the followers (aborting the group if it has failed) and joins their threads.
//
// The engine thread alone calls launch() and collect().
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "engine/loop/worker.h"
#include "engine/scheduler/scheduler_output.h"

namespace turbine {

class Executor {
 public:
  // workers[0] is the driver; worker i's communicator must be rank i of one group of
  // workers.size() ranks. Starts the followers' threads.
  explicit Executor(std::vector<std::unique_ptr<Worker>> workers, bool verify_lockstep = false);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues the step on every worker (ModelRunner::launch's contract).
  void launch(const SchedulerOutput& plan);
  // The driver's results of the oldest launched step (ModelRunner::collect).
  StepResult collect();

  Worker& driver() { return *workers_[0]; }
  const ModelRunner::HostTimes& host_times() const { return workers_[0]->runner().host_times(); }

 private:
  enum class Command : uint32_t { kLaunch = 1, kCollect = 2, kStop = 3 };
  struct Header {
    Command command = Command::kStop;
    uint32_t reserved = 0;
    uint64_t payload_bytes = 0;
  };
  void send(Command command, std::vector<uint8_t>* payload = nullptr);
  // Every rank's share of the lockstep check after a collect: returns the checksums of the
  // followers' tokens (rank 1, 2, ...), each rank contributing its own.
  std::vector<uint64_t> exchange_checksums(Communicator& communicator, const StepTokens& tokens) const;
  void follow(Worker& worker);  // a follower's loop, on its own thread

  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> followers_;
  std::vector<uint8_t> plan_bytes_;  // the driver's encoding buffer, reused step to step
  bool verify_lockstep_ = false;
  uint64_t num_collects_ = 0;
};

}  // namespace turbine
