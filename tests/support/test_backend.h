// The backend a device-agnostic test runs on: the CPU by default, the CUDA backend with
// TURBINE_TEST_DEVICE=cuda (on the GPU machine, in a test target that turbine_test_on_cuda()
// linked to the CUDA backend; see tests/CMakeLists.txt). Header-only, so each test target
// compiles it with its own TURBINE_TEST_WITH_CUDA setting.
#pragma once

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "backend/cpu/cpu_backend.h"
#ifdef TURBINE_TEST_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace turbine::test_support {

inline bool on_cuda() {
  const char* device = std::getenv("TURBINE_TEST_DEVICE");
  return device != nullptr && std::string(device) == "cuda";
}

inline std::unique_ptr<Backend> make_test_backend() {
  if (!on_cuda()) return make_cpu_backend(2);
#ifdef TURBINE_TEST_WITH_CUDA
  return make_cuda_backend(0);
#else
  throw std::runtime_error("TURBINE_TEST_DEVICE=cuda, but this test was built without CUDA");
#endif
}

}  // namespace turbine::test_support
