// Index checks that only the GPU can make.
//
// The int32 index arrays of an op (token ids, slot mapping, block tables, gathered rows) live in
// device memory, so the host cannot check them without a copy and a sync per op. Kernels check the
// indices they use instead and record the first bad one here; the backend reads the record at
// every synchronising call (synchronize, copy_to_host) and aborts with the op and the numbers,
// exactly like the CPU backend's TURBINE_CHECK on the same input. A kernel that finds a bad index
// skips the access, so nothing reads or writes out of bounds before the abort.
//
// The claim word is in device memory (so first-writer-wins is one device atomic); the record is
// mapped pinned host memory, so the host reads it for free after a sync.
#pragma once

#include <cstdint>
#include <string>

namespace turbine::cuda {

enum class DeviceErrorCode : int32_t {
  kNone = 0,
  kEmbeddingId,          // a = id, b = index in ids, c = table rows
  kGatherRow,            // a = row, b = index in rows, c = x rows
  kWriteKvSlot,          // a = slot, b = token, c = cache rows
  kAttentionBlock,       // a = sequence, b = block index in its table, c = block id
  kAttentionSeqLen,      // a = sequence, b = seq_len, c = query count
  kAttentionQueryStart,  // a = query_start[0], b = query_start[num_seqs], c = num_tokens
  kFeedTokenSource,      // a = source, b = index in ids, c = sampled tokens
  kMoeExpertId,          // a = expert id, b = flat index in ids (token * top_k + slot), c = num_experts
};

struct DeviceErrorRecord {
  int32_t code;
  int32_t a, b, c;
};

// What a kernel needs to report: both pointers are device-accessible.
struct DeviceErrorSink {
  int32_t* claim = nullptr;
  DeviceErrorRecord* record = nullptr;
};

#ifdef __CUDACC__
__device__ inline void report_device_error(const DeviceErrorSink& sink, DeviceErrorCode code, int32_t a, int32_t b,
                                           int32_t c) {
  if (atomicCAS(sink.claim, 0, 1) == 0) {
    volatile DeviceErrorRecord* r = sink.record;
    r->a = a;
    r->b = b;
    r->c = c;
    r->code = int32_t(code);
  }
}
#endif

// "write_kv: slot 99 of token 3 is outside a cache of 64 rows", for the abort message.
std::string describe_device_error(const DeviceErrorRecord& record);

}  // namespace turbine::cuda
