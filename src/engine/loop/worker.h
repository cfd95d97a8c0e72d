// Worker: one device's part of the engine. It holds that device's backend, its model (today the
// whole model; a shard of it under tensor parallelism), the runner that executes step plans on
// them, and its seat in the workers' communicator group. The executor drives workers; nothing
// else touches them.
//
// Every worker of a group runs every step plan (the executor hands the driver's plans to the
// others), so their runners stay in lockstep: the same sequences, block tables and samples.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "distributed/communicator.h"
#include "model/model.h"
#include "runner/model_runner.h"

namespace turbine {

// What a worker prepares before the first step (the same on every worker).
struct WorkerSetup {
  int num_blocks = 0;      // KV blocks, the reserved null block included
  int block_size = 16;
  int max_num_seqs = 1;    // logits rows reserved, and the largest decode graph
  int max_model_len = 1;
  bool enforce_eager = false;
  std::shared_ptr<structured::GrammarCompiler> grammars;  // structured output; may be null
};

class Worker {
 public:
  // Builds the runner (allocating the worker's KV cache) and reserves its logits; `communicator`
  // must outlive the worker.
  Worker(Model& model, Backend& backend, Communicator& communicator, const WorkerSetup& setup);

  // Enables and captures the decode graphs where the backend and model allow it (not with
  // enforce_eager); returns how many it captured. Call once, before the first step.
  int capture_graphs(const WorkerSetup& setup);
  bool graphs_enabled() const { return graphs_enabled_; }

  ModelRunner& runner() { return *runner_; }
  const ModelRunner& runner() const { return *runner_; }
  Communicator& communicator() { return communicator_; }

 private:
  Communicator& communicator_;
  std::unique_ptr<ModelRunner> runner_;
  bool graphs_enabled_ = false;
};

}  // namespace turbine
