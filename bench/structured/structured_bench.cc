// Structured output on the CPU (issue 18): grammar compile time and per-token mask time over the
// JSON Schema corpus (tests/fixtures/json_schemas), for real vocabularies.
//
//   bench_structured [--tokenizers llama3_1,qwen2_5] [--corpus DIR] [--only REGEX]
//                    [--samples K] [--max-tokens N] [--stop-prob P] [--seed S] [--json FILE]
//
// For each tokenizer (tests/fixtures/downloaded/<name>/tokenizer.json, from
// tests/tokenizer/fetch_tokenizers.sh) and each schema: compile it with GrammarCompiler
// (ConstraintKind::kJsonSchema, any_whitespace as the server's default), timed; then K random
// constrained walks as the corpus test makes them (each token drawn uniformly among the ids
// fill_mask allows; ending with probability P wherever the grammar may end; at most N tokens),
// timing every fill_mask() and accept_token() call. Reports, pooled over every token of every walk
// (MaskBench's way): fill_mask mean / p50 / p99 / max, accept_token mean / p50 / p99 / max; and
// compile time mean / p50 / p99 / max over the compiled schemas. Times are wall-clock per call
// (steady_clock) on one thread; the means are also given in thread CPU time, which other work on
// a shared machine does not inflate (less the cost of reading that clock, measured at start).
// Record results in docs/performance.md.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <time.h>
#include <vector>

#include "backend/token_bitmask.h"
#include "common/error.h"
#include "structured/grammar_compiler.h"
#include "structured/grammar_matcher.h"
#include "structured/token_vocabulary.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace turbine;
using namespace turbine::structured;
using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> tokenizers{"llama3_1", "qwen2_5"};
  fs::path corpus = fs::path(TURBINE_SOURCE_DIR) / "tests/fixtures/json_schemas";
  std::string only;
  int samples = 3;
  int max_tokens = 4000;
  double stop_prob = 0.7;
  uint64_t seed = 1;
  std::string json;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "bench_structured: %s\n", why.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--tokenizers") {
      o.tokenizers.clear();
      std::istringstream s(value());
      for (std::string t; std::getline(s, t, ',');)
        if (!t.empty()) o.tokenizers.push_back(t);
    } else if (a == "--corpus") o.corpus = value();
    else if (a == "--only") o.only = value();
    else if (a == "--samples") o.samples = std::stoi(value());
    else if (a == "--max-tokens") o.max_tokens = std::stoi(value());
    else if (a == "--stop-prob") o.stop_prob = std::stod(value());
    else if (a == "--seed") o.seed = std::stoull(value());
    else if (a == "--json") o.json = value();
    else usage("unknown argument " + a);
  }
  return o;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// What one thread_cpu_seconds() pair adds to a measured interval (a system call each), to subtract.
