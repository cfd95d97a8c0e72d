// SingleProcessCommunicator: the group of one rank, which the engine uses while there is no
// tensor parallelism. Every collective is a no-op except all_gather out of place, which copies.
#pragma once

#include <mutex>
#include <string>

#include "distributed/communicator.h"

namespace turbine {

class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }

  // Arguments are still checked, so that code written for N ranks fails here first.
  void all_reduce_sum(Tensor& x) override;
  // Out of place, in is copied with memcpy: host memory only (Backend has no device-to-device
  // copy yet). In place (in == out) works in any memory.
  void all_gather(const Tensor& in, Tensor& out) override;
  void broadcast(void* data, size_t bytes, int root) override;
  void barrier() override;
  void abort(std::string_view reason) override;

 private:
  // Throws CommunicatorAborted if aborted, or after aborting if `problem` is not empty.
  void fail_if(const std::string& problem);

  std::mutex mutex_;
  bool aborted_ = false;
  std::string abort_reason_;
};

}  // namespace turbine
