// LlmEngine: the scheduler, the model runner and the thread that drives them.
//
// Any thread may submit() requests and abort() them; the engine thread runs steps while there
// is work: schedule -> run the model and sample -> update requests -> push each request's new
// tokens to its sink. The engine thread hands each step's outputs to an OutputDispatcher, whose
// own thread calls the sinks when scheduling is asynchronous (output_dispatcher.h); sinks must
// return quickly (the server only queues the output for its connection).
//
// Asynchronous scheduling (on by default where the backend runs on its own device): the engine
// schedules and launches step N+1 before it collects step N, so the host's work for a step
// (scheduling, building inputs, launching, updating requests, emitting) runs while the device
// computes the previous one, and the device does not wait for the host between steps (see
// Scheduler, "Scheduling ahead", for what that costs: a stopped request's one wasted row). It
// steps in order while a request that reads its output (penalties, bad words) has a token in
// flight, and on the CPU backend, whose ops run on the engine thread itself (nothing to overlap,
// and streams would lag a step).
//
// KV capacity comes from a memory budget (EngineOptions::kv_cache_memory, or on a GPU the memory
// planner's share of the device), turned into blocks once at construction; `capacity()` reports
// what fits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "engine/drafting/speculative_config.h"
#include "engine/loop/output_dispatcher.h"
#include "engine/request.h"
#include "engine/scheduler/scheduler.h"
#include "model/model.h"
#include "structured/grammar_compiler.h"

namespace turbine {

class Communicator;
class Executor;

struct EngineOptions {
  int block_size = 16;
  // Bytes for K and V of every layer; 0 means planned from the device's memory
  // (memory_plan.h) on a backend with its own memory, and 1 GiB on the host.
  uint64_t kv_cache_memory = 0;
  double gpu_memory_utilization = 0.9;  // the share of the device the planner may use
  bool enable_prefix_caching = true;
  int max_num_seqs = 128;
  int max_num_batched_tokens = 2048;
  int max_model_len = 0;  // 0: the model's context length
  SchedulingPolicy policy = SchedulingPolicy::kFcfs;
  // Never replay decode steps as graphs (for debugging and comparisons; vLLM's --enforce-eager).
  bool enforce_eager = false;
  // Launch each step before the previous one's results are back: kAuto turns it on where the
  // backend has its own device (not on the CPU).
  enum class AsyncScheduling { kAuto, kOn, kOff };
  AsyncScheduling async_scheduling = AsyncScheduling::kAuto;
  // Drafting tokens to verify several per step (speculative decoding). Drafts need each step's
  // tokens before the next step is planned, so drafting steps in order: kAuto then means off,
  // and kOn with drafting is refused.
  SpeculativeConfig speculative;
  // With several workers, check after every step that each produced the driver's tokens
  // (Executor's verify_lockstep; for tests and debugging).
  bool verify_worker_lockstep = false;
  // Compiles and caches structured-output constraints for this model's vocabulary (one per served
  // model, shared with the API layer). Null: requests with RequestParams::structured are refused.
  std::shared_ptr<structured::GrammarCompiler> grammars;
};

struct KvCapacity {
  int num_blocks = 0;  // usable blocks (the reserved null block not counted)
  int block_size = 0;
  uint64_t bytes = 0;
  int64_t tokens() const { return int64_t(num_blocks) * block_size; }
};


struct EngineStats {
  int num_running = 0;
  int num_waiting = 0;
  double kv_cache_usage = 0.0;
  uint64_t prefix_cache_queried_tokens = 0;
  uint64_t prefix_cache_hit_tokens = 0;
  uint64_t num_preemptions = 0;
  uint64_t num_steps = 0;
  uint64_t prompt_tokens_computed = 0;  // tokens run through the model as prompt (not cached)
  uint64_t generation_tokens = 0;
  // Where a step's time goes: host work (scheduling, building inputs, launching, sampling
  // bookkeeping, updating requests, emitting outputs) and the time blocked on the device.
  double host_seconds = 0;
  double device_wait_seconds = 0;
  // The same host time over decode-only steps (one token per scheduled sequence), with the rows
  // they ran, so that host time per decode step at a batch size can be reported.
  uint64_t decode_steps = 0;
  uint64_t decode_rows = 0;
  double decode_host_seconds = 0;
  // ... split by phase: scheduling, the runner's own host work (inputs, launches, sampling
  // inputs and results), updating requests (append, stop checks), emitting outputs to sinks.
  double decode_schedule_seconds = 0;
  double decode_runner_host_seconds = 0;
  double decode_update_seconds = 0;
  double decode_emit_seconds = 0;
  // ... and the runner's part split by kind (ModelRunner::HostTimes): per-row work, the backend
  // calls that queue the step (uploading inputs, the forward pass, the sampling launch),
  // collecting the samples.
  double decode_runner_rows_seconds = 0;
  double decode_runner_upload_seconds = 0;
  double decode_runner_forward_seconds = 0;
  double decode_runner_sampling_seconds = 0;
  double decode_runner_collect_seconds = 0;
  // Decode steps launched while the previous step was still in flight, and of those, the ones
  // whose host work was hidden: the host then still waited for the device (>= 20 us) to collect
  // the previous step, so the device had the next step queued before it ran out of work.
  uint64_t decode_steps_ahead = 0;
  uint64_t decode_steps_hidden = 0;
  // Host seconds of the decode steps that were not hidden: at most what the device waited for
  // the host between decode steps.
  double decode_exposed_host_seconds = 0;
  // Speculative decoding: draft tokens the steps verified, and of those, the ones accepted.
  uint64_t spec_draft_tokens = 0;
  uint64_t spec_accepted_tokens = 0;
};

class LlmEngine {
 public:
  // One worker: the model on its backend.
  LlmEngine(Model& model, Backend& backend, const EngineOptions& options);
  // One worker per device, devices[0] driving (executor.h); with more than one, the workers form
  // an in-process communicator group and run every step in lockstep. Each model must be the same
  // architecture and shape (today a whole replica per device; a shard under tensor parallelism).
  struct ModelOnDevice {
    Model* model = nullptr;
    Backend* backend = nullptr;
  };
  LlmEngine(const std::vector<ModelOnDevice>& devices, const EngineOptions& options);
  ~LlmEngine();  // aborts what is left and joins the engine thread
  LlmEngine(const LlmEngine&) = delete;
  LlmEngine& operator=(const LlmEngine&) = delete;

