// Tokenizer throughput on one thread.
//
//   bench_tokenizer [--benchmark_filter=Encode/llama3_1] [google benchmark flags]
//
// Text: TURBINE_BENCH_TEXT names a file, either JSON lines with a "text" field (the parity
// corpus, tests/tokenizer/corpus/corpus.jsonl, is the default) or plain text (cut into
// paragraphs at blank lines). Each "text" is encoded on its own, as a server encodes requests.
// Tokenizers: every tests/fixtures/downloaded/<name>/tokenizer.json present (fetch them with
// tests/tokenizer/fetch_tokenizers.sh) and shared/models/stories260K; TURBINE_BENCH_TOKENIZERS
// (comma-separated names) narrows the list.
//
// Compare with Hugging Face on the same text: node tests/tokenizer/bench_encode.mjs. Record
// results in docs/performance.md.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;

std::vector<std::string> load_texts() {
  const char* env = std::getenv("TURBINE_BENCH_TEXT");
  const fs::path path = env != nullptr ? fs::path(env)
                                       : fs::path(TURBINE_SOURCE_DIR) / "tests/tokenizer/corpus/corpus.jsonl";
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "bench_tokenizer: cannot read %s (set TURBINE_BENCH_TEXT)\n", path.c_str());
    std::exit(2);
  }
  std::vector<std::string> texts;
  std::string line;
  if (path.extension() == ".jsonl") {
    while (std::getline(file, line)) {
      if (line.empty()) continue;
      const auto value = nlohmann::json::parse(line);
      if (value.contains("text")) texts.push_back(value["text"].get<std::string>());
    }
    return texts;
  }
  std::string paragraph;
  while (std::getline(file, line)) {
    if (line.empty() && !paragraph.empty()) {
      texts.push_back(std::move(paragraph));
      paragraph.clear();
      continue;
    }
    paragraph.append(line).push_back('\n');
  }
  if (!paragraph.empty()) texts.push_back(std::move(paragraph));
  return texts;
}

struct Fixture {
  std::string name;
  fs::path path;
};

std::vector<Fixture> find_tokenizers() {
  std::vector<Fixture> found;
  const fs::path downloaded = fs::path(TURBINE_SOURCE_DIR) / "tests/fixtures/downloaded";
  for (const char* name : {"llama3_1", "qwen2_5", "llama2", "gemma3", "mistral_nemo",
                           "deepseek_v3", "qwen3", "llama3_2", "gpt2"}) {
    const fs::path path = downloaded / name / "tokenizer.json";
    if (fs::exists(path)) found.push_back({name, path});
  }
  const fs::path stories = fs::path(TURBINE_SHARED_DIR) / "models/stories260K/tokenizer.json";
  if (fs::exists(stories)) found.push_back({"stories260K", stories});
  if (const char* only = std::getenv("TURBINE_BENCH_TOKENIZERS")) {
    const std::string wanted = std::string(",") + only + ",";
    std::erase_if(found, [&](const Fixture& f) {
      return wanted.find("," + f.name + ",") == std::string::npos;
    });
  }
  return found;
}

const std::vector<std::string>& texts() {
  static const std::vector<std::string> loaded = load_texts();
  return loaded;
}

int64_t total_bytes(const std::vector<std::string>& all) {
  int64_t bytes = 0;
  for (const auto& text : all) bytes += static_cast<int64_t>(text.size());
  return bytes;
}

void encode_benchmark(benchmark::State& state, const turbine::Tokenizer* tokenizer) {
  const auto& all = texts();
  int64_t tokens = 0;
  for (auto _ : state) {
    for (const auto& text : all) {
      auto ids = tokenizer->encode(text, false);
      tokens += static_cast<int64_t>(ids.size());
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * total_bytes(all));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

// Encodes once (outside the timing), then measures decode of every line.
void decode_benchmark(benchmark::State& state, const turbine::Tokenizer* tokenizer, bool stream) {
  std::vector<std::vector<int32_t>> encoded;
  int64_t tokens_per_pass = 0;
  for (const auto& text : texts()) {
    encoded.push_back(tokenizer->encode(text, true));
    tokens_per_pass += static_cast<int64_t>(encoded.back().size());
  }
  for (auto _ : state) {
    for (const auto& ids : encoded) {
      if (stream) {
        turbine::IncrementalDetokenizer detokenizer(*tokenizer, true);
        for (const int32_t id : ids) benchmark::DoNotOptimize(detokenizer.push(id));
        benchmark::DoNotOptimize(detokenizer.finish());
      } else {
        benchmark::DoNotOptimize(tokenizer->decode(ids, true));
      }
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(
      static_cast<double>(tokens_per_pass * state.iterations()), benchmark::Counter::kIsRate);
}

void load_benchmark(benchmark::State& state, fs::path path) {
  for (auto _ : state) benchmark::DoNotOptimize(turbine::Tokenizer::from_file(path));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // Tokenizers live for the whole run; each is loaded once, on first registration.
  static std::vector<std::unique_ptr<turbine::Tokenizer>> loaded;
  for (const Fixture& fixture : find_tokenizers()) {
    loaded.push_back(std::make_unique<turbine::Tokenizer>(turbine::Tokenizer::from_file(fixture.path)));
    const turbine::Tokenizer* tokenizer = loaded.back().get();
    benchmark::RegisterBenchmark(("Encode/" + fixture.name).c_str(), encode_benchmark, tokenizer)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Decode/" + fixture.name).c_str(), decode_benchmark, tokenizer, false)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Stream/" + fixture.name).c_str(), decode_benchmark, tokenizer, true)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Load/" + fixture.name).c_str(), load_benchmark, fixture.path)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
