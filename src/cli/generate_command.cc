// turbine generate: load a Hugging Face model folder and generate from one prompt, or from every
// line of a JSONL file at once (offline batch mode), through the engine.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "cli/engine_options.h"
#include "engine/loop/offline_batch.h"
#include "common/error.h"
#include "model/model.h"
#include "server/detokenizing_stop_matcher.h"
#include "server/generated_text_stream.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

using nlohmann::json;

struct GenerateArgs {
  std::string model_dir;
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_ids;
  std::optional<std::string> prompts_file;
  int max_tokens = 128;
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = 0;
  float min_p = 0.0f;
  std::optional<uint64_t> seed;
  int logprobs = 0;
  bool ignore_eos = false;
  bool json = false;
  EngineFlags engine;
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

RequestParams params_from_flags(const GenerateArgs& a) {
  RequestParams p;
  p.max_tokens = a.max_tokens;
  p.ignore_eos = a.ignore_eos;
  p.sampling.temperature = a.temperature;
  p.sampling.top_p = a.top_p;
  p.sampling.top_k = a.top_k;
  p.sampling.min_p = a.min_p;
  p.sampling.seed = a.seed;
  p.sampling.logprobs = a.logprobs;
  return p;
}

// Loads the model folder's tokenizer when it has one; text prompts and text output need it.
std::optional<Tokenizer> load_tokenizer(const std::string& model_dir) {
  if (!std::filesystem::exists(std::filesystem::path(model_dir) / "tokenizer.json")) return std::nullopt;
  return Tokenizer::from_dir(model_dir);
}

const Tokenizer& require_tokenizer(const std::optional<Tokenizer>& tokenizer, const std::string& model_dir) {
  if (!tokenizer) fail("{}: a text prompt needs tokenizer.json in the model folder (or give token ids)", model_dir);
  return *tokenizer;
}

// One JSONL line of --prompts-file: {"prompt": "..."} or {"prompt_ids": [...]}, with optional
// per-line sampling fields that override the flags.
OfflinePrompt parse_prompt_line(const std::string& line, size_t line_number, const GenerateArgs& args,
                                const std::optional<Tokenizer>& tokenizer, std::vector<std::string>& stop) {
  const std::string where = fmt::format("{} line {}", *args.prompts_file, line_number);
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("{}: not a JSON object", where);
  OfflinePrompt p;
  p.params = params_from_flags(args);
  auto field = [&](const char* key, auto& out) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(out);
    } catch (const json::exception&) {
      fail("{}: field \"{}\" has the wrong type ({})", where, key, j.at(key).dump());
    }
  };
  if (j.contains("prompt") == j.contains("prompt_ids")) fail("{}: give exactly one of \"prompt\" and \"prompt_ids\"", where);
  if (j.contains("prompt")) {
    std::string text;
    field("prompt", text);
    p.prompt_ids = require_tokenizer(tokenizer, args.model_dir).encode(text, true);
  } else {
    field("prompt_ids", p.prompt_ids);
  }
  field("max_tokens", p.params.max_tokens);
  field("temperature", p.params.sampling.temperature);
  field("top_p", p.params.sampling.top_p);
  field("top_k", p.params.sampling.top_k);
  field("min_p", p.params.sampling.min_p);
  field("logprobs", p.params.sampling.logprobs);
  field("ignore_eos", p.params.ignore_eos);
  if (j.contains("seed")) {
    uint64_t seed = 0;
    field("seed", seed);
    p.params.sampling.seed = seed;
  }
  if (j.contains("stop")) {
    if (j["stop"].is_string()) {
      stop.push_back(j["stop"].get<std::string>());
    } else {
      field("stop", stop);
    }
    for (const std::string& s : stop)
      if (s.empty()) fail("{}: stop strings must not be empty", where);
    if (!stop.empty()) {
      const Tokenizer& t = require_tokenizer(tokenizer, args.model_dir);
      auto config = std::make_shared<const server::TextStreamConfig>(t, true, p.prompt_ids, stop, false);
      p.make_stop_matcher = [config] { return std::make_unique<server::DetokenizingStopMatcher>(config); };
    }
  }
  return p;  // the engine validates the parameters when the prompt is submitted ("prompt N: ...")
}

