#include "common/cpu_features.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"

namespace turbine {
namespace {

// Restores TURBINE_CPU_ISA when a test ends.
class ScopedIsaEnv {
 public:
  explicit ScopedIsaEnv(const char* value) {
    if (const char* old = std::getenv("TURBINE_CPU_ISA")) saved_ = old, had_ = true;
    if (value) {
      setenv("TURBINE_CPU_ISA", value, 1);
    } else {
      unsetenv("TURBINE_CPU_ISA");
    }
  }
  ~ScopedIsaEnv() {
    if (had_) {
      setenv("TURBINE_CPU_ISA", saved_.c_str(), 1);
    } else {
      unsetenv("TURBINE_CPU_ISA");
    }
  }

 private:
  std::string saved_;
  bool had_ = false;
};

TEST(CpuFeatures, ParseNames) {
  EXPECT_EQ(parse_cpu_isa("scalar"), CpuIsa::kScalar);
  EXPECT_EQ(parse_cpu_isa("avx2"), CpuIsa::kAvx2);
  EXPECT_EQ(parse_cpu_isa("avx512"), CpuIsa::kAvx512);
  EXPECT_THROW(parse_cpu_isa("sse9"), Error);
  EXPECT_THROW(parse_cpu_isa(""), Error);
  for (CpuIsa isa : {CpuIsa::kScalar, CpuIsa::kAvx2, CpuIsa::kAvx512}) EXPECT_EQ(parse_cpu_isa(cpu_isa_name(isa)), isa);
}

TEST(CpuFeatures, LevelsNeedAllTheirFeatures) {
  CpuFeatures f;
  EXPECT_EQ(max_cpu_isa(f), CpuIsa::kScalar);
  f.avx2 = f.fma = true;
  EXPECT_EQ(max_cpu_isa(f), CpuIsa::kScalar);  // no F16C
  f.f16c = true;
  EXPECT_EQ(max_cpu_isa(f), CpuIsa::kAvx2);
  f.avx512f = f.avx512bw = true;
  EXPECT_EQ(max_cpu_isa(f), CpuIsa::kAvx2);  // no VL
  f.avx512vl = true;
  EXPECT_EQ(max_cpu_isa(f), CpuIsa::kAvx512);
}

// On Linux, /proc/cpuinfo's flags are the kernel's view of the same cpuid bits.
TEST(CpuFeatures, AgreesWithProcCpuinfo) {
  std::ifstream in("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  }
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags";
  auto has = [&](const char* name) { return flags.find(std::string(" ") + name + " ") != std::string::npos; };
  const CpuFeatures f = detect_cpu_features();
  EXPECT_EQ(f.avx2, has("avx2"));
  EXPECT_EQ(f.fma, has("fma"));
  EXPECT_EQ(f.f16c, has("f16c"));
  EXPECT_EQ(f.avx512f, has("avx512f"));
  EXPECT_EQ(f.avx512bw, has("avx512bw"));
  EXPECT_EQ(f.avx512vl, has("avx512vl"));
  EXPECT_EQ(f.avx512_bf16, has("avx512_bf16"));
  EXPECT_EQ(f.avx512_vnni, has("avx512_vnni"));
}

TEST(CpuFeatures, EnvironmentLowersOnly) {
  const CpuIsa best = max_cpu_isa(detect_cpu_features());
  {
    ScopedIsaEnv env(nullptr);
    EXPECT_EQ(select_cpu_isa(), best);
  }
  {
    ScopedIsaEnv env("scalar");
    EXPECT_EQ(select_cpu_isa(), CpuIsa::kScalar);
  }
  {
    ScopedIsaEnv env("avx512");  // never above what the CPU has
    EXPECT_LE(int(select_cpu_isa()), int(best));
  }
  {
    ScopedIsaEnv env("fastest");
    EXPECT_THROW(select_cpu_isa(), Error);
  }
}

TEST(CpuFeatures, PhysicalCoresArePositive) { EXPECT_GE(physical_core_count(), 1); }

}  // namespace
}  // namespace turbine