double cpu_clock_overhead_s() {
  double best = 1;
  for (int round = 0; round < 5; ++round) {
    const int n = 20000;
    double total = 0;
    for (int i = 0; i < n; ++i) {
      const double a = thread_cpu_seconds();
      total += thread_cpu_seconds() - a;
    }
    best = std::min(best, total / n);
  }
  return best;
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot read {}", path.string());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> corpus_files(const Options& o) {
  std::vector<std::string> names;
  const std::regex only(o.only.empty() ? std::string(".*") : o.only);
  for (const char* sub : {"npm", "handwritten"}) {
    if (!fs::exists(o.corpus / sub)) continue;
    for (const auto& e : fs::recursive_directory_iterator(o.corpus / sub)) {
      if (!e.is_regular_file() || e.path().extension() != ".json") continue;
      const std::string name = fs::relative(e.path(), o.corpus).string();
      if (std::regex_search(name, only)) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<int32_t> stop_ids_of(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (const char* t : {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "</s>", "<eos>"})
    if (auto id = tokenizer.token_to_id(t)) ids.push_back(*id);
  if (ids.empty()) fail("no stop token found in the tokenizer");
  return ids;
}

struct Summary {
  double mean = 0, p50 = 0, p99 = 0, max = 0;
  size_t n = 0;
};

Summary summarize(std::vector<double> xs) {
  Summary s;
  s.n = xs.size();
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  double total = 0;
  for (double x : xs) total += x;
  auto at = [&](double q) { return xs[std::min(xs.size() - 1, size_t(q * double(xs.size())))]; };
  s.mean = total / double(xs.size());
  s.p50 = at(0.5);
  s.p99 = at(0.99);
  s.max = xs.back();
  return s;
}

nlohmann::json to_json(const Summary& s) {
  return {{"n", s.n}, {"mean", s.mean}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

struct VocabResult {
  std::string name;
  int32_t ids = 0;
  double load_s = 0;
  int schemas = 0, compiled = 0, refused = 0;
  std::vector<double> compile_ms, compile_cpu_ms;
  std::vector<double> mask_us, accept_us;
  double mask_cpu_s = 0, accept_cpu_s = 0;
  size_t walks = 0, finished = 0;
  nlohmann::json per_schema = nlohmann::json::array();
};

VocabResult run_vocabulary(const std::string& tokenizer_name, const std::vector<std::string>& names, const Options& o) {
  VocabResult r;
  r.name = tokenizer_name;
  const fs::path path = fs::path(TURBINE_SOURCE_DIR) / "tests/fixtures/downloaded" / tokenizer_name / "tokenizer.json";
  if (!fs::exists(path)) fail("{} is missing (run tests/tokenizer/fetch_tokenizers.sh)", path.string());
  const auto load_start = Clock::now();
  const Tokenizer tokenizer = Tokenizer::from_file(path);
  auto vocab = std::make_shared<TokenVocabulary>(
      TokenVocabulary::from_tokenizer(tokenizer, stop_ids_of(tokenizer), tokenizer.vocab_size()));
  r.load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  r.ids = vocab->logits_size();
  std::fprintf(stderr, "%s: %d ids, %zu trie nodes, loaded in %.2f s\n", tokenizer_name.c_str(), vocab->logits_size(),
               vocab->nodes().size(), r.load_s);

  std::vector<uint32_t> mask(size_t(vocab->mask_words()));
  const auto stops = vocab->stop_ids();
  for (size_t index = 0; index < names.size(); ++index) {
    const std::string& name = names[index];
    ++r.schemas;
    const std::string text = read_file(o.corpus / name);
    GrammarCompiler compiler(vocab, 1);
    const auto start = Clock::now();
    const double start_cpu = thread_cpu_seconds();
    std::shared_ptr<const CompiledGrammar> grammar;
    std::string error;
    try {
      grammar = compiler.get(ConstraintSpec{ConstraintKind::kJsonSchema, text, true});
    } catch (const std::exception& e) {
      error = e.what();
    }
    const double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const double compile_cpu_ms = 1e3 * (thread_cpu_seconds() - start_cpu);
    nlohmann::json row{{"name", name}, {"compile_ms", compile_ms}, {"compile_cpu_ms", compile_cpu_ms}};
    if (!grammar) {
      ++r.refused;
      row["refused"] = error;
      r.per_schema.push_back(std::move(row));
      std::fprintf(stderr, "  %-80s refused (%.0f ms)\n", name.c_str(), compile_ms);
      continue;
    }
    ++r.compiled;
    r.compile_ms.push_back(compile_ms);
    r.compile_cpu_ms.push_back(compile_cpu_ms);
    row["states"] = grammar->automaton().num_states();
    row["memory_bytes"] = grammar->memory_bytes();
    row["uncertain"] = grammar->num_uncertain();

    std::mt19937_64 rng(o.seed * 1000003 + index);
    std::uniform_real_distribution<double> coin(0, 1);
    const size_t mask_begin = r.mask_us.size();
    size_t tokens = 0;
    for (int k = 0; k < o.samples; ++k) {
      GrammarMatcher m(grammar);
      ++r.walks;
      for (int t = 0; t < o.max_tokens; ++t) {
        const double c0 = thread_cpu_seconds();
        const auto t0 = Clock::now();
        m.fill_mask(mask);
        const auto t1 = Clock::now();
        r.mask_cpu_s += thread_cpu_seconds() - c0;
        r.mask_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        int stops_in = 0;
        for (int32_t id : stops) {
          uint32_t& word = mask[size_t(id) >> 5];
          const uint32_t bit = uint32_t(1) << (id & 31);
          if (word & bit) ++stops_in;
          word &= ~bit;
        }
        int allowed = 0;
        for (uint32_t word : mask) allowed += std::popcount(word);
        if (m.can_end() && (allowed == 0 || coin(rng) < o.stop_prob)) {
          ++r.finished;
          break;
        }
        if (allowed == 0) fail("{}: empty mask where the grammar cannot end (run the corpus test)", name);
        const int32_t id = nth_allowed_token(mask, std::uniform_int_distribution<int>(0, allowed - 1)(rng));
        const double c2 = thread_cpu_seconds();
        const auto t2 = Clock::now();
        const bool ok = m.accept_token(id);
        const auto t3 = Clock::now();
        r.accept_cpu_s += thread_cpu_seconds() - c2;
        r.accept_us.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
        if (!ok) fail("{}: accept_token refused a masked-in id (run the corpus test)", name);
        ++tokens;
      }
    }
    const Summary s = summarize(std::vector<double>(r.mask_us.begin() + std::ptrdiff_t(mask_begin), r.mask_us.end()));
    row["tokens"] = tokens;
    row["mask_us"] = to_json(s);
    std::fprintf(stderr, "  %-80s %6d states, compile %8.1f ms, mask mean %7.1f us p99 %8.1f us max %8.1f us\n",
                 name.c_str(), grammar->automaton().num_states(), compile_ms, s.mean, s.p99, s.max);
    r.per_schema.push_back(std::move(row));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse_args(argc, argv);
  const std::vector<std::string> names = corpus_files(o);
  const double clock_overhead_s = cpu_clock_overhead_s();
  std::fprintf(stderr, "thread CPU clock read: %.2f us (subtracted from the CPU-time means)\n", 1e6 * clock_overhead_s);
  if (names.empty()) fail("no schema under {}", o.corpus.string());
  nlohmann::json report{{"corpus", o.corpus.string()},
                        {"samples", o.samples},
                        {"max_tokens", o.max_tokens},
                        {"stop_prob", o.stop_prob},
                        {"seed", o.seed},
                        {"cpu_clock_overhead_us", 1e6 * clock_overhead_s},
                        {"vocabularies", nlohmann::json::array()}};
  std::printf("%-10s %7s %8s %8s | %-36s | %-36s | %-30s\n", "vocab", "schemas", "compiled", "tokens",
              "fill_mask us: mean (cpu) p50 p99 max", "accept_token us: mean (cpu) p50 p99 max",
              "compile ms: mean (cpu) p50 p99 max");
  for (const std::string& t : o.tokenizers) {
    VocabResult r = run_vocabulary(t, names, o);
    const Summary mask = summarize(r.mask_us), accept = summarize(r.accept_us), compile = summarize(r.compile_ms),
                  compile_cpu = summarize(r.compile_cpu_ms);
    const double mask_cpu_us = mask.n ? 1e6 * (r.mask_cpu_s / double(mask.n) - clock_overhead_s) : 0;
    const double accept_cpu_us = accept.n ? 1e6 * (r.accept_cpu_s / double(accept.n) - clock_overhead_s) : 0;
    std::printf("%-10s %7d %8d %8zu | %7.1f (%6.1f) %6.1f %7.1f %8.1f | %6.2f (%5.2f) %5.2f %6.1f %7.1f | %7.1f (%7.1f) %7.1f %8.1f %8.1f\n",
                t.c_str(), r.schemas, r.compiled, accept.n, mask.mean, mask_cpu_us, mask.p50, mask.p99, mask.max,
                accept.mean, accept_cpu_us, accept.p50, accept.p99, accept.max, compile.mean, compile_cpu.mean,
                compile.p50, compile.p99, compile.max);
    std::fflush(stdout);
    report["vocabularies"].push_back({{"name", t},
                                      {"ids", r.ids},
                                      {"load_s", r.load_s},
                                      {"schemas", r.schemas},
                                      {"compiled", r.compiled},
                                      {"refused", r.refused},
                                      {"walks", r.walks},
                                      {"finished", r.finished},
                                      {"fill_mask_us", to_json(mask)},
                                      {"fill_mask_cpu_mean_us", mask_cpu_us},
                                      {"accept_token_us", to_json(accept)},
                                      {"accept_token_cpu_mean_us", accept_cpu_us},
                                      {"compile_ms", to_json(compile)},
                                      {"compile_cpu_ms", to_json(compile_cpu)},
                                      {"per_schema", std::move(r.per_schema)}});
  }
  if (!o.json.empty()) std::ofstream(o.json) << report.dump(1) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_structured: %s\n", e.what());
  return 1;
}
