// OutputDispatcher: hands each step's new tokens to the requests' sinks on a thread of its own.
//
// Calling sinks is per-request work (building the output, the sink's own locking and queueing;
// in the server, waking the connection's I/O thread): at 256 running requests it was 0.07-0.13
// ms of the engine thread's host time per step on an H100 host. The engine thread now hands the
// whole step over with one queue push (a few microseconds) and goes on to the next step; this
// thread turns it into one RequestOutput per request sample, in step order, and calls the
// sinks. It owns the sink table, keyed by the number add_sink() returns (the request's
// Request::output_key, which every RequestDelta carries); a request id is in use from submit()
// until its last output has been handed to its sink. Nothing the engine thread allocates per row
// crosses over (docs/performance.md, 2026-12-07: frees of the engine thread's per-row strings and
// vectors on this thread had made the hand-over cost more than delivering inline).
//
// Sinks run on this thread, one at a time, and must return quickly (the server only queues the
// output for its connection). They may call the engine (abort, submit).
//
// Without a thread of its own (the engine on the CPU backend, whose steps run on the engine
// thread itself: there is nothing to overlap, and a third busy thread on a small machine only
// delays the streams), post() and fail_all() deliver at once on the caller's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/scheduler/scheduler_output.h"

namespace turbine {

// A generated token as sinks see it: the sampled token with its logprobs.
using GeneratedTokenInfo = SampledToken;

// A prompt token's logprob as sinks see it.
using PromptTokenLogprobInfo = PromptTokenLogprob;

// What one step produced for one request sample (its sink knows which request).
struct RequestOutput {
  int sample_index = 0;
  std::vector<GeneratedTokenInfo> new_tokens;
  // With prompt_logprobs: positions 1 .. prompt length - 1, on the request's first output only.
  std::vector<PromptTokenLogprobInfo> prompt_logprobs;
  std::optional<RequestFinishReason> finish_reason;  // set on the sample's last output
  std::optional<int32_t> stop_token_id;
  int num_prompt_tokens = 0;
  int num_cached_tokens = 0;
  int num_output_tokens = 0;
  std::string error;  // non-empty when the engine failed and aborted the request
};

using OutputSink = std::function<void(const RequestOutput&)>;

// One step's outputs, as the engine thread hands them over.
struct StepOutputs {
  std::vector<RequestDelta> deltas;
  std::vector<SampledToken> samples;  // the step's tokens with their logprobs (StepTokens::ids order)
  // Complete prompt logprobs of requests in `deltas`: (index into deltas, the logprobs).
  std::vector<std::pair<size_t, std::vector<PromptTokenLogprobInfo>>> prompt_logprobs;
};

class OutputDispatcher {
 public:
  explicit OutputDispatcher(bool own_thread = true);
  ~OutputDispatcher();  // close()
  OutputDispatcher(const OutputDispatcher&) = delete;
  OutputDispatcher& operator=(const OutputDispatcher&) = delete;

  // Registers the sink of a request with `num_samples` samples and returns its key, the
  // request's Request::output_key (never reused); throws turbine::Error when the id is in use or
  // the dispatcher is closed.
  uint64_t add_sink(const std::string& id, OutputSink sink, int num_samples);
  // Takes back a sink whose request never reached the engine.
  void remove_sink(uint64_t key);

  // Queues a step's outputs (any thread; the engine thread in practice).
  void post(StepOutputs outputs);
  // Queues, after everything posted so far, an abort with `message` to every sink registered
  // by then; later submissions are refused until close().
  void fail_all(std::string message);
  // Delivers everything queued, fails the sinks left with `message`, and joins the thread.
  // Idempotent; add_sink fails afterwards.
  void close(const std::string& message = "the engine shut down");

 private:
  struct SinkEntry {
    std::string id;
    OutputSink sink;
    int num_samples = 1;
    std::set<int> finished_samples;
  };
  struct Item {
    std::optional<StepOutputs> outputs;
    std::optional<std::string> fail_message;  // fail every sink registered
  };
  void run();
  void deliver(StepOutputs& outputs);
  void fail_sinks(const std::string& message);

  // Two locks, so that the engine thread's post() never waits behind sink bookkeeping.
  std::mutex queue_mutex_;  // guards queue_ and closing_
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool closing_ = false;    // the thread drains the queue and exits
  std::mutex sinks_mutex_;  // guards sinks_, ids_in_use_, next_key_ and refusing_
  std::unordered_map<uint64_t, SinkEntry> sinks_;  // by key
  std::unordered_set<std::string> ids_in_use_;     // the ids of sinks_
  uint64_t next_key_ = 1;
  bool refusing_ = false;   // fail_all or close: no new sinks
  std::thread thread_;
};

}  // namespace turbine
