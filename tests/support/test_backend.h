// The backend a device-agnostic test runs on: the CPU by default, the CUDA backend with
// TURBINE_TEST_DEVICE=cuda (on the GPU machine, in a test target that turbine_test_on_cuda()
// linked to the CUDA backend; see tests/CMakeLists.txt), and the CPU backend taking the
// device-sampling path with TURBINE_TEST_DEVICE=cpu-sampling (host_sampling_backend.h).
// Header-only, so each test target compiles it with its own TURBINE_TEST_WITH_CUDA setting.
#pragma once

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "support/host_sampling_backend.h"
#ifdef TURBINE_TEST_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace turbine::test_support {

inline std::string test_device() {
  const char* device = std::getenv("TURBINE_TEST_DEVICE");
  return device == nullptr ? "" : device;
}

inline bool on_cuda() { return test_device() == "cuda"; }

inline std::unique_ptr<Backend> make_test_backend() {
  if (test_device() == "cpu-sampling") return std::make_unique<HostSamplingBackend>(make_cpu_backend(2));
  if (!on_cuda()) return make_cpu_backend(2);
#ifdef TURBINE_TEST_WITH_CUDA
  return make_cuda_backend(0);
#else
  throw std::runtime_error("TURBINE_TEST_DEVICE=cuda, but this test was built without CUDA");
#endif
}

}  // namespace turbine::test_support