std::vector<OfflinePrompt> read_prompts_file(const GenerateArgs& args, const std::optional<Tokenizer>& tokenizer,
                                             std::vector<std::vector<std::string>>& stops) {
  std::ifstream in(*args.prompts_file);
  if (!in) fail("{}: cannot open the prompts file", *args.prompts_file);
  std::vector<OfflinePrompt> prompts;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    stops.emplace_back();
    prompts.push_back(parse_prompt_line(line, n, args, tokenizer, stops.back()));
  }
  if (prompts.empty()) fail("{}: no prompts in the file", *args.prompts_file);
  return prompts;
}

// The text the result reports: the decode of its ids, or, with stop strings, the text up to (not
// including) the stop string, cut exactly where the engine's matcher stopped the request.
std::string result_text(const OfflinePrompt& prompt, const std::vector<int32_t>& ids, const std::vector<std::string>& stop,
                        const std::optional<Tokenizer>& tokenizer) {
  if (!tokenizer) return "";
  if (stop.empty()) return tokenizer->decode(ids, /*skip_special_tokens=*/true);
  server::GeneratedTextStream stream(
      std::make_shared<const server::TextStreamConfig>(*tokenizer, true, prompt.prompt_ids, stop, false));
  std::string text;
  const int min_tokens = prompt.params.min_tokens;
  for (size_t i = 0; i < ids.size(); ++i) text += stream.push(ids[i], int(i) + 1 >= min_tokens);
  return text + stream.finish(true);
}

json result_json(const OfflinePrompt& prompt, const OfflineResult& result, const std::vector<std::string>& stop,
                 const std::optional<Tokenizer>& tokenizer) {
  json out;
  out["prompt_ids"] = prompt.prompt_ids;
  std::vector<int32_t> ids;
  json logprobs = json::array();
  for (const GeneratedTokenInfo& t : result.tokens) {
    ids.push_back(t.token);
    json top = json::array();
    for (const auto& [id, lp] : t.top_logprobs) top.push_back({id, lp});
    logprobs.push_back(top);
  }
  out["ids"] = ids;
  out["text"] = result_text(prompt, ids, stop, tokenizer);
  out["logprobs"] = logprobs;
  out["finish_reason"] = request_finish_reason_name(result.finish_reason);
  return out;
}

