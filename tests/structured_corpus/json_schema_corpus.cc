// The JSON Schema corpus run (issue 18): each schema of a list is compiled with GrammarCompiler
// (ConstraintKind::kJsonSchema) against a real tokenizer's vocabulary, then walked: K outputs per
// compiled schema, each token drawn uniformly among the ids the GrammarMatcher's mask allows,
// ending with probability --stop-prob wherever the grammar may end, or cut at --max-tokens.
// run_corpus.mjs drives it and validates the finished outputs with ajv.
//
//   json_schema_corpus --tokenizer tokenizer.json --root DIR --list FILE --out FILE
//                      [--samples K] [--max-tokens N] [--stop-prob P] [--seed S] [--time-limit SEC]
//                      [--budget SEC]
//
// --list: one schema path (relative to --root) per line; with --budget, the run stops (status 0,
// "BUDGET" on stderr) before the next schema once the schemas so far took SEC seconds of CPU time. --out: JSON lines, one per schema,
// written and flushed as each schema finishes, so a crash loses only the schema in progress:
//   {"name", "status": "compiled" | "refused" | "error", "error", "compile_ms", "states",
//    "samples": [{"hex", "finished", "tokens"}], "problems": [...]}
// "refused": compile threw turbine::Error (allowed; the message names the keyword). "error":
// anything else thrown. "problems": walk failures (an empty mask before the end, a masked-in
// token that accept_token refuses, stop ids masked in where the grammar cannot end, ...).
// A compile or a walk that takes longer than --time-limit seconds of CPU time (CPU time, so that
// other work on a shared machine does not count; and at most 5x that in wall-clock time) ends the
// process with status 124 after printing "TIMEOUT <name>" to stderr. "BEGIN <name>" goes to stderr before each
// schema, so a crash can be pinned on it.
//
// TURBINE_CORPUS_FAULTS=corrupt:NAME,hang:NAME,abort:NAME injects faults (the harness's self-test):
// NAME's finished outputs replaced with a JSON string, an endless loop after NAME compiles, an
// abort() there.
#include <nlohmann/json.hpp>

#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "backend/token_bitmask.h"
#include "common/error.h"
#include "structured/grammar_compiler.h"
#include "structured/grammar_matcher.h"
#include "structured/token_vocabulary.h"
#include "tokenizer/tokenizer.h"

namespace {

using namespace turbine;
using namespace turbine::structured;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string tokenizer, root, list, out;
  int samples = 3;
  int max_tokens = 4000;
  double stop_prob = 0.7;
  uint64_t seed = 1;
  double time_limit = 10;
  double budget = 0;  // CPU seconds over all schemas; 0: no budget
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "json_schema_corpus: %s\n", why);
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--tokenizer") o.tokenizer = value();
    else if (a == "--root") o.root = value();
    else if (a == "--list") o.list = value();
    else if (a == "--out") o.out = value();
    else if (a == "--samples") o.samples = std::stoi(value());
    else if (a == "--max-tokens") o.max_tokens = std::stoi(value());
    else if (a == "--stop-prob") o.stop_prob = std::stod(value());
    else if (a == "--seed") o.seed = std::stoull(value());
    else if (a == "--time-limit") o.time_limit = std::stod(value());
    else if (a == "--budget") o.budget = std::stod(value());
    else usage(("unknown argument " + a).c_str());
  }
  if (o.tokenizer.empty() || o.root.empty() || o.list.empty() || o.out.empty())
    usage("--tokenizer, --root, --list and --out are required");
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot read {}", path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

