// ScratchBuffer: reusable, 64-byte aligned host memory for an op's temporaries (packed
// activations, converted weights, per-thread attention state). It only grows, so steady-state
// decoding allocates nothing. Contents are not preserved across get() calls that grow it.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

#include "common/error.h"

namespace turbine::cpu {

class ScratchBuffer {
 public:
  template <typename T>
  T* get(size_t count) {
    const size_t bytes = count * sizeof(T);
    if (bytes > capacity_) {
      const size_t rounded = (bytes + 4095) / 4096 * 4096;
      data_.reset(std::aligned_alloc(64, rounded));
      TURBINE_CHECK(data_ != nullptr, "out of memory allocating {} bytes of scratch", rounded);
      capacity_ = rounded;
    }
    return static_cast<T*>(data_.get());
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> data_;
  size_t capacity_ = 0;
};

}  // namespace turbine::cpu
