#include "distributed/in_process_communicator.h"

#include <fmt/format.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "distributed/collective_args.h"
#include "distributed/sum_in_rank_order.h"

namespace turbine {

namespace {

enum class Collective { kAllReduceSum, kAllGather, kBroadcast, kBarrier };

const char* collective_name(Collective c) {
  switch (c) {
    case Collective::kAllReduceSum: return "all_reduce_sum";
    case Collective::kAllGather: return "all_gather";
    case Collective::kBroadcast: return "broadcast";
    case Collective::kBarrier: return "barrier";
  }
  return "?";
}

// One rank's arguments to the collective in progress.
struct CollectiveCall {
  Collective kind = Collective::kBarrier;
  Tensor in;   // all_reduce_sum's x, all_gather's in
  Tensor out;  // all_gather's out
  void* bytes_data = nullptr;  // broadcast's buffer
  size_t bytes = 0;
  int root = 0;
};

bool same_shape(const Tensor& a, const Tensor& b) {
  return a.dtype == b.dtype && a.rows == b.rows && a.cols == b.cols;
}

// Why the ranks' calls cannot run together, or empty when they can.
std::string mismatch_between_ranks(const std::vector<CollectiveCall>& calls) {
  const CollectiveCall& first = calls[0];
  const char* name = collective_name(first.kind);
  for (size_t q = 1; q < calls.size(); ++q) {
    const CollectiveCall& call = calls[q];
    if (call.kind != first.kind)
      return fmt::format("rank {} called {} while rank 0 called {}: every rank must call the same "
                         "collectives in the same order", q, collective_name(call.kind), name);
    switch (first.kind) {
      case Collective::kAllReduceSum:
      case Collective::kAllGather:
        if (!same_shape(call.in, first.in))
          return fmt::format("{}: rank {} passed {} but rank 0 passed {}", name, q, describe_tensor(call.in),
                             describe_tensor(first.in));
        break;
      case Collective::kBroadcast:
        if (call.bytes != first.bytes || call.root != first.root)
          return fmt::format("broadcast: rank {} passed {} bytes from root {} but rank 0 passed {} bytes from "
                             "root {}", q, call.bytes, call.root, first.bytes, first.root);
        break;
      case Collective::kBarrier: break;
    }
  }
  // What each rank writes must be its own memory, or the ranks would race on it.
  for (size_t q = 0; q < calls.size(); ++q) {
    for (size_t p = 0; p < calls.size(); ++p) {
      if (p == q) continue;
      const CollectiveCall& mine = calls[q];
      const CollectiveCall& theirs = calls[p];
      bool clash = false;
      switch (first.kind) {
        case Collective::kAllReduceSum:
          clash = byte_ranges_overlap(mine.in.data, mine.in.nbytes(), theirs.in.data, theirs.in.nbytes());
          break;
        case Collective::kAllGather:
          clash = byte_ranges_overlap(mine.out.data, mine.out.nbytes(), theirs.out.data, theirs.out.nbytes()) ||
                  byte_ranges_overlap(mine.out.data, mine.out.nbytes(), theirs.in.data, theirs.in.nbytes());
          break;
        case Collective::kBroadcast:
          clash = int(q) != first.root &&
                  byte_ranges_overlap(mine.bytes_data, mine.bytes, theirs.bytes_data, theirs.bytes);
          break;
        case Collective::kBarrier: break;
      }
      if (clash)
        return fmt::format("{}: rank {} writes memory that rank {} also uses; every rank needs its own buffers",
                           name, q, p);
    }
  }
  return {};
}

// The state the ranks of one group share.
class InProcessGroup {
 public:
  explicit InProcessGroup(int world_size) : calls_(size_t(world_size)) {}

  int world_size() const { return int(calls_.size()); }

  // Phase 1: posts `call` as `rank`'s and waits for every rank's. Throws CommunicatorAborted if the
  // group is aborted before every rank has arrived, or if the calls do not match.
  void post_and_wait(int rank, const CollectiveCall& call) {
    std::unique_lock lock(mutex_);
    if (aborted_) throw CommunicatorAborted(abort_reason_);
    calls_[size_t(rank)] = call;
    const uint64_t generation = generation_;
    if (++arrived_ == world_size()) {
      arrived_ = 0;
      ++generation_;
      const std::string problem = mismatch_between_ranks(calls_);
      last_phase_failed_ = !problem.empty();
      if (last_phase_failed_) abort_locked(problem);
      everyone_arrived_.notify_all();
    } else {
      everyone_arrived_.wait(lock, [&] { return generation_ != generation || aborted_; });
    }
    // Once every rank has arrived, all go on together (or, on a mismatch, all throw) even if an
    // abort came in meanwhile: the others are about to read this rank's buffers.
    if (generation_ == generation || last_phase_failed_) throw CommunicatorAborted(abort_reason_);
  }

