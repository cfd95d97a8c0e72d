#include "engine/loop/executor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "engine/scheduler/step_plan_codec.h"

namespace turbine {

namespace {

// FNV-1a over a step's tokens and their per-sequence offsets.
uint64_t checksum(const StepTokens& tokens) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](int64_t v) {
    for (int b = 0; b < 8; ++b) h = (h ^ uint64_t((v >> (8 * b)) & 0xff)) * 1099511628211ull;
  };
  for (const int32_t id : tokens.ids) mix(id);
  for (const int offset : tokens.offsets) mix(offset);
  return h;
}

}  // namespace

Executor::Executor(std::vector<std::unique_ptr<Worker>> workers, bool verify_lockstep)
    : workers_(std::move(workers)), verify_lockstep_(verify_lockstep) {
  TURBINE_CHECK(!workers_.empty(), "an executor needs a worker");
  for (size_t i = 0; i < workers_.size(); ++i) {
    const Communicator& c = workers_[i]->communicator();
    TURBINE_CHECK(c.rank() == int(i) && c.world_size() == int(workers_.size()),
                  "worker {} has rank {} of {} in its group", i, c.rank(), c.world_size());
  }
  for (size_t i = 1; i < workers_.size(); ++i) followers_.emplace_back([this, i] { follow(*workers_[i]); });
}

Executor::~Executor() {
  if (followers_.empty()) return;
  try {
    send(Command::kStop);
  } catch (const std::exception& e) {
    // The group failed: wake any follower still waiting for a command.
    driver().communicator().abort(fmt::format("the executor is stopping after a failure: {}", e.what()));
  }
  for (std::thread& t : followers_) t.join();
}

void Executor::send(Command command, std::vector<uint8_t>* payload) {
  Header header;
  header.command = command;
  header.payload_bytes = payload ? payload->size() : 0;
  Communicator& c = driver().communicator();
  c.broadcast(&header, sizeof(header), 0);
  if (payload && !payload->empty()) c.broadcast(payload->data(), payload->size(), 0);
}

void Executor::launch(const SchedulerOutput& plan) {
  if (!followers_.empty()) {
    encode_step_plan(plan, plan_bytes_);
    send(Command::kLaunch, &plan_bytes_);
  }
  driver().runner().launch(plan);
}

StepResult Executor::collect() {
  if (followers_.empty()) return driver().runner().collect();
  send(Command::kCollect);
  StepResult result = driver().runner().collect();
  ++num_collects_;
  if (verify_lockstep_) {
    const std::vector<uint64_t> theirs = exchange_checksums(driver().communicator(), result.tokens);
    const uint64_t mine = checksum(result.tokens);
    for (size_t r = 0; r < theirs.size(); ++r)
      if (theirs[r] != mine)
        fail("worker {} sampled other tokens than the driver in collect {}: the workers are out of lockstep", r + 1,
             num_collects_);
  }
  return result;
}

std::vector<uint64_t> Executor::exchange_checksums(Communicator& communicator, const StepTokens& tokens) const {
  std::vector<uint64_t> sums(workers_.size() - 1);
  for (int root = 1; root < int(workers_.size()); ++root) {
    uint64_t value = communicator.rank() == root ? checksum(tokens) : 0;
    communicator.broadcast(&value, sizeof(value), root);
    sums[size_t(root - 1)] = value;
  }
  return sums;
}

void Executor::follow(Worker& worker) {
  Communicator& c = worker.communicator();
  std::vector<uint8_t> bytes;
  try {
    for (;;) {
      Header header;
      c.broadcast(&header, sizeof(header), 0);
      switch (header.command) {
        case Command::kLaunch: {
          bytes.resize(header.payload_bytes);
          if (!bytes.empty()) c.broadcast(bytes.data(), bytes.size(), 0);
          worker.runner().launch(decode_step_plan(bytes));
          break;
        }
        case Command::kCollect: {
          const StepResult result = worker.runner().collect();
          if (verify_lockstep_) exchange_checksums(c, result.tokens);
          break;
        }
        case Command::kStop: return;
        default: fail("unknown executor command {}", uint32_t(header.command));  // bytes from the wire
      }
    }
  } catch (const CommunicatorAborted&) {
    // The group failed elsewhere (or is being torn down): nothing more to run.
  } catch (const std::exception& e) {
    spdlog::error("worker {} failed: {}", c.rank(), e.what());
    c.abort(fmt::format("worker {}: {}", c.rank(), e.what()));
  }
}

}  // namespace turbine
