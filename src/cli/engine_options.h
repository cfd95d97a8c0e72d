// The engine flags every command that runs the engine accepts (generate, serve, bench).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "engine/loop/llm_engine.h"

namespace CLI {
class App;
}

namespace turbine::cli {

struct EngineFlags {
  std::string device = "auto";
  int cuda_device = 0;
  double gpu_memory_utilization = 0.9;
  std::string kv_cache_memory = "auto";
  int block_size = 16;
  int max_num_seqs = 128;
  int max_num_batched_tokens = 2048;
  int max_model_len = 0;
  bool no_prefix_caching = false;
  bool enforce_eager = false;
  std::string async_scheduling = "auto";
  int threads = 0;

  EngineOptions to_options() const;
  // "cpu" or "cuda": --device with "auto" resolved (CUDA when this build has it and a GPU is
  // present). Throws turbine::Error for a device this build or machine cannot use.
  std::string resolved_device() const;
  std::unique_ptr<Backend> make_backend() const;
};

void add_engine_flags(CLI::App& command, EngineFlags& flags);

}  // namespace turbine::cli
