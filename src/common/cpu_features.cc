#include "common/cpu_features.h"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "common/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TURBINE_X86 1
#endif

namespace turbine {
namespace {

#ifdef TURBINE_X86
struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

// XCR0: which register states the OS saves on context switch. Inline asm rather than _xgetbv,
// which would need -mxsave for this whole (baseline) file.
uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

bool bit(uint32_t value, int index) { return (value >> index) & 1u; }
#endif

}  // namespace

std::string_view cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kScalar: return "scalar";
    case CpuIsa::kAvx2: return "avx2";
    case CpuIsa::kAvx512: return "avx512";
  }
  return "?";
}

CpuIsa parse_cpu_isa(std::string_view name) {
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512}) {
    if (name == cpu_isa_name(isa)) return isa;
  }
  fail("unknown CPU instruction set '{}' (expected scalar, avx2 or avx512)", name);
}

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
#ifdef TURBINE_X86
  const uint32_t max_leaf = cpuid(0, 0).eax;
  if (max_leaf < 1) return f;
  const CpuidRegs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.ecx, 27);
  const bool avx = bit(l1.ecx, 28);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool os_avx = (xcr0 & 0x6) == 0x6;       // XMM and YMM state
  const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  if (!os_avx) return f;
  f.fma = bit(l1.ecx, 12);
  f.f16c = bit(l1.ecx, 29);
  if (max_leaf < 7) return f;
  const CpuidRegs l7 = cpuid(7, 0);
  f.avx2 = bit(l7.ebx, 5);
  if (os_avx512) {
    f.avx512f = bit(l7.ebx, 16);
    f.avx512bw = bit(l7.ebx, 30);
    f.avx512vl = bit(l7.ebx, 31);
    f.avx512_vnni = bit(l7.ecx, 11);
    if (l7.eax >= 1) f.avx512_bf16 = bit(cpuid(7, 1).eax, 5);
  }
#endif
  return f;
}

CpuIsa max_cpu_isa(const CpuFeatures& f) {
  if (!(f.avx2 && f.fma && f.f16c)) return CpuIsa::kScalar;
  if (!(f.avx512f && f.avx512bw && f.avx512vl)) return CpuIsa::kAvx2;
  return CpuIsa::kAvx512;
}

std::optional<CpuIsa> cpu_isa_from_env() {
  const char* value = std::getenv("TURBINE_CPU_ISA");
  if (value == nullptr || *value == '\0') return std::nullopt;
  try {
    return parse_cpu_isa(value);
  } catch (const Error& e) {
    fail("TURBINE_CPU_ISA: {}", e.what());
  }
}

CpuIsa select_cpu_isa() {
  const CpuIsa best = max_cpu_isa(detect_cpu_features());
  const std::optional<CpuIsa> wanted = cpu_isa_from_env();
  if (!wanted) return best;
  if (int(*wanted) > int(best)) {
    spdlog::warn("TURBINE_CPU_ISA={} is not supported by this CPU; using {}", cpu_isa_name(*wanted),
                 cpu_isa_name(best));
    return best;
  }
  return *wanted;
}

int physical_core_count() {
  const int fallback = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return fallback;
  std::set<std::pair<int, int>> cores;  // (package, core)
  int cpus = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &mask)) continue;
    ++cpus;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core_file(base + "core_id"), package_file(base + "physical_package_id");
    int core = -1, package = -1;
    if (!(core_file >> core) || !(package_file >> package)) return cpus > 0 ? CPU_COUNT(&mask) : fallback;
    cores.emplace(package, core);
  }
  if (cores.empty()) return fallback;
  return int(cores.size());
}

}  // namespace turbine
