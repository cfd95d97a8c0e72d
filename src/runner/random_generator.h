// A portable, seedable random stream for sampling: Philox4x32-10.
//
// Why Philox and not std::mt19937 + std:: distributions: the distributions are
// implementation-defined (libstdc++ and libc++ give different numbers for one seed), and a
// counter-based generator is what a GPU sampler uses, so a later CUDA path can reproduce this
// exact stream from (seed, position) with no state to copy. Philox4x32-10 is the generator of
// Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC 2011), also used by cuRAND and
// PyTorch's CUDA generator; its published known-answer vectors are checked in the tests.
//
// Stream layout (a contract: changing it changes every seeded request's output):
//   key     = {low 32 bits of seed, high 32 bits of seed}
//   block i = philox4x32_10(counter = {low32(i), high32(i), 0, 0}, key), four 32-bit words
//   words are consumed in order: block 0 word 0..3, block 1 word 0..3, ...
//   next_u64   = next word | (the word after it) << 32
//   next_double = (next_u64 >> 11) * 2^-53, uniform on [0, 1)
//
// One RandomGenerator belongs to one request (or one sequence of it) and is used by one thread
// at a time. It is cheap to copy; a copy continues the same stream independently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

namespace turbine {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// The bare block function: 10 rounds of Philox on one 128-bit counter.
PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

class RandomGenerator {
 public:
  explicit RandomGenerator(uint64_t seed);

  // A generator with a fresh seed from the operating system (std::random_device).
  static RandomGenerator from_entropy();
  // Seeded from `seed` when set, else from_entropy(): what a request without a seed gets.
  static RandomGenerator for_request(const std::optional<uint64_t>& seed);

  uint64_t seed() const { return seed_; }

  uint32_t next_u32();
  uint64_t next_u64();
  double next_double();  // uniform on [0, 1), 53 random bits

  // Number of 32-bit words consumed so far; seek() jumps to any position in O(1), which is
  // what lets a preempted request, or a GPU kernel, resume the stream exactly.
  uint64_t position() const { return position_; }
  void seek(uint64_t position);

 private:
  void refill();

  uint64_t seed_;
  PhiloxKey key_;
  uint64_t position_ = 0;   // words consumed
  PhiloxCounter block_{};   // the block that holds word `position_` when block_valid_
  bool block_valid_ = false;
};

}  // namespace turbine
