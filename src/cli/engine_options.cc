#include "cli/engine_options.h"

#include <CLI/CLI.hpp>

#include "backend/cpu/cpu_backend.h"
#include "common/error.h"
#ifdef TURBINE_BUILT_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace turbine::cli {

EngineOptions EngineFlags::to_options() const {
  EngineOptions o;
  o.kv_cache_memory = kv_cache_memory == "auto" ? 0 : parse_memory_size(kv_cache_memory);
  if (kv_cache_memory != "auto" && o.kv_cache_memory == 0) fail("--kv-cache-memory must be more than 0");
  o.gpu_memory_utilization = gpu_memory_utilization;
  o.block_size = block_size;
  o.max_num_seqs = max_num_seqs;
  o.max_num_batched_tokens = max_num_batched_tokens;
  o.max_model_len = max_model_len;
  o.enable_prefix_caching = !no_prefix_caching;
  o.enforce_eager = enforce_eager;
  using Async = EngineOptions::AsyncScheduling;
  if (async_scheduling == "auto") {
    o.async_scheduling = Async::kAuto;
  } else if (async_scheduling == "on") {
    o.async_scheduling = Async::kOn;
  } else if (async_scheduling == "off") {
    o.async_scheduling = Async::kOff;
  } else {
    fail("--async-scheduling must be auto, on or off, got '{}'", async_scheduling);
  }
  return o;
}

std::string EngineFlags::resolved_device() const {
#ifdef TURBINE_BUILT_WITH_CUDA
  constexpr bool kBuiltWithCuda = true;
#else
  constexpr bool kBuiltWithCuda = false;
#endif
  if (device == "cpu") return "cpu";
  if (device == "auto") {
#ifdef TURBINE_BUILT_WITH_CUDA
    if (cuda_device_available()) return "cuda";
#endif
    return "cpu";
  }
  if (device == "cuda") {
    if (!kBuiltWithCuda)
      fail("--device cuda: this turbine was built without CUDA (configure with -DTURBINE_CUDA=ON); use --device cpu");
#ifdef TURBINE_BUILT_WITH_CUDA
    if (!cuda_device_available()) fail("--device cuda: no CUDA device is available (no driver or no GPU)");
#endif
    return "cuda";
  }
  fail("--device must be cpu, cuda or auto, got '{}'", device);
}

std::unique_ptr<Backend> EngineFlags::make_backend() const {
  if (resolved_device() == "cpu") return make_cpu_backend(threads);
#ifdef TURBINE_BUILT_WITH_CUDA
  return make_cuda_backend(cuda_device);
#else
  fail("unreachable: CUDA resolved in a build without it");
#endif
}

void add_engine_flags(CLI::App& cmd, EngineFlags& f) {
  cmd.add_option("--device", f.device, "cpu, cuda or auto (CUDA when built and present, else the CPU)")
      ->capture_default_str();
  cmd.add_option("--cuda-device", f.cuda_device, "Which GPU (with --device cuda)")->capture_default_str();
  cmd.add_option("--gpu-memory-utilization", f.gpu_memory_utilization,
                 "Share of the GPU's memory for weights, activations and the KV cache (planned at start-up)")
      ->capture_default_str();
  cmd.add_option("--kv-cache-memory", f.kv_cache_memory,
                 "Memory for the KV cache (e.g. 512MiB, 4GiB); auto: planned from --gpu-memory-utilization on a "
                 "GPU, 1GiB on the CPU")
      ->capture_default_str();
  cmd.add_option("--block-size", f.block_size, "Tokens per KV block")->capture_default_str();
  cmd.add_option("--max-num-seqs", f.max_num_seqs, "Most sequences running at once")->capture_default_str();
  cmd.add_option("--max-num-batched-tokens", f.max_num_batched_tokens, "Token budget of one engine step")
      ->capture_default_str();
  cmd.add_option("--max-model-len", f.max_model_len, "Context length (default: the model's)");
  cmd.add_flag("--no-prefix-caching", f.no_prefix_caching, "Turn automatic prefix caching off");
  cmd.add_flag("--enforce-eager", f.enforce_eager, "Launch every decode step op by op (no CUDA graphs)");
  cmd.add_option("--async-scheduling", f.async_scheduling,
                 "Launch each step before the previous one's results are back, so host work overlaps the GPU: "
                 "auto (on for GPUs), on or off")
      ->capture_default_str();
  cmd.add_option("--threads", f.threads, "CPU threads (default: all cores)");
}

}  // namespace turbine::cli
