// Benchmark prompts, made without network access (see src/bench/README.md for each dataset).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace turbine::bench {

struct SampleRequest {
  std::string prompt;           // the text sent
  std::vector<int32_t> prompt_ids;  // its tokens as the server's completions endpoint sees them
  int prompt_len = 0;           // prompt_ids.size(): special tokens (BOS) included
  int expected_output_len = 0;  // max_tokens
};

enum class DatasetKind { kRandom, kSharegptLike, kPrefixRepetition };

DatasetKind parse_dataset_kind(std::string_view name);  // throws turbine::Error naming the choices
std::string_view dataset_kind_name(DatasetKind kind);

// Unset lengths take each dataset's default (vLLM's): random 1024 in / 128 out, no prefix;
// prefix-repetition 256-token prefixes + 256-token suffixes, 128 out, 10 prefixes; sharegpt-like
// draws both lengths (output: --output-len when given).
struct DatasetOptions {
  DatasetKind kind = DatasetKind::kRandom;
  int num_prompts = 1000;
  std::optional<int> input_len;
  std::optional<int> output_len;
  double range_ratio = 0.0;
  std::optional<int> prefix_len;
  int num_prefixes = 10;
  uint64_t seed = 0;
  std::optional<std::string> corpus_file;  // sharegpt-like: this UTF-8 text instead of the built-in corpus

  // The options with every default filled in, after validation (throws turbine::Error).
  DatasetOptions resolved() const;
};

std::vector<SampleRequest> make_dataset(const Tokenizer& tokenizer, const DatasetOptions& options);

}  // namespace turbine::bench
