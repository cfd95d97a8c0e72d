// Runs a list of prompts through an LlmEngine at once and collects their results in input order:
// the engine behind `turbine generate` (one prompt or a --prompts-file).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/loop/llm_engine.h"

namespace turbine {

struct OfflinePrompt {
  std::vector<int32_t> prompt_ids;
  RequestParams params;
  // Makes the request's stop-string matcher (see engine/stop_string_matcher.h); empty: none.
  std::function<std::unique_ptr<StopStringMatcher>()> make_stop_matcher;
};

struct OfflineResult {
  std::vector<GeneratedTokenInfo> tokens;
  RequestFinishReason finish_reason = RequestFinishReason::kLength;
  std::string error;
};

// `on_token(index, token)` (optional) sees each token as it is generated, on the engine thread.
// `on_progress(done, total)` (optional) is called on the caller's thread about twice a second.
// Every prompt must ask for one sample (params.n == 1): one result per prompt.
std::vector<OfflineResult> run_offline(LlmEngine& engine, const std::vector<OfflinePrompt>& prompts,
                                       const std::function<void(size_t, const GeneratedTokenInfo&)>& on_token = {},
                                       const std::function<void(size_t, size_t)>& on_progress = {});

}  // namespace turbine
