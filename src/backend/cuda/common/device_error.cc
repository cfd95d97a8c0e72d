#include "backend/cuda/common/device_error.h"

#include <fmt/format.h>

namespace turbine::cuda {

std::string describe_device_error(const DeviceErrorRecord& r) {
  switch (DeviceErrorCode(r.code)) {
    case DeviceErrorCode::kNone: return "no error";
    case DeviceErrorCode::kEmbeddingId:
      return fmt::format("embedding: id {} at {} is outside [0, {})", r.a, r.b, r.c);
    case DeviceErrorCode::kGatherRow:
      return fmt::format("gather_rows: row {} at {} is outside [0, {})", r.a, r.b, r.c);
    case DeviceErrorCode::kWriteKvSlot:
      return fmt::format("write_kv: slot {} of token {} is outside a cache of {} rows", r.a, r.b, r.c);
    case DeviceErrorCode::kAttentionBlock:
      return fmt::format("attention: sequence {} block {} is id {}, outside the cache", r.a, r.b, r.c);
    case DeviceErrorCode::kAttentionSeqLen:
      return fmt::format("attention: sequence {} has {} tokens of KV for {} queries, or more than its blocks hold",
                         r.a, r.b, r.c);
    case DeviceErrorCode::kAttentionQueryStart:
      return fmt::format("attention: query_start runs from {} to {}, the batch has {} tokens", r.a, r.b, r.c);
    case DeviceErrorCode::kFeedTokenSource:
      return fmt::format("feed_tokens: source {} of id {} is outside {} sampled tokens", r.a, r.b, r.c);
    case DeviceErrorCode::kMoeExpertId:
      return fmt::format("moe_experts: expert id {} at {} (token * top_k + slot) is outside [0, {})", r.a, r.b, r.c);
  }
  return fmt::format("unknown device error code {} ({}, {}, {})", r.code, r.a, r.b, r.c);
}

}  // namespace turbine::cuda
