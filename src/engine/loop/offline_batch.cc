#include "engine/loop/offline_batch.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

#include "common/error.h"

namespace turbine {

std::vector<OfflineResult> run_offline(LlmEngine& engine, const std::vector<OfflinePrompt>& prompts,
                                       const std::function<void(size_t, const GeneratedTokenInfo&)>& on_token,
                                       const std::function<void(size_t, size_t)>& on_progress) {
  // One result per prompt, and the wait below counts one finish per prompt: a prompt with n > 1
  // samples would let this frame return while its other samples' sinks still point into it.
  for (size_t i = 0; i < prompts.size(); ++i)
    if (prompts[i].params.n != 1) fail("prompt {}: offline batches take one sample per prompt (n = 1), got n = {}", i + 1, prompts[i].params.n);
  std::vector<OfflineResult> results(prompts.size());
  std::mutex mutex;
  std::condition_variable done;
  size_t finished = 0;
  auto sink_for = [&](size_t i) {
    return [&, i](const RequestOutput& out) {
      if (on_token)
        for (const GeneratedTokenInfo& t : out.new_tokens) on_token(i, t);
      std::lock_guard lock(mutex);
      OfflineResult& r = results[i];
      r.tokens.insert(r.tokens.end(), out.new_tokens.begin(), out.new_tokens.end());
      if (out.finish_reason) {
        r.finish_reason = *out.finish_reason;
        r.error = out.error;
        ++finished;
        done.notify_all();
      }
    };
  };
  for (size_t i = 0; i < prompts.size(); ++i) {
    try {
      auto request = std::make_unique<Request>(std::to_string(i), prompts[i].prompt_ids, prompts[i].params);
      if (prompts[i].make_stop_matcher) request->stop_strings = prompts[i].make_stop_matcher();
      engine.submit(std::move(request), sink_for(i));
    } catch (const Error& e) {
      // The sinks of the requests already submitted point at this frame: end them before leaving.
      for (size_t j = 0; j < i; ++j) engine.abort(std::to_string(j));
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return finished == i; });
      throw Error(prompts.size() == 1 ? std::string(e.what()) : fmt::format("prompt {}: {}", i + 1, e.what()));
    }
  }
  std::unique_lock lock(mutex);
  while (!done.wait_for(lock, std::chrono::milliseconds(500), [&] { return finished == prompts.size(); }))
    if (on_progress) on_progress(finished, prompts.size());
  if (on_progress) on_progress(finished, prompts.size());
  return results;
}

}  // namespace turbine
