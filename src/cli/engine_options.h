// The engine flags every command that runs the engine accepts (generate, serve, bench).
#pragma once

#include <string>

#include "engine/loop/llm_engine.h"

namespace CLI {
class App;
}

namespace turbine::cli {

struct EngineFlags {
  std::string kv_cache_memory = "1GiB";
  int block_size = 16;
  int max_num_seqs = 128;
  int max_num_batched_tokens = 2048;
  int max_model_len = 0;
  bool no_prefix_caching = false;
  int threads = 0;

  EngineOptions to_options() const;
};

void add_engine_flags(CLI::App& command, EngineFlags& flags);

}  // namespace turbine::cli