  // Phase 2: waits until every rank has finished moving data. Deaf to abort (see the header).
  void wait_for_all_done() {
    std::unique_lock lock(mutex_);
    const uint64_t generation = generation_;
    if (++arrived_ == world_size()) {
      arrived_ = 0;
      ++generation_;
      everyone_arrived_.notify_all();
    } else {
      everyone_arrived_.wait(lock, [&] { return generation_ != generation; });
    }
  }

  // Rank q's arguments; valid between the two phases, when no rank writes them.
  const CollectiveCall& call(int q) const { return calls_[size_t(q)]; }

  void abort(std::string_view reason) {
    std::lock_guard lock(mutex_);
    abort_locked(reason);
    everyone_arrived_.notify_all();
  }

 private:
  void abort_locked(std::string_view reason) {
    if (aborted_) return;
    aborted_ = true;
    abort_reason_ = std::string(reason);
  }

  std::mutex mutex_;
  std::condition_variable everyone_arrived_;
  int arrived_ = 0;
  uint64_t generation_ = 0;  // bumped each time every rank has arrived
  bool last_phase_failed_ = false;
  bool aborted_ = false;
  std::string abort_reason_;
  std::vector<CollectiveCall> calls_;
};

class InProcessCommunicator final : public Communicator {
 public:
  InProcessCommunicator(std::shared_ptr<InProcessGroup> group, int rank) : group_(std::move(group)), rank_(rank) {}
  ~InProcessCommunicator() override {
    group_->abort(fmt::format("rank {} left the group (its communicator was destroyed)", rank_));
  }

  int rank() const override { return rank_; }
  int world_size() const override { return group_->world_size(); }

  void all_reduce_sum(Tensor& x) override {
    check_own_args(all_reduce_args_problem(x, rank_));
    group_->post_and_wait(rank_, {.kind = Collective::kAllReduceSum, .in = x});
    const int world = world_size();
    std::vector<void*> buffers(static_cast<size_t>(world));
    for (int q = 0; q < world; ++q) buffers[size_t(q)] = group_->call(q).in.data;
    const int64_t n = x.numel();
    sum_in_rank_order(x.dtype, buffers, n * rank_ / world, n * (rank_ + 1) / world);
    group_->wait_for_all_done();
  }

  void all_gather(const Tensor& in, Tensor& out) override {
    check_own_args(all_gather_args_problem(in, out, rank_, world_size()));
    group_->post_and_wait(rank_, {.kind = Collective::kAllGather, .in = in, .out = out});
    for (int q = 0; q < world_size(); ++q) {
      const Tensor& theirs = group_->call(q).in;
      void* block = out.slice_rows(int64_t(q) * in.rows, in.rows).data;
      if (block != theirs.data && theirs.nbytes() > 0) std::memcpy(block, theirs.data, theirs.nbytes());
    }
    group_->wait_for_all_done();
  }

  void broadcast(void* data, size_t bytes, int root) override {
    check_own_args(broadcast_args_problem(data, bytes, root, rank_, world_size()));
    group_->post_and_wait(rank_, {.kind = Collective::kBroadcast, .bytes_data = data, .bytes = bytes, .root = root});
    if (rank_ != root && bytes > 0) std::memcpy(data, group_->call(root).bytes_data, bytes);
    group_->wait_for_all_done();
  }

  void barrier() override { group_->post_and_wait(rank_, {.kind = Collective::kBarrier}); }

  void abort(std::string_view reason) override { group_->abort(reason); }

 private:
  // A rank with bad arguments aborts the group before it throws, so no other rank waits for it.
  void check_own_args(const std::string& problem) {
    if (problem.empty()) return;
    group_->abort(problem);
    throw CommunicatorAborted(problem);
  }

  std::shared_ptr<InProcessGroup> group_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_in_process_group(int world_size) {
  if (world_size < 1) fail("make_in_process_group: world_size must be at least 1, got {}", world_size);
  auto group = std::make_shared<InProcessGroup>(world_size);
  std::vector<std::unique_ptr<Communicator>> ranks;
  for (int r = 0; r < world_size; ++r) ranks.push_back(std::make_unique<InProcessCommunicator>(group, r));
  return ranks;
}

}  // namespace turbine
