// vLLM's prefix-repetition dataset: --num-prefixes random prefixes of --prefix-len tokens, each
// shared by a group of requests that add their own random suffix of --input-len tokens; the
// requests are shuffled so that groups interleave. Measures what prefix caching saves. Unlike
// vLLM (num_prompts / num_prefixes requests per prefix, the remainder dropped), request i uses
// prefix i mod num_prefixes, so exactly --num-prompts requests come out.
#pragma once

#include <vector>

#include "bench/datasets/dataset.h"

namespace turbine::bench {

std::vector<SampleRequest> make_prefix_repetition_dataset(const Tokenizer& tokenizer, const DatasetOptions& resolved);

}  // namespace turbine::bench
