#include "engine/loop/output_dispatcher.h"

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace turbine {
namespace {

// A sink that throws loses its own output; the other requests' outputs still go out.
void call(const OutputSink& sink, const std::string& id, const RequestOutput& out) {
  try {
    sink(out);
  } catch (const std::exception& e) {
    spdlog::error("output sink of request '{}' failed: {}", id, e.what());
  }
}

}  // namespace

OutputDispatcher::OutputDispatcher(bool own_thread) {
  if (own_thread) thread_ = std::thread([this] { run(); });
}

OutputDispatcher::~OutputDispatcher() { close(); }

uint64_t OutputDispatcher::add_sink(const std::string& id, OutputSink sink, int num_samples) {
  std::lock_guard lock(sinks_mutex_);
  if (refusing_) fail("the engine is shutting down");
  if (!ids_in_use_.insert(id).second) fail("request id '{}' is already in use", id);
  const uint64_t key = next_key_++;
  sinks_.emplace(key, SinkEntry{id, std::move(sink), num_samples, {}});
  return key;
}

void OutputDispatcher::remove_sink(uint64_t key) {
  std::lock_guard lock(sinks_mutex_);
  const auto it = sinks_.find(key);
  if (it == sinks_.end()) return;
  ids_in_use_.erase(it->second.id);
  sinks_.erase(it);
}

void OutputDispatcher::post(StepOutputs outputs) {
  if (outputs.deltas.empty()) return;
  if (!thread_.joinable()) {
    deliver(outputs);
    return;
  }
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(Item{std::move(outputs), std::nullopt});
  }
  wake_.notify_one();
}

void OutputDispatcher::fail_all(std::string message) {
  {
    std::lock_guard lock(sinks_mutex_);
    refusing_ = true;
  }
  if (!thread_.joinable()) {
    fail_sinks(message);
    return;
  }
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(Item{std::nullopt, std::move(message)});
  }
  wake_.notify_one();
}

void OutputDispatcher::close(const std::string& message) {
  {
    std::lock_guard lock(sinks_mutex_);
    refusing_ = true;
  }
  {
    std::lock_guard lock(queue_mutex_);
    if (closing_ && !thread_.joinable()) return;
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  fail_sinks(message);  // whatever the last step left unfinished
}

void OutputDispatcher::run() {
  while (true) {
    std::deque<Item> items;
    {
      std::unique_lock lock(queue_mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything delivered
      items.swap(queue_);
    }
    for (Item& item : items) {
      if (item.outputs) deliver(*item.outputs);
      if (item.fail_message) fail_sinks(*item.fail_message);
    }
  }
}

void OutputDispatcher::deliver(StepOutputs& step) {
  size_t next_prompt_logprobs = 0;
  for (size_t k = 0; k < step.deltas.size(); ++k) {
    const RequestDelta& d = step.deltas[k];
    RequestOutput out;
    out.sample_index = d.sample_index;
    out.finish_reason = d.finish_reason;
    out.stop_token_id = d.stop_token_id;
    out.num_prompt_tokens = d.num_prompt_tokens;
    out.num_cached_tokens = d.num_cached_tokens;
    out.num_output_tokens = d.num_output_tokens;
    if (next_prompt_logprobs < step.prompt_logprobs.size() && step.prompt_logprobs[next_prompt_logprobs].first == k)
      out.prompt_logprobs = std::move(step.prompt_logprobs[next_prompt_logprobs++].second);
    TURBINE_CHECK(d.token_begin >= 0 && size_t(d.token_begin) + size_t(d.num_new_tokens) <= step.samples.size(),
                  "a delta's tokens [{}, +{}) past the step's {} samples", d.token_begin, d.num_new_tokens,
                  step.samples.size());
    for (int t = 0; t < d.num_new_tokens; ++t) out.new_tokens.push_back(std::move(step.samples[size_t(d.token_begin + t)]));

    SinkEntry* entry = nullptr;
    std::vector<int> unreported;  // samples an abort ended before they existed (n > 1, not forked)
    std::optional<SinkEntry> finished_entry;  // keeps the sink alive after its entry is gone
    {
      std::lock_guard lock(sinks_mutex_);
      auto it = sinks_.find(d.output_key);
      if (it == sinks_.end()) continue;
      entry = &it->second;
      if (d.finish_reason) {
        entry->finished_samples.insert(d.sample_index);
        if (*d.finish_reason == RequestFinishReason::kAbort)
          for (int i = 0; i < entry->num_samples; ++i)
            if (!entry->finished_samples.contains(i)) unreported.push_back(i), entry->finished_samples.insert(i);
        if (int(entry->finished_samples.size()) == entry->num_samples) {
          // Erased before the last call, so that the sink may reuse the id at once.
          finished_entry = std::move(*entry);
          ids_in_use_.erase(finished_entry->id);
          sinks_.erase(it);
          entry = &*finished_entry;
        }
      }
    }
    // Entries are erased only on this thread, and unordered_map nodes stay put when others are
    // added: the pointer stays valid outside the lock.
    if (!entry->sink) continue;
    call(entry->sink, entry->id, out);
    for (int sample : unreported) {
      RequestOutput aborted;
      aborted.sample_index = sample;
      aborted.finish_reason = RequestFinishReason::kAbort;
      aborted.num_prompt_tokens = d.num_prompt_tokens;
      call(entry->sink, entry->id, aborted);
    }
  }
}

void OutputDispatcher::fail_sinks(const std::string& message) {
  std::unordered_map<uint64_t, SinkEntry> sinks;
  {
    std::lock_guard lock(sinks_mutex_);
    sinks.swap(sinks_);
    ids_in_use_.clear();
  }
  for (auto& [key, entry] : sinks) {
    RequestOutput out;
    out.finish_reason = RequestFinishReason::kAbort;
    out.error = message;
    if (entry.sink) call(entry.sink, entry.id, out);
  }
}

}  // namespace turbine
