#include "engine/loop/llm_engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "common/error.h"
#include "distributed/in_process_communicator.h"
#include "distributed/single_process_communicator.h"
#include "engine/loop/executor.h"
#include "engine/loop/memory_plan.h"
#include "runner/kv_cache.h"
#include "runner/model_runner.h"

namespace turbine {
namespace {

constexpr uint64_t kDefaultHostKvCacheBytes = uint64_t(1) << 30;

// The KV budget: the user's, or on a device the planner's share of what the model left free.
uint64_t kv_cache_budget(Model& model, Backend& backend, const EngineOptions& o) {
  if (o.kv_cache_memory > 0) return o.kv_cache_memory;
  const std::optional<DeviceMemoryInfo> device = backend.device_memory();
  if (!device) return kDefaultHostKvCacheBytes;
  backend.synchronize();
  const uint64_t logits = uint64_t(o.max_num_seqs) * uint64_t(model.config().vocab_size) * sizeof(float);
  const GpuMemoryPlan plan = plan_gpu_memory(*device, o.gpu_memory_utilization, model.device_weight_bytes(), logits);
  spdlog::info("{}", plan.describe());
  return plan.kv_cache;
}

KvCapacity plan_kv_cache(const ModelConfig& config, DType dtype, const EngineOptions& o, uint64_t kv_cache_memory,
                         int max_model_len) {
  KvCapacity c;
  c.block_size = o.block_size;
  const uint64_t per_block = KvCache::bytes_per_block(config, o.block_size, dtype);
  const uint64_t budget_blocks = kv_cache_memory / per_block;
  const int64_t blocks_per_seq = (max_model_len + o.block_size - 1) / o.block_size;
  // More blocks than max_num_seqs full-length sequences can use would be memory never touched.
  const int64_t useful = blocks_per_seq * int64_t(o.max_num_seqs);
  c.num_blocks = int(std::min<int64_t>({int64_t(budget_blocks), useful, int64_t(INT32_MAX / o.block_size) - 1}));
  if (c.num_blocks < blocks_per_seq)
    fail("the KV cache budget of {} bytes holds {} tokens, fewer than one sequence of the context length {}: "
         "raise --kv-cache-memory or lower --max-model-len",
         kv_cache_memory, uint64_t(std::max(c.num_blocks, 0)) * o.block_size, max_model_len);
  c.bytes = uint64_t(c.num_blocks + 1) * per_block;
  return c;
}

}  // namespace

uint64_t parse_memory_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    fail("\"{}\" is not a memory size (examples: 512MiB, 4GiB, 1000000)", text);
  }
  std::string unit = text.substr(used);
  unit.erase(0, unit.find_first_not_of(' '));
  for (char& ch : unit) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1.0},          {"b", 1.0},         {"k", 1e3},         {"kb", 1e3},         {"kib", 1024.0},
      {"m", 1e6},         {"mb", 1e6},        {"mib", 1048576.0}, {"g", 1e9},          {"gb", 1e9},
      {"gib", 1073741824.0}, {"t", 1e12},     {"tb", 1e12},       {"tib", 1099511627776.0}};
  for (const auto& [name, scale] : kUnits)
    if (unit == name) {
      const double bytes = value * scale;
      if (!std::isfinite(bytes) || bytes < 0 || bytes > 1.8e19) fail("memory size \"{}\" is out of range", text);
      return uint64_t(bytes);
    }
  fail("\"{}\": unknown memory unit \"{}\" (use B, KB, MB, GB, KiB, MiB, GiB, TiB)", text, unit);
}

LlmEngine::LlmEngine(Model& model, Backend& backend, const EngineOptions& options)
    : LlmEngine(std::vector<ModelOnDevice>{{&model, &backend}}, options) {}

