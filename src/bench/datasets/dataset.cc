#include "bench/datasets/dataset.h"

#include "bench/datasets/prefix_repetition_dataset.h"
#include "bench/datasets/random_dataset.h"
#include "bench/datasets/sharegpt_like_dataset.h"
#include "common/error.h"

namespace turbine::bench {

DatasetKind parse_dataset_kind(std::string_view name) {
  if (name == "random") return DatasetKind::kRandom;
  if (name == "sharegpt-like") return DatasetKind::kSharegptLike;
  if (name == "prefix-repetition") return DatasetKind::kPrefixRepetition;
  fail("--dataset must be random, sharegpt-like or prefix-repetition, got \"{}\"", name);
}

std::string_view dataset_kind_name(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kRandom: return "random";
    case DatasetKind::kSharegptLike: return "sharegpt-like";
    case DatasetKind::kPrefixRepetition: return "prefix-repetition";
  }
  return "?";
}

DatasetOptions DatasetOptions::resolved() const {
  DatasetOptions o = *this;
  const bool prefixes = kind == DatasetKind::kPrefixRepetition;
  if (kind != DatasetKind::kSharegptLike) {
    if (!o.input_len) o.input_len = prefixes ? 256 : 1024;
    if (!o.output_len) o.output_len = 128;
    if (!o.prefix_len) o.prefix_len = prefixes ? 256 : 0;
  }
  if (o.num_prompts < 1) fail("--num-prompts must be >= 1, got {}", o.num_prompts);
  if (o.input_len && *o.input_len < 1) fail("--input-len must be >= 1, got {}", *o.input_len);
  if (o.output_len && *o.output_len < 1) fail("--output-len must be >= 1, got {}", *o.output_len);
  if (o.prefix_len && *o.prefix_len < 0) fail("--prefix-len must be >= 0, got {}", *o.prefix_len);
  if (!(o.range_ratio >= 0 && o.range_ratio < 1)) fail("--range-ratio must be in [0, 1), got {}", o.range_ratio);
  if (prefixes) {
    if (*o.prefix_len < 1) fail("--prefix-len must be >= 1 for the prefix-repetition dataset");
    if (o.num_prefixes < 1) fail("--num-prefixes must be >= 1, got {}", o.num_prefixes);
  }
  if (o.corpus_file && kind != DatasetKind::kSharegptLike) fail("--corpus is only for the sharegpt-like dataset");
  return o;
}

std::vector<SampleRequest> make_dataset(const Tokenizer& tokenizer, const DatasetOptions& options) {
  const DatasetOptions o = options.resolved();
  switch (o.kind) {
    case DatasetKind::kRandom: return make_random_dataset(tokenizer, o);
    case DatasetKind::kSharegptLike: return make_sharegpt_like_dataset(tokenizer, o);
    case DatasetKind::kPrefixRepetition: return make_prefix_repetition_dataset(tokenizer, o);
  }
  return {};
}

}  // namespace turbine::bench
