// turbine generate: load a Hugging Face model folder and generate from one prompt.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "cli/commands.h"
#include "common/error.h"
#include "model/model.h"
#include "runner/generator.h"

namespace turbine::cli {
namespace {

struct GenerateArgs {
  std::string model_dir;
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_ids;
  int max_tokens = 128;
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = 0;
  float min_p = 0.0f;
  std::optional<uint64_t> seed;
  int logprobs = 0;
  bool ignore_eos = false;
  bool json = false;
  int threads = 0;
};

std::vector<int32_t> parse_prompt_ids(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 0 || value > INT32_MAX)
      fail("--prompt-ids: \"{}\" is not a token id (expected comma-separated non-negative integers)", item);
    ids.push_back(int32_t(value));
    pos = comma + 1;
  }
  return ids;
}

void run_generate(const GenerateArgs& args) {
  const int threads = args.threads > 0 ? args.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<Backend> backend = make_cpu_backend(threads);
  std::unique_ptr<Model> model = load_model(args.model_dir, *backend);

  std::vector<int32_t> prompt;
  if (args.prompt_ids) {
    prompt = parse_prompt_ids(*args.prompt_ids);
  } else {
    fail("--prompt needs the tokenizer, which this build does not have yet; use --prompt-ids");
  }

  GenerateOptions options;
  options.max_tokens = args.max_tokens;
  options.ignore_eos = args.ignore_eos;
  options.sampling.temperature = args.temperature;
  options.sampling.top_p = args.top_p;
  options.sampling.top_k = args.top_k;
  options.sampling.min_p = args.min_p;
  options.sampling.seed = args.seed;
  options.sampling.logprobs = args.logprobs;

  auto on_token = [&](const GeneratedToken& t) {
    if (!args.json) {
      std::printf("%d ", t.id);
      std::fflush(stdout);
    }
  };
  const Generation g = Generator(*model, *backend).generate(prompt, options, on_token);

  if (args.json) {
    nlohmann::json out;
    out["prompt_ids"] = prompt;
    std::vector<int32_t> ids;
    nlohmann::json logprobs = nlohmann::json::array();
    for (const GeneratedToken& t : g.tokens) {
      ids.push_back(t.id);
      nlohmann::json top = nlohmann::json::array();
      for (const auto& [id, lp] : t.top_logprobs) top.push_back({id, lp});
      logprobs.push_back(top);
    }
    out["ids"] = ids;
    out["text"] = "";
    out["logprobs"] = logprobs;
    out["finish_reason"] = finish_reason_name(g.finish_reason);
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    const GenerationStats& s = g.stats;
    const double decode_rate = s.generated_tokens > 1 ? (s.generated_tokens - 1) / s.decode_seconds : 0.0;
    std::fprintf(stderr, "turbine: %d prompt + %d generated tokens (%s); prefill %.1f ms, decode %.2f tokens/s\n",
                 s.prompt_tokens, s.generated_tokens, std::string(finish_reason_name(g.finish_reason)).c_str(),
                 s.prefill_seconds * 1e3, decode_rate);
  }
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from one prompt");
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder")->required();
  auto* prompt = cmd->add_option("--prompt", args->prompt, "Prompt text (needs tokenizer.json)");
  auto* ids = cmd->add_option("--prompt-ids", args->prompt_ids, "Prompt token ids, comma-separated");
  prompt->excludes(ids);
  cmd->add_option("--max-tokens", args->max_tokens, "Most tokens to generate")->capture_default_str();
  cmd->add_option("--temperature", args->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--top-k", args->top_k, "Keep the k most likely tokens (0: off)")->capture_default_str();
  cmd->add_option("--min-p", args->min_p, "Drop tokens below min_p times the top probability")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (reproducible sampling)");
  cmd->add_option("--logprobs", args->logprobs, "Report the top K log-probabilities of each token")->capture_default_str();
  cmd->add_flag("--ignore-eos", args->ignore_eos, "Keep generating past end-of-sequence tokens");
  cmd->add_flag("--json", args->json, "Print one JSON line with ids, text, logprobs and finish reason");
  cmd->add_option("--threads", args->threads, "CPU threads (default: all cores)");
  cmd->callback([args, prompt, ids] {
    if (prompt->count() == 0 && ids->count() == 0) fail("give a prompt: --prompt TEXT or --prompt-ids 1,2,3");
    run_generate(*args);
  });
}

}  // namespace turbine::cli