double cpu_seconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Ends the process when one schema runs past the limit (a hang in compile or in a walk): CPU time
// of the thread that made the watchdog, or 5x the limit in wall-clock time.
class Watchdog {
 public:
  explicit Watchdog(double limit_s) : limit_(limit_s) {
    pthread_getcpuclockid(pthread_self(), &clock_);
    thread_ = std::thread([this] { run(); });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void begin(const std::string& name) {
    std::lock_guard lock(mutex_);
    name_ = name;
    phase_ = "compiling";
    start_ = Clock::now();
    start_cpu_ = cpu_seconds(clock_);
    active_ = true;
  }
  void end() {
    std::lock_guard lock(mutex_);
    active_ = false;
  }
  // A new phase of the same schema (one walk), with its own time limit; named in the TIMEOUT line.
  void phase(std::string what) {
    std::lock_guard lock(mutex_);
    phase_ = std::move(what);
    start_ = Clock::now();
    start_cpu_ = cpu_seconds(clock_);
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (!active_) continue;
      const double cpu = cpu_seconds(clock_) - start_cpu_;
      const double wall = std::chrono::duration<double>(Clock::now() - start_).count();
      if (cpu > limit_ || wall > 5 * limit_) {
        std::fprintf(stderr, "TIMEOUT %s: still running after %.1f s of CPU time (%.1f s wall), %s\n", name_.c_str(),
                     cpu, wall, phase_.c_str());
        std::fflush(stderr);
        _exit(124);
      }
    }
  }
  double limit_;
  clockid_t clock_{};
  double start_cpu_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, active_ = false;
  std::string name_, phase_;
  Clock::time_point start_;
  std::thread thread_;
};

struct Walk {
  std::string text;
  bool finished = false;
  int tokens = 0;
};

// One random constrained output. Problems (a broken invariant of the matcher) go to `problems`.
Walk walk(const std::shared_ptr<const CompiledGrammar>& grammar, const Options& o, std::mt19937_64& rng,
          std::vector<std::string>& problems) {
  const TokenVocabulary& vocab = grammar->vocabulary();
  GrammarMatcher m(grammar);
  std::vector<uint32_t> mask(size_t(vocab.mask_words()));
  std::uniform_real_distribution<double> coin(0, 1);
  Walk w;
  while (w.tokens < o.max_tokens) {
    const int count = m.fill_mask(mask);
    // The stop ids' bits, then cleared: what is left are the text tokens to draw from.
    int stops_in = 0;
    for (int32_t id : vocab.stop_ids()) {
      uint32_t& word = mask[size_t(id) >> 5];
      const uint32_t bit = uint32_t(1) << (id & 31);
      if (word & bit) ++stops_in;
      word &= ~bit;
    }
    int allowed = 0;
    for (uint32_t word : mask) allowed += std::popcount(word);
    const bool stop_allowed = stops_in > 0;
    if (stop_allowed && stops_in != int(vocab.stop_ids().size()))
      problems.push_back("only some of the stop ids are masked in");
    if (allowed + stops_in != count) problems.push_back("fill_mask's count disagrees with its mask");
    if (stop_allowed != m.can_end())
      problems.push_back(fmt::format("after {:?}: stop ids {} but can_end() is {}", w.text,
                                     stop_allowed ? "masked in" : "masked out", m.can_end()));
    if (m.can_end() && (allowed == 0 || coin(rng) < o.stop_prob)) {
      if (!m.accept_token(vocab.stop_ids().front())) problems.push_back("accept_token refused a stop id");
      w.finished = true;
      return w;
    }
    if (allowed == 0) {
      problems.push_back(fmt::format("after {:?}: empty mask where the grammar cannot end", w.text));
      return w;
    }
    const int32_t id = nth_allowed_token(mask, std::uniform_int_distribution<int>(0, allowed - 1)(rng));
    if (!m.accept_token(id)) {
      problems.push_back(fmt::format("after {:?}: accept_token refused masked-in id {} ({:?})", w.text, id,
                                     vocab.bytes(id)));
      return w;
    }
    w.text += vocab.bytes(id);
    ++w.tokens;
  }
  return w;
}

// TURBINE_CORPUS_FAULTS: whether `kind:name` is listed.
bool fault(const std::string& kind, const std::string& name) {
  const char* env = std::getenv("TURBINE_CORPUS_FAULTS");
  if (env == nullptr) return false;
  const std::string list = std::string(",") + env + ",";
  return list.find("," + kind + ":" + name + ",") != std::string::npos;
}

