#include "cli/engine_options.h"

#include <CLI/CLI.hpp>

namespace turbine::cli {

EngineOptions EngineFlags::to_options() const {
  EngineOptions o;
  o.kv_cache_memory = parse_memory_size(kv_cache_memory);
  o.block_size = block_size;
  o.max_num_seqs = max_num_seqs;
  o.max_num_batched_tokens = max_num_batched_tokens;
  o.max_model_len = max_model_len;
  o.enable_prefix_caching = !no_prefix_caching;
  return o;
}

void add_engine_flags(CLI::App& cmd, EngineFlags& f) {
  cmd.add_option("--kv-cache-memory", f.kv_cache_memory, "Memory for the KV cache (e.g. 512MiB, 4GiB)")
      ->capture_default_str();
  cmd.add_option("--block-size", f.block_size, "Tokens per KV block")->capture_default_str();
  cmd.add_option("--max-num-seqs", f.max_num_seqs, "Most sequences running at once")->capture_default_str();
  cmd.add_option("--max-num-batched-tokens", f.max_num_batched_tokens, "Token budget of one engine step")
      ->capture_default_str();
  cmd.add_option("--max-model-len", f.max_model_len, "Context length (default: the model's)");
  cmd.add_flag("--no-prefix-caching", f.no_prefix_caching, "Turn automatic prefix caching off");
  cmd.add_option("--threads", f.threads, "CPU threads (default: all cores)");
}

}  // namespace turbine::cli
