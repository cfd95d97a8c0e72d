#include "runner/random_generator.h"

#include <random>

namespace turbine {
namespace {

// Philox4x32 multipliers and Weyl key increments (the paper's constants).
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
constexpr int kPhiloxRounds = 10;

inline PhiloxCounter philox_round(const PhiloxCounter& x, const PhiloxKey& key) {
  const uint64_t p0 = uint64_t(kPhiloxM0) * x[0];
  const uint64_t p1 = uint64_t(kPhiloxM1) * x[2];
  const auto hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
  const auto hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
  return {hi1 ^ x[1] ^ key[0], lo1, hi0 ^ x[3] ^ key[1], lo0};
}

}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key) {
  for (int round = 0; round < kPhiloxRounds; ++round) {
    if (round > 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    counter = philox_round(counter, key);
  }
  return counter;
}

RandomGenerator::RandomGenerator(uint64_t seed)
    : seed_(seed), key_{uint32_t(seed), uint32_t(seed >> 32)} {}

RandomGenerator RandomGenerator::from_entropy() {
  std::random_device device;
  const uint64_t high = device();
  const uint64_t low = device();
  return RandomGenerator((high << 32) | (low & 0xffffffffu));
}

RandomGenerator RandomGenerator::for_request(const std::optional<uint64_t>& seed) {
  return seed ? RandomGenerator(*seed) : from_entropy();
}

void RandomGenerator::refill() {
  const uint64_t block_index = position_ / 4;
  block_ = philox4x32_10({uint32_t(block_index), uint32_t(block_index >> 32), 0, 0}, key_);
  block_valid_ = true;
}

uint32_t RandomGenerator::next_u32() {
  const unsigned word = unsigned(position_ % 4);
  if (word == 0 || !block_valid_) refill();
  ++position_;
  return block_[word];
}

uint64_t RandomGenerator::next_u64() {
  const uint64_t low = next_u32();
  const uint64_t high = next_u32();
  return low | (high << 32);
}

double RandomGenerator::next_double() {
  return double(next_u64() >> 11) * 0x1.0p-53;
}

void RandomGenerator::seek(uint64_t position) {
  position_ = position;
  block_valid_ = false;
}

}  // namespace turbine
