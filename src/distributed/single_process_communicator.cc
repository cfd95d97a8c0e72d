#include "distributed/single_process_communicator.h"

#include <cstring>

#include "distributed/collective_args.h"

namespace turbine {

void SingleProcessCommunicator::all_reduce_sum(Tensor& x) { fail_if(all_reduce_args_problem(x, 0)); }

void SingleProcessCommunicator::all_gather(const Tensor& in, Tensor& out) {
  fail_if(all_gather_args_problem(in, out, 0, 1));
  if (in.data != out.data && in.nbytes() > 0) std::memcpy(out.data, in.data, in.nbytes());
}

void SingleProcessCommunicator::broadcast(void* data, size_t bytes, int root) {
  fail_if(broadcast_args_problem(data, bytes, root, 0, 1));
}

void SingleProcessCommunicator::barrier() { fail_if({}); }

void SingleProcessCommunicator::abort(std::string_view reason) {
  std::lock_guard lock(mutex_);
  if (aborted_) return;
  aborted_ = true;
  abort_reason_ = std::string(reason);
}

void SingleProcessCommunicator::fail_if(const std::string& problem) {
  if (!problem.empty()) abort(problem);
  std::lock_guard lock(mutex_);
  if (aborted_) throw CommunicatorAborted(abort_reason_);
}

}  // namespace turbine