void run_generate(const GenerateArgs& args) {
  const std::optional<Tokenizer> tokenizer = load_tokenizer(args.model_dir);
  std::vector<OfflinePrompt> prompts;
  std::vector<std::vector<std::string>> stops;  // per prompt
  if (args.prompts_file) {
    prompts = read_prompts_file(args, tokenizer, stops);
  } else {
    OfflinePrompt p;
    p.params = params_from_flags(args);
    p.prompt_ids = args.prompt_ids ? parse_prompt_ids(*args.prompt_ids)
                                   : require_tokenizer(tokenizer, args.model_dir).encode(*args.prompt, true);
    prompts.push_back(std::move(p));
    stops.emplace_back();
  }

  std::unique_ptr<Backend> backend = args.engine.make_backend();
  std::unique_ptr<Model> model = load_model(args.model_dir, *backend);
  LlmEngine engine(*model, *backend, args.engine.to_options());

  const bool stream = !args.json && !args.prompts_file;
  // The prompt as context keeps a leading space; only ids the tokenizer knows (the engine
  // rejects ids outside the model's vocabulary with a clear error of its own).
  std::optional<IncrementalDetokenizer> streamer;
  if (stream && tokenizer) {
    std::vector<int32_t> context;
    for (int32_t id : prompts[0].prompt_ids)
      if (tokenizer->is_valid_id(id)) context.push_back(id);
    streamer.emplace(*tokenizer, /*skip_special_tokens=*/true, context);
  }
  std::optional<std::chrono::steady_clock::time_point> first_token;
  auto on_token = [&](size_t, const GeneratedTokenInfo& t) {
    if (!first_token) first_token = std::chrono::steady_clock::now();
    if (streamer) {
      const std::string piece = streamer->push(t.token);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    } else if (stream) {
      std::printf("%d ", t.token);
      std::fflush(stdout);
    }
  };
  const bool show_progress = prompts.size() > 1 && ::isatty(STDERR_FILENO);
  auto on_progress = [&](size_t done, size_t total) {
    if (!show_progress) return;
    const int width = 30, filled = int(width * done / total);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu requests", std::string(size_t(filled), '=').c_str(),
                 std::string(size_t(width - filled), ' ').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
  };

  const auto start = std::chrono::steady_clock::now();
  const std::vector<OfflineResult> results = run_offline(engine, prompts, on_token, on_progress);
  const auto end = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(end - start).count();

  size_t generated = 0, prompt_tokens = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].error.empty()) fail("{}", results[i].error);
    generated += results[i].tokens.size();
    prompt_tokens += prompts[i].prompt_ids.size();
    if (!stream) std::printf("%s\n", result_json(prompts[i], results[i], stops[i], tokenizer).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  }
  if (stream) {
    if (streamer) std::fputs(streamer->finish().c_str(), stdout);
    std::printf("\n");
    const double ttft = first_token ? std::chrono::duration<double>(*first_token - start).count() : seconds;
    const double decode = seconds - ttft;
    std::fprintf(stderr, "turbine: %zu prompt + %zu generated tokens (%s); time to first token %.1f ms, decode %.2f tokens/s\n",
                 prompt_tokens, generated, std::string(request_finish_reason_name(results[0].finish_reason)).c_str(),
                 ttft * 1e3, generated > 1 && decode > 0 ? double(generated - 1) / decode : 0.0);
  } else if (args.prompts_file) {
    const EngineStats stats = engine.stats();
    std::fprintf(stderr,
                 "turbine: %zu requests, %zu prompt + %zu generated tokens in %.2f s (%.1f generated tokens/s); "
                 "prefix cache hit %llu of %llu prompt tokens; %llu preemptions\n",
                 results.size(), prompt_tokens, generated, seconds, double(generated) / seconds,
                 static_cast<unsigned long long>(stats.prefix_cache_hit_tokens),
                 static_cast<unsigned long long>(prompt_tokens), static_cast<unsigned long long>(stats.num_preemptions));
  }
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate text from a prompt, or from a JSONL file of prompts");
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder (default: the bundled demo model)");
  auto* prompt = cmd->add_option("--prompt", args->prompt, "Prompt text (needs tokenizer.json)");
  auto* ids = cmd->add_option("--prompt-ids", args->prompt_ids, "Prompt token ids, comma-separated");
  auto* file = cmd->add_option("--prompts-file", args->prompts_file,
                               "JSONL: {\"prompt\": ...} or {\"prompt_ids\": [...]} per line, with optional "
                               "max_tokens, temperature, top_p, top_k, min_p, seed, logprobs, ignore_eos, stop");
  prompt->excludes(ids)->excludes(file);
  ids->excludes(file);
  cmd->add_option("--max-tokens", args->max_tokens, "Most tokens to generate")->capture_default_str();
  cmd->add_option("--temperature", args->temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "Nucleus sampling mass")->capture_default_str();
  cmd->add_option("--top-k", args->top_k, "Keep the k most likely tokens (0: off)")->capture_default_str();
  cmd->add_option("--min-p", args->min_p, "Drop tokens below min_p times the top probability")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (reproducible sampling)");
  cmd->add_option("--logprobs", args->logprobs, "Report the top K log-probabilities of each token")->capture_default_str();
  cmd->add_flag("--ignore-eos", args->ignore_eos, "Keep generating past end-of-sequence tokens");
  cmd->add_flag("--json", args->json, "Print one JSON line per prompt with ids, text, logprobs and finish reason");
  add_engine_flags(*cmd, args->engine);
  cmd->callback([args, prompt, ids, file] {
    if (prompt->count() == 0 && ids->count() == 0 && file->count() == 0)
      fail("give a prompt: --prompt TEXT, --prompt-ids 1,2,3 or --prompts-file FILE.jsonl");
    if (args->model_dir.empty()) args->model_dir = default_model_dir();
    run_generate(*args);
  });
}

}  // namespace turbine::cli
