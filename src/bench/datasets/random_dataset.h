// vLLM's random dataset: prompt lengths uniform in [floor(L(1-r)), ceil(L(1+r))] (output lengths
// likewise, at least 1), each prompt a run of consecutive ordinary token ids from a random
// offset (vLLM's (offset + i + k) mod vocabulary), after an optional shared random prefix; the
// text is made to encode to exactly that length (exact_length_prompt.h). L counts what the
// server sees, special tokens included, so a 1024-token request is 1024 tokens there.
#pragma once

#include <vector>

#include "bench/datasets/dataset.h"

namespace turbine::bench {

std::vector<SampleRequest> make_random_dataset(const Tokenizer& tokenizer, const DatasetOptions& resolved);

}  // namespace turbine::bench
