#include "engine/loop/worker.h"

namespace turbine {

Worker::Worker(Model& model, Backend& backend, Communicator& communicator, const WorkerSetup& setup)
    : communicator_(communicator),
      runner_(std::make_unique<ModelRunner>(model, backend, setup.num_blocks, setup.block_size)) {
  runner_->reserve_logits(setup.max_num_seqs);
  runner_->set_grammar_compiler(setup.grammars);
}

int Worker::capture_graphs(const WorkerSetup& setup) {
  graphs_enabled_ = !setup.enforce_eager && runner_->enable_decode_graphs(setup.max_num_seqs, setup.max_model_len);
  return graphs_enabled_ ? runner_->capture_decode_graphs() : 0;
}

}  // namespace turbine