std::vector<int32_t> stop_ids_of(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (const char* t : {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "</s>", "<eos>"})
    if (auto id = tokenizer.token_to_id(t)) ids.push_back(*id);
  if (ids.empty()) fail("no stop token found in the tokenizer");
  return ids;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse_args(argc, argv);
  const auto load_start = Clock::now();
  const Tokenizer tokenizer = Tokenizer::from_file(o.tokenizer);
  auto vocab = std::make_shared<TokenVocabulary>(
      TokenVocabulary::from_tokenizer(tokenizer, stop_ids_of(tokenizer), tokenizer.vocab_size()));
  std::fprintf(stderr, "vocabulary: %d ids (%d with bytes), %zu trie nodes, loaded in %.2f s\n", vocab->logits_size(),
               vocab->num_ids_with_bytes(), vocab->nodes().size(),
               std::chrono::duration<double>(Clock::now() - load_start).count());

  std::vector<std::string> names;
  {
    std::istringstream list(read_file(o.list));
    for (std::string line; std::getline(list, line);)
      if (!line.empty()) names.push_back(line);
  }
  std::ofstream out(o.out, std::ios::app);
  if (!out) fail("cannot write {}", o.out);

  Watchdog watchdog(o.time_limit);
  const clockid_t main_clock = [] {
    clockid_t c{};
    pthread_getcpuclockid(pthread_self(), &c);
    return c;
  }();
  const double run_start_cpu = cpu_seconds(main_clock);
  for (size_t index = 0; index < names.size(); ++index) {
    const std::string& name = names[index];
    if (o.budget > 0 && cpu_seconds(main_clock) - run_start_cpu > o.budget) {
      std::fprintf(stderr, "BUDGET %.0f s of CPU time spent after %zu schemas\n", o.budget, index);
      break;
    }
    std::fprintf(stderr, "BEGIN %s\n", name.c_str());
    std::fflush(stderr);
    nlohmann::json record{{"name", name}};
    std::vector<std::string> problems;
    watchdog.begin(name);
    const std::string text = read_file(o.root + "/" + name);
    // A fresh compiler per schema: its time is the compile time, and memory does not pile up.
    GrammarCompiler compiler(vocab, 1);
    const auto start = Clock::now();
    const double start_cpu = cpu_seconds(main_clock);
    std::shared_ptr<const CompiledGrammar> grammar;
    try {
      grammar = compiler.get(ConstraintSpec{ConstraintKind::kJsonSchema, text, true});
      record["status"] = "compiled";
    } catch (const Error& e) {
      record["status"] = "refused";
      record["error"] = e.what();
    } catch (const std::exception& e) {
      record["status"] = "error";
      record["error"] = std::string("not a turbine::Error: ") + e.what();
    }
    record["compile_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    record["compile_cpu_ms"] = 1e3 * (cpu_seconds(main_clock) - start_cpu);
    if (grammar) {
      record["states"] = grammar->automaton().num_states();
      if (fault("abort", name)) std::abort();
      if (fault("hang", name)) {
        std::atomic<uint64_t> spin{0};
        for (;;) spin.fetch_add(1, std::memory_order_relaxed);
      }
      std::mt19937_64 rng(o.seed * 1000003 + index);
      nlohmann::json samples = nlohmann::json::array();
      for (int k = 0; k < o.samples; ++k) {
        watchdog.phase(fmt::format("in walk {} of {} (compiled in {:.1f} s of CPU time)", k + 1, o.samples,
                                   1e-3 * record["compile_cpu_ms"].get<double>()));
        Walk w = walk(grammar, o, rng, problems);
        if (w.finished && fault("corrupt", name)) w.text = "\"corrupted\"";
        samples.push_back({{"hex", hex(w.text)}, {"finished", w.finished}, {"tokens", w.tokens}});
      }
      record["samples"] = std::move(samples);
      record["walk_cpu_ms"] = 1e3 * (cpu_seconds(main_clock) - start_cpu) - record["compile_cpu_ms"].get<double>();
    }
    watchdog.end();
    record["problems"] = problems;
    out << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    out.flush();
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "json_schema_corpus: %s\n", e.what());
  return 2;
}
