#include "engine/loop/output_dispatcher.h"

#include <spdlog/spdlog.h>

#include "common/error.h"

namespace turbine {
namespace {

// A sink that throws loses its own output; the other requests' outputs still go out.
void call(const OutputSink& sink, const RequestOutput& out) {
  try {
    sink(out);
  } catch (const std::exception& e) {
    spdlog::error("output sink of request '{}' failed: {}", out.id, e.what());
  }
}

}  // namespace

OutputDispatcher::OutputDispatcher(bool own_thread) {
  if (own_thread) thread_ = std::thread([this] { run(); });
}

OutputDispatcher::~OutputDispatcher() { close(); }

void OutputDispatcher::add_sink(const std::string& id, OutputSink sink, int num_samples) {
  std::lock_guard lock(sinks_mutex_);
  if (refusing_) fail("the engine is shutting down");
  if (sinks_.contains(id)) fail("request id '{}' is already in use", id);
  sinks_.emplace(id, SinkEntry{std::move(sink), num_samples, {}});
}

void OutputDispatcher::remove_sink(const std::string& id) {
  std::lock_guard lock(sinks_mutex_);
  sinks_.erase(id);
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
    RequestDelta& d = step.deltas[k];
    RequestOutput out;
    out.id = std::move(d.id);
    out.sample_index = d.sample_index;
    out.finish_reason = d.finish_reason;
    out.stop_token_id = d.stop_token_id;
    out.num_prompt_tokens = d.num_prompt_tokens;
    out.num_cached_tokens = d.num_cached_tokens;
    out.num_output_tokens = d.num_output_tokens;
    if (next_prompt_logprobs < step.prompt_logprobs.size() && step.prompt_logprobs[next_prompt_logprobs].first == k)
      out.prompt_logprobs = std::move(step.prompt_logprobs[next_prompt_logprobs++].second);
    out.new_tokens.reserve(d.new_token_ids.size());
    for (int32_t token : d.new_token_ids) {
      if (d.scheduled_index >= 0) {
        SampledToken& s = step.samples[size_t(d.scheduled_index)];
        if (s.token == token) {
          out.new_tokens.push_back(std::move(s));
          continue;
        }
      }
      out.new_tokens.push_back(GeneratedTokenInfo{token, 0.0f, {}});
    }

    OutputSink* sink = nullptr;
    std::vector<int> unreported;  // samples an abort ended before they existed (n > 1, not forked)
    std::optional<SinkEntry> finished_entry;  // keeps the sink alive after its entry is gone
    {
      std::lock_guard lock(sinks_mutex_);
      auto it = sinks_.find(out.id);
      if (it == sinks_.end()) continue;
      SinkEntry& entry = it->second;
      sink = &entry.sink;
      if (d.finish_reason) {
        entry.finished_samples.insert(d.sample_index);
        if (*d.finish_reason == RequestFinishReason::kAbort)
          for (int i = 0; i < entry.num_samples; ++i)
            if (!entry.finished_samples.contains(i)) unreported.push_back(i), entry.finished_samples.insert(i);
        if (int(entry.finished_samples.size()) == entry.num_samples) {
          // Erased before the last call, so that the sink may reuse the id at once.
          finished_entry = std::move(entry);
          sinks_.erase(it);
          sink = &finished_entry->sink;
        }
      }
    }
    // Entries are erased only on this thread, and unordered_map nodes stay put when others are
    // added: the pointer stays valid outside the lock.
    if (!*sink) continue;
    const std::string id = unreported.empty() ? std::string() : out.id;
    call(*sink, out);
    for (int sample : unreported) {
      RequestOutput aborted;
      aborted.id = id;
      aborted.sample_index = sample;
      aborted.finish_reason = RequestFinishReason::kAbort;
      aborted.num_prompt_tokens = d.num_prompt_tokens;
      call(*sink, aborted);
    }
  }
}

void OutputDispatcher::fail_sinks(const std::string& message) {
  std::unordered_map<std::string, SinkEntry> sinks;
  {
    std::lock_guard lock(sinks_mutex_);
    sinks.swap(sinks_);
  }
  for (auto& [id, entry] : sinks) {
    RequestOutput out;
    out.id = id;
    out.finish_reason = RequestFinishReason::kAbort;
    out.error = message;
    if (entry.sink) call(entry.sink, out);
  }
}

}  // namespace turbine
