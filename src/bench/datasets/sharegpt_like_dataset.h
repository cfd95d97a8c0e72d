// A stand-in for vLLM's ShareGPT dataset without downloading it: real text (text_corpus.h) cut
// to token lengths drawn from lognormals fitted to ShareGPT's published shape, filtered as vLLM
// filters ShareGPT (prompt >= 4, output >= 4, prompt <= 1024, prompt + output <= 2048 tokens;
// a pair failing the filter is drawn again).
//
// The fit: input ~ LogNormal(mu 4.907, sigma 1.3), output ~ LogNormal(mu 4.799, sigma 0.9),
// rounded to whole tokens. The sigmas give ShareGPT's long right tails (many short questions,
// some pasted documents; answers of a few dozen to many hundred tokens); the mus are calibrated
// so that the means after the filter are ShareGPT's with the Llama 3 tokenizer, about 202 input
// and 179 output tokens (measured over 200k draws: see src/bench/README.md).
#pragma once

#include <random>
#include <vector>

#include "bench/datasets/dataset.h"

namespace turbine::bench {

struct ShareGptShape {
  static constexpr double kInputMu = 4.907, kInputSigma = 1.3;
  static constexpr double kOutputMu = 4.799, kOutputSigma = 0.9;
  static constexpr int kMinLen = 4, kMaxPrompt = 1024, kMaxTotal = 2048;
};

struct LengthPair {
  int input = 0;
  int output = 0;
};

// One (prompt, output) length pair that passes vLLM's ShareGPT filter.
LengthPair draw_sharegpt_lengths(std::mt19937_64& rng);

std::vector<SampleRequest> make_sharegpt_like_dataset(const Tokenizer& tokenizer, const DatasetOptions& resolved);

}  // namespace turbine::bench