LlmEngine::LlmEngine(const std::vector<ModelOnDevice>& devices, const EngineOptions& options)
    : model_(*devices.at(0).model) {
  Model& model = *devices[0].model;
  Backend& backend = *devices[0].backend;
  const ModelConfig& config = model.config();
  const int64_t context = config.context_length();
  int max_model_len = options.max_model_len > 0 ? options.max_model_len : int(std::min<int64_t>(context, INT32_MAX));
  if (max_model_len > context)
    fail("--max-model-len {} exceeds the model's context length {}", max_model_len, context);
  scheduler_config_.max_num_batched_tokens = options.max_num_batched_tokens;
  scheduler_config_.max_num_seqs = options.max_num_seqs;
  scheduler_config_.max_model_len = max_model_len;
  scheduler_config_.policy = options.policy;
  scheduler_config_.eos_token_ids = config.eos_token_ids;
  scheduler_config_.validate();
  if (options.block_size < 1 || options.block_size > 1024)
    fail("--block-size must be in [1, 1024], got {}", options.block_size);
  // Everything sized by the largest step first, so the planner sees it in the device's free memory.
  ForwardLimits limits;
  limits.max_tokens = options.max_num_batched_tokens;
  limits.max_logits = options.max_num_seqs;
  limits.max_model_len = max_model_len;
  limits.block_size = options.block_size;
  for (const ModelOnDevice& d : devices) d.model->reserve(limits);
  // Every worker holds the same KV geometry (the plan refers to one set of block ids), sized by
  // the driver's device.
  capacity_ = plan_kv_cache(config, backend.activation_dtype(), options, kv_cache_budget(model, backend, options),
                            max_model_len);

  KvCacheConfig kv;
  kv.num_blocks = capacity_.num_blocks + 1;  // + the reserved null block
  kv.block_size = options.block_size;
  kv.enable_prefix_caching = options.enable_prefix_caching;
  kv.sliding_window = model.kv_sliding_window();
  scheduler_ = std::make_unique<Scheduler>(scheduler_config_, kv);

  WorkerSetup setup;
  setup.num_blocks = kv.num_blocks;
  setup.block_size = kv.block_size;
  setup.max_num_seqs = options.max_num_seqs;
  setup.max_model_len = max_model_len;
  setup.enforce_eager = options.enforce_eager;
  setup.grammars = options.grammars;
  grammars_ = options.grammars;
  if (devices.size() == 1) {
    communicators_.push_back(std::make_unique<SingleProcessCommunicator>());
  } else {
    communicators_ = make_in_process_group(int(devices.size()));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  int captured = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < devices.size(); ++i) {
    workers.push_back(std::make_unique<Worker>(*devices[i].model, *devices[i].backend, *communicators_[i], setup));
    captured = workers.back()->capture_graphs(setup);
  }
  const bool graphs = workers[0]->graphs_enabled();
  if (graphs)
    spdlog::info("captured {} decode graphs (batch 1 to {}) in {:.2f} s", captured,
                 std::min(options.max_num_seqs, kMaxDecodeGraphBatch),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  executor_ = std::make_unique<Executor>(std::move(workers), options.verify_worker_lockstep);
  using Async = EngineOptions::AsyncScheduling;
  drafter_ = make_drafter(options.speculative);
  num_speculative_tokens_ = options.speculative.num_speculative_tokens;
  if (drafter_ && options.async_scheduling == Async::kOn)
    fail("async scheduling cannot be combined with speculative decoding (drafts need each step's tokens first)");
  async_scheduling_ = options.async_scheduling == Async::kOn ||
                      (options.async_scheduling == Async::kAuto && !backend.uses_host_memory() && !drafter_);
  outputs_ = std::make_unique<OutputDispatcher>(async_scheduling_);
  spdlog::info("KV cache: {} blocks of {} tokens = {} tokens ({:.1f} MiB), max {} sequences, context {}; decode {}; "
               "scheduling {}{}{}",
               capacity_.num_blocks, capacity_.block_size, capacity_.tokens(), double(capacity_.bytes) / 1048576.0,
               options.max_num_seqs, max_model_len, graphs ? "graphs" : "eager", async_scheduling_ ? "async" : "in order",
               drafter_ ? fmt::format("; speculative {} x{}", speculative_method_name(options.speculative.method),
                                      num_speculative_tokens_)
                        : std::string(),
               kv.sliding_window > 0 ? fmt::format("; sliding window {} (blocks outside it released)", kv.sliding_window)
                                     : std::string());
  thread_ = std::thread([this] { run(); });
}

LlmEngine::~LlmEngine() {
  stopping_ = true;
  scheduler_->queue().close();
  if (thread_.joinable()) thread_.join();
  outputs_->close("the engine shut down");
}

void LlmEngine::submit(std::unique_ptr<Request> request, OutputSink sink) {
  TURBINE_CHECK(request != nullptr);
  request->params.validate(model_.config().vocab_size);
  const int64_t vocab = model_.config().vocab_size;
  const auto prompt = request->prompt_token_ids();
  for (size_t i = 0; i < prompt.size(); ++i)
    if (prompt[i] < 0 || prompt[i] >= vocab)
      fail("request '{}': prompt token {} (at index {}) is outside the vocabulary [0, {})", request->id, prompt[i], i,
           vocab);
  if (request->params.structured) {
    // Compiled here, on the submitting thread (the API layer's, not the engine's), so that an
    // invalid constraint fails this call and the runner finds the grammar in the cache.
    if (!grammars_) fail("structured output is not available for this model (no grammar compiler)");
    grammars_->get(*request->params.structured);
  }
  if (stopping_) fail("the engine is shutting down");
  const uint64_t key = outputs_->add_sink(request->id, std::move(sink), request->params.n);
  request->output_key = key;
  try {
    scheduler_->add_request(std::move(request));
  } catch (...) {
    outputs_->remove_sink(key);
    throw;
  }
}

void LlmEngine::abort(const std::string& id) { scheduler_->abort_request(id); }

EngineStats LlmEngine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<double> LlmEngine::recent_decode_host_seconds() const {
  std::lock_guard lock(mutex_);
  return decode_host_samples_;
}

void LlmEngine::run() {
  while (!stopping_) {
    if (!in_flight_ && !scheduler_->has_unfinished_requests()) {
      scheduler_->queue().wait_for_work(std::chrono::milliseconds(100));
      continue;
    }
    try {
      step();
    } catch (const std::exception& e) {
      // The scheduler's and runner's state can no longer be trusted: fail every request and stop.
      spdlog::error("engine step failed: {}", e.what());
      stopping_ = true;
      scheduler_->queue().close();
      outputs_->fail_all(std::string("engine failure: ") + e.what());
    }
  }
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A collect that waited at least this long found the device still busy with the step.
constexpr double kDeviceBusyWaitSeconds = 20e-6;

}  // namespace

// Host time of one loop turn, by phase.
struct LlmEngine::StepTimes {
  double schedule = 0, runner = 0, update = 0, emit = 0;
  double wait = 0;  // blocked on the device (in the runner)
};

LlmEngine::LaunchedStep LlmEngine::launch_step(StepTimes& times) {
  const Clock::time_point t0 = Clock::now();
  LaunchedStep launched;
  launched.output = scheduler_->schedule();
  const Clock::time_point t1 = Clock::now();
  const SchedulerOutput& output = launched.output;
  launched.decode_only = !output.scheduled.empty() &&
                         std::all_of(output.scheduled.begin(), output.scheduled.end(),
                                     [](const ScheduledSequence& q) { return q.num_scheduled_tokens() == 1; });
  launched.prompt_tokens = uint64_t(output.num_prompt_tokens);
  executor_->launch(output);
  times.schedule += seconds_between(t0, t1);
  times.runner += seconds_between(t1, Clock::now());
  return launched;
}

void LlmEngine::step() {
  const Clock::time_point start = Clock::now();
  const ModelRunner::HostTimes runner_before = executor_->host_times();
  StepTimes times;
  // Launch the next step first, so the device has it queued while the host finishes the one in
  // flight; in order (or with nothing to add) the step in flight is finished alone.
  const bool launch = !in_flight_ || (async_scheduling_ && scheduler_->can_schedule_ahead() &&
                                      scheduler_->has_unfinished_requests());
  std::optional<LaunchedStep> launched;
  if (launch) launched = launch_step(times);
  const bool ahead = launched && in_flight_;
  // A turn counts as a decode step by what it launched: in order, that is the step it also
  // finished; ahead, it finished the previous one (a turn that only finishes the step in flight,
  // at the end of a run or before the next step of a request that reads its output, launches
  // nothing).
  const bool decode_only = launched && launched->decode_only;
  const size_t rows = launched ? launched->output.scheduled.size() : 0;
  double ahead_wait = 0;
  if (in_flight_) {
    const double before = times.wait;
    finish_step(*in_flight_, times);
    ahead_wait = times.wait - before;
    in_flight_.reset();
  }
  if (launched) {
    // Steps in order, and empty ones, are finished at once: there is nothing to overlap.
    if (!async_scheduling_ || launched->output.empty()) {
      finish_step(*launched, times);
    } else {
      in_flight_ = std::move(launched);
    }
  }

  const SchedulerStats s = scheduler_->stats();
  const double host_seconds = std::max(seconds_between(start, Clock::now()) - times.wait, 0.0);
  std::lock_guard lock(mutex_);
  stats_.host_seconds += host_seconds;
  stats_.device_wait_seconds += times.wait;
  if (decode_only) {
    stats_.decode_steps += 1;
    stats_.decode_rows += rows;
    stats_.decode_host_seconds += host_seconds;
    stats_.decode_schedule_seconds += times.schedule;
    stats_.decode_runner_host_seconds += std::max(times.runner - times.wait, 0.0);
    stats_.decode_update_seconds += times.update;
    stats_.decode_emit_seconds += times.emit;
    const ModelRunner::HostTimes& runner_after = executor_->host_times();
    stats_.decode_runner_rows_seconds += runner_after.rows - runner_before.rows;
    stats_.decode_runner_upload_seconds += runner_after.upload - runner_before.upload;
    stats_.decode_runner_forward_seconds += runner_after.forward - runner_before.forward;
    stats_.decode_runner_sampling_seconds += runner_after.sampling - runner_before.sampling;
    stats_.decode_runner_collect_seconds += runner_after.collect - runner_before.collect;
    stats_.decode_steps_ahead += uint64_t(ahead);
    const bool hidden = ahead && ahead_wait >= kDeviceBusyWaitSeconds;
    stats_.decode_steps_hidden += uint64_t(hidden);
    if (!hidden) stats_.decode_exposed_host_seconds += host_seconds;
    if (decode_host_samples_.size() < kMaxDecodeHostSamples) {
      decode_host_samples_.push_back(host_seconds);
    } else {
      decode_host_samples_[size_t(stats_.decode_steps) % kMaxDecodeHostSamples] = host_seconds;
    }
  }
  copy_scheduler_gauges(s);
}

void LlmEngine::copy_scheduler_gauges(const SchedulerStats& s) {
  stats_.num_running = s.num_running;
  stats_.num_waiting = s.num_waiting;
  stats_.kv_cache_usage = s.kv_cache_usage;
  stats_.prefix_cache_queried_tokens = s.prefix_cache.queried_tokens;
  stats_.prefix_cache_hit_tokens = s.prefix_cache.hit_tokens;
  stats_.num_preemptions = s.num_preemptions;
}

void LlmEngine::finish_step(const LaunchedStep& launched, StepTimes& times) {
  const SchedulerOutput& output = launched.output;
  const Clock::time_point t0 = Clock::now();
  StepResult result = executor_->collect();
  const Clock::time_point t1 = Clock::now();
  times.runner += seconds_between(t0, t1);
  times.wait += result.wait_seconds;
  // Before the update, which may finish the requests (one gone already was aborted or stopped:
  // nobody waits for its prompt logprobs).
  for (size_t i = 0; i < result.prompt_logprobs.size(); ++i) {
    if (result.prompt_logprobs[i].empty()) continue;
    const Request* request = scheduler_->find_sequence(output.scheduled[i].seq_id);
    if (request == nullptr) continue;
    auto& slots = prompt_logprobs_[request->output_key];
    slots.resize(size_t(request->num_prompt_tokens()));
    for (PromptTokenLogprob& p : result.prompt_logprobs[i]) slots[size_t(p.position)] = std::move(p);
  }
  uint64_t drafts = 0, accepted = 0;
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const int k = output.scheduled[i].num_draft_tokens;
    if (k == 0) continue;
    drafts += uint64_t(k);
    accepted += uint64_t(std::max<int>(int(result.tokens.of(i).size()) - 1, 0));
  }
  std::vector<RequestDelta> deltas = scheduler_->update_from_output(output, result.tokens);
  if (drafter_) propose_drafts();
  uint64_t generated = 0;
  for (const RequestDelta& d : deltas) generated += uint64_t(d.num_new_tokens);
  {
    // Before the outputs go out: whoever reads the stats after seeing a request finish (/metrics
    // right after a response, a test) sees its tokens counted, its request gone from the running
    // count and its blocks freed.
    const SchedulerStats s = scheduler_->stats();
    std::lock_guard lock(mutex_);
    copy_scheduler_gauges(s);
    stats_.num_steps += 1;
    stats_.prompt_tokens_computed += launched.prompt_tokens;
    stats_.generation_tokens += generated;
    stats_.spec_draft_tokens += drafts;
    stats_.spec_accepted_tokens += accepted;
  }
  const Clock::time_point t2 = Clock::now();
  emit(std::move(deltas), result);
  const Clock::time_point t3 = Clock::now();
  times.update += seconds_between(t1, t2);
  times.emit += seconds_between(t2, t3);
}

void LlmEngine::propose_drafts() {
  for (const Request* request : scheduler_->sequences_ready_for_drafts()) {
    drafter_->propose(request->all_token_ids(), num_speculative_tokens_, drafts_);
    if (!drafts_.empty()) scheduler_->set_draft_tokens(request->seq_id, drafts_);
  }
}

void LlmEngine::emit(std::vector<RequestDelta> deltas, StepResult& result) {
  StepOutputs step;
  if (!prompt_logprobs_.empty()) {
    for (size_t k = 0; k < deltas.size(); ++k) {
      auto it = prompt_logprobs_.find(deltas[k].output_key);
      if (it == prompt_logprobs_.end()) continue;
      std::vector<PromptTokenLogprobInfo> logprobs;
      for (auto& entry : it->second)
        if (entry) logprobs.push_back(std::move(*entry));
      prompt_logprobs_.erase(it);
      step.prompt_logprobs.emplace_back(k, std::move(logprobs));
    }
  }
  step.deltas = std::move(deltas);
  step.samples = std::move(result.samples);
  outputs_->post(std::move(step));
}

}  // namespace turbine
