#include "runner/kv_cache.h"

#include "common/error.h"

namespace turbine {

size_t KvCache::bytes_per_block(const ModelConfig& c, int block_size, DType dtype) {
  return size_t(2) * c.num_layers * size_t(block_size) * size_t(c.num_kv_heads) * c.head_dim * dtype_size(dtype);
}

KvCache::KvCache(Backend& backend, const ModelConfig& c, int num_blocks, int block_size) {
  if (num_blocks <= 0 || block_size <= 0) fail("KV cache needs positive blocks and block size, got {} x {}", num_blocks, block_size);
  view_.num_blocks = num_blocks;
  view_.block_size = block_size;
  const DType dtype = backend.activation_dtype();
  const int64_t rows = int64_t(num_blocks) * block_size;
  const int64_t cols = int64_t(c.num_kv_heads) * c.head_dim;
  for (int layer = 0; layer < c.num_layers; ++layer) {
    KvCacheLayer kv;
    for (Tensor* t : {&kv.k, &kv.v}) {
      buffers_.push_back(backend.allocate(size_t(rows * cols) * dtype_size(dtype)));
      *t = buffers_.back().as_tensor(dtype, rows, cols);
    }
    view_.layers.push_back(kv);
  }
}

}  // namespace turbine
