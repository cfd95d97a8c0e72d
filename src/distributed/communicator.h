// Communicator: the collectives between the ranks (workers) of one model.
//
// Under tensor parallelism the executor owns N workers (backend, model, runner), one per device,
// each driven by its own thread or process; a worker's Communicator is its seat in the group. A
// row-parallel projection all-reduces its partial sums, a column-parallel one all-gathers its
// slices, and the executor broadcasts each step's plan from rank 0. Implementations:
// SingleProcessCommunicator (world_size 1, what the engine uses today), InProcessCommunicator (N
// ranks as threads of one process, for CPU tests) and, with the GPU work, NCCL.
//
// Contract, for every implementation:
//  - Every rank calls the same collectives in the same order, with matching arguments (the same
//    dtype and shape, the same byte count and root). A rank that calls a collective waits until
//    every rank has called it. Mismatches are detected where that is cheap (the in-process group
//    compares every rank's arguments), and otherwise are undefined behaviour, as in NCCL.
//  - Tensors live in the rank's backend memory: host memory for the CPU backend (and for the two
//    implementations here), device memory for a GPU backend.
//  - Ranks' buffers are distinct memory: no rank's output may overlap another rank's buffers.
//  - One thread at a time uses a given rank's Communicator; abort() may come from any thread.
//  - Failure: a collective that fails (bad arguments, a mismatch between ranks, or a group that
//    was aborted) throws CommunicatorAborted on every rank, and every later collective throws it
//    too. A rank that fails outside the collectives must call abort() (destroying its
//    Communicator does too), so that the others get an error instead of waiting forever.
//    A mismatch is a bug in the caller, but it is thrown rather than TURBINE_CHECKed so that every
//    rank reports it and the executor can stop its workers in order.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/tensor.h"

namespace turbine {

// Thrown by a collective of a group that failed; what() says why (the first reason given).
class CommunicatorAborted : public Error {
 public:
  explicit CommunicatorAborted(const std::string& reason)
      : Error("communicator group aborted: " + reason), reason_(reason) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  // This rank's index in [0, world_size()).
  virtual int rank() const = 0;
  virtual int world_size() const = 0;

  // x = the sum of every rank's x, elementwise, in place; every rank gets bit-identical values.
  // F32 sums in float; BF16 and F16 sum in float and round once to the dtype at the end (round
  // to nearest even). The summation order is fixed per implementation and world size (the
  // in-process group adds in rank order: ((x0 + x1) + x2) + ...), so results are deterministic.
  virtual void all_reduce_sum(Tensor& x) = 0;

  // out = every rank's `in` concatenated by rows in rank order: rank r's rows land at
  // out rows [r * in.rows, (r + 1) * in.rows). Every rank passes the same in.rows, in.cols and
  // dtype; out is [world_size() * in.rows, in.cols] of that dtype. `in` may be exactly rank r's
  // block of out (in place); otherwise it must not overlap out. Rows only: a column-parallel
  // result is gathered as [world_size * tokens, cols / world_size] and re-laid out by the caller.
  virtual void all_gather(const Tensor& in, Tensor& out) = 0;

  // Copies `bytes` bytes from the root's `data` into every other rank's `data`. For host-side
  // byte buffers (a serialized step plan): `data` is host memory on every implementation. Every
  // rank passes the same bytes and root; bytes may be 0 (data may then be null).
  virtual void broadcast(void* data, size_t bytes, int root) = 0;

  // Returns once every rank has called barrier().
  virtual void barrier() = 0;

  // Marks the group as failed: ranks waiting for the others in a collective, and every later
  // collective on any rank, throw CommunicatorAborted(reason). (A collective that every rank has
  // already joined may still finish.) The first reason wins; later calls do nothing.
  virtual void abort(std::string_view reason) = 0;
};

}  // namespace turbine
