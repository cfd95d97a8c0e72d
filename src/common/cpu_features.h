// What the host CPU can execute, and which instruction-set level the CPU kernels should use.
//
// Detection reads cpuid and, for the AVX state, xgetbv: a CPU that has AVX-512 but runs under an
// OS (or hypervisor) that does not save ZMM registers must not use it. Kernels are written for a
// few ordered levels (CpuIsa); a level is usable when every feature it needs is present.
//
// TURBINE_CPU_ISA=scalar|avx2|avx512 lowers the level (tests force each path with it); asking for
// more than the CPU has keeps the CPU's best and logs a warning; any other value is a user error.
#pragma once

#include <optional>
#include <string_view>

namespace turbine {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_bf16 = false;
  bool avx512_vnni = false;
};

// Ordered: each level implies the ones below it.
//  kAvx2:   AVX2 + FMA + F16C (Haswell, Zen 1 and later).
//  kAvx512: kAvx2 + AVX-512 F/BW/VL (Skylake-X, Zen 4 and later). AVX512_BF16 is an optional
//           extra within this level (see CpuFeatures).
enum class CpuIsa : int { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view cpu_isa_name(CpuIsa isa);

// "scalar", "avx2" or "avx512"; anything else throws turbine::Error.
CpuIsa parse_cpu_isa(std::string_view name);

// The host's features, with OS support for the register state taken into account.
CpuFeatures detect_cpu_features();

// The highest level `features` supports.
CpuIsa max_cpu_isa(const CpuFeatures& features);

// The level to run at: max_cpu_isa(detect_cpu_features()), lowered by TURBINE_CPU_ISA when set.
CpuIsa select_cpu_isa();

// The value of TURBINE_CPU_ISA, parsed; nullopt when unset or empty.
std::optional<CpuIsa> cpu_isa_from_env();

// Physical cores this process may run on (SMT siblings counted once), from the affinity mask and
// sysfs topology; falls back to std::thread::hardware_concurrency(), and is at least 1.
int physical_core_count();

}  // namespace turbine
