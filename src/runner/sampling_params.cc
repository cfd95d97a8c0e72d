#include "runner/sampling_params.h"

#include <cmath>

#include "common/error.h"

namespace turbine {

void SamplingParams::validate() const {
  // Written as !(x in range) so that NaN fails every check.
  if (!(temperature >= 0.0f) || std::isinf(temperature)) {
    fail("temperature must be a finite number >= 0, got {}", temperature);
  }
  if (top_k < -1) {
    fail("top_k must be -1 or 0 (off) or a positive number of tokens, got {}", top_k);
  }
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    fail("top_p must be in (0, 1], got {}", top_p);
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    fail("min_p must be in [0, 1], got {}", min_p);
  }
  if (logprobs < 0 || logprobs > kMaxLogprobs) {
    fail("logprobs must be in [0, {}], got {}", kMaxLogprobs, logprobs);
  }
}

}  // namespace turbine
