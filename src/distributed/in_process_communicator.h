// An in-process group: N ranks as threads of one process, over host memory (the CPU backend).
// Tensor-parallel code runs on it in CPU tests exactly as it will over NCCL.
//
// How a collective runs: every rank posts its arguments to the shared state and waits until all
// have (phase 1); the last to arrive compares them, so a mismatch throws on every rank instead of
// hanging or producing garbage. Then each rank moves data directly between the ranks' buffers:
// for all_reduce_sum, rank r sums its 1/N slice of the elements from every rank's buffer (in rank
// order) and writes the sum into every buffer, so no rank reads what another writes and every
// rank ends with the same bits. A second wait (phase 2) keeps any rank from returning, and
// reusing its buffers, while another still reads them. Waits sleep on a condition variable with
// a generation count, so collectives may follow each other back to back.
//
// abort() wakes ranks waiting in phase 1. Phase 2 does not listen to it: a rank there has passed
// phase 1, so every rank is moving data in code that cannot fail and will arrive.
#pragma once

#include <memory>
#include <vector>

#include "distributed/communicator.h"

namespace turbine {

// The world_size ranks of one new group: element i is rank i. Hand each to its own thread (a
// rank in a collective blocks its thread until every rank has called it). Destroying a rank's
// communicator aborts the group, so that a rank whose thread unwinds does not leave the others
// waiting. Throws Error if world_size < 1.
std::vector<std::unique_ptr<Communicator>> make_in_process_group(int world_size);

}  // namespace turbine
