#include "server/tool_calls/tool_call_ids.h"

#include <cstdint>
#include <random>

namespace turbine::server {
namespace {

std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

// uuid.uuid4().hex: 32 hex digits, with the version (4) and variant (8, 9, a or b) nibbles set.
std::string uuid4_hex() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t halves[2] = {generator()(), generator()()};
  halves[0] = (halves[0] & ~(uint64_t(0xF) << 12)) | (uint64_t(0x4) << 12);    // time_hi_and_version
  halves[1] = (halves[1] & ~(uint64_t(0x3) << 62)) | (uint64_t(0x2) << 62);    // clock_seq_hi: 10xx
  std::string out;
  out.reserve(32);
  for (uint64_t half : halves)
    for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(half >> shift) & 0xF];
  return out;
}

}  // namespace

std::string make_tool_call_id(ToolCallIdStyle style) {
  switch (style) {
    case ToolCallIdStyle::kChatCompletionTool:
      return "chatcmpl-tool-" + uuid4_hex();
    case ToolCallIdStyle::kCall:
      return "call_" + uuid4_hex().substr(0, 24);
    case ToolCallIdStyle::kMistral: {
      static constexpr char kAlphanumeric[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
      std::uniform_int_distribution<int> pick(0, 61);
      std::string id;
      for (int i = 0; i < 9; ++i) id += kAlphanumeric[pick(generator())];
      return id;
    }
  }
  return {};
}

}  // namespace turbine::server
