// Block ids: indices of fixed-size KV blocks in the paged cache (see backend.h for the layout).
#pragma once

#include <cstdint>

namespace turbine {

using BlockId = int32_t;

// Block 0 is reserved and never handed to a request, so a block table or slot mapping padded with
// zeros (as a CUDA-graph batch of fixed shape will be) reads and writes a harmless scratch block
// instead of someone's KV.
inline constexpr BlockId kNullBlockId = 0;

// One copy-on-write the runner must perform before the step's forward pass: the K/V rows of
// block `src` (every layer) copied into block `dst`.
struct BlockCopy {
  BlockId src = kNullBlockId;
  BlockId dst = kNullBlockId;
  friend bool operator==(const BlockCopy&, const BlockCopy&) = default;
};

}  // namespace turbine