  // Validates the request (sampling and engine parameters, prompt ids against the vocabulary
  // and the context) on the caller's thread; throws turbine::Error for bad input.
  void submit(std::unique_ptr<Request> request, OutputSink sink);
  void abort(const std::string& id);

  EngineStats stats() const;
  // Host seconds of each recent decode-only step (the last 8192, in no particular order).
  std::vector<double> recent_decode_host_seconds() const;
  const KvCapacity& capacity() const { return capacity_; }
  int max_model_len() const { return scheduler_config_.max_model_len; }
  const ModelConfig& model_config() const { return model_.config(); }

 private:
  struct StepTimes;
  struct LaunchedStep;
  void run();
  // One turn of the loop: launches the next step (ahead of the one in flight when allowed),
  // then finishes the oldest launched step.
  void step();
  // Collects the step's results from the runner, updates the scheduler and emits.
  void finish_step(const LaunchedStep& launched, StepTimes& times);
  // The running/waiting counts, KV usage and prefix-cache totals from the scheduler (mutex_ held).
  void copy_scheduler_gauges(const SchedulerStats& s);
  // Asks the drafter for every sequence that may take drafts now.
  void propose_drafts();
  // Hands the step's outputs to the dispatcher (the sinks run on its thread).
  void emit(std::vector<RequestDelta> deltas, struct StepResult& result);

  Model& model_;
  SchedulerConfig scheduler_config_;
  KvCapacity capacity_;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<structured::GrammarCompiler> grammars_;  // EngineOptions::grammars
  std::vector<std::unique_ptr<Communicator>> communicators_;  // the workers' group, rank by rank
  std::unique_ptr<Executor> executor_;                        // after communicators_: stops first
  bool async_scheduling_ = false;
  std::unique_ptr<Drafter> drafter_;  // null: no speculative decoding
  int num_speculative_tokens_ = 0;
  std::vector<int32_t> drafts_;       // propose_drafts' scratch
  // A launched step and what finishing it needs, captured at launch.
  struct LaunchedStep {
    SchedulerOutput output;
    bool decode_only = false;     // one token per scheduled sequence
    uint64_t prompt_tokens = 0;   // prompt tokens it computes (not cached)
  };
  LaunchedStep launch_step(StepTimes& times);
  std::optional<LaunchedStep> in_flight_;  // engine thread only: launched, not yet finished

  // Calls the sinks: on its own thread with async scheduling (the host work it takes then
  // overlaps the device too), else on the engine thread.
  std::unique_ptr<OutputDispatcher> outputs_;
  mutable std::mutex mutex_;  // guards stats_ and the host-time samples
  EngineStats stats_;
  static constexpr size_t kMaxDecodeHostSamples = 8192;
  std::vector<double> decode_host_samples_;  // host seconds of recent decode-only steps (a ring)
  // Engine thread only: prompt logprobs computed so far, by request output key and position (a
  // preempted request recomputes its prompt and overwrites them with the same values).
  std::unordered_map<uint64_t, std::vector<std::optional<PromptTokenLogprobInfo>>> prompt_logprobs_;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Parses a memory size such as "512MiB", "4GiB", "2GB", "1048576" into bytes.
uint64_t parse_memory_size(const std::string& text);

}  // namespace turbine
