// The executor: an engine over several workers (whole-model replicas in lockstep, the shape
// tensor parallelism will fill with shards) gives one worker's output, every plan reaching the
// followers as bytes through the communicator; a failed group fails the step instead of hanging.
#include <gtest/gtest.h>

#include <filesystem>

#include "backend/cpu/cpu_backend.h"
#include "common/error.h"
#include "distributed/in_process_communicator.h"
#include "engine/loop/executor.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"
#include "engine/scheduler/scheduler.h"

namespace turbine {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";

std::vector<OfflinePrompt> mixed_prompts() {
  std::vector<OfflinePrompt> prompts;
  for (int i = 0; i < 12; ++i) {
    OfflinePrompt p;
    p.prompt_ids = {1};
    for (int t = 0; t < 5 + 7 * i; ++t) p.prompt_ids.push_back(int32_t(3 + (t * 37 + i * 11) % 500));
    p.params.max_tokens = 24;
    p.params.ignore_eos = true;
    p.params.sampling.logprobs = 2;
    if (i % 3 == 0) p.params.sampling.temperature = 0.0f;
    if (i % 3 == 1) p.params.sampling.seed = uint64_t(i);
    if (i % 3 == 2) {
      p.params.sampling.seed = uint64_t(i);
      p.params.sampling.repetition_penalty = 1.2f;
    }
    prompts.push_back(std::move(p));
  }
  return prompts;
}

TEST(Executor, ThreeWorkersInLockstepGiveOneWorkersOutput) {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::unique_ptr<Model>> models;
  std::vector<LlmEngine::ModelOnDevice> devices;
  for (int i = 0; i < 3; ++i) {
    backends.push_back(make_cpu_backend(2));
    models.push_back(load_model(kStories, *backends.back()));
    devices.push_back({models.back().get(), backends.back().get()});
  }
  EngineOptions options;
  options.max_num_batched_tokens = 48;  // chunked prefills mixed with decodes
  options.kv_cache_memory = 1 << 20;    // small: preemptions, and the plans that recompute
  const std::vector<OfflinePrompt> prompts = mixed_prompts();
  std::vector<OfflineResult> alone, lockstep;
  {
    LlmEngine engine(*models[0], *backends[0], options);
    alone = run_offline(engine, prompts);
  }
  {
    EngineOptions checked = options;
    checked.verify_worker_lockstep = true;  // every step: the followers sampled the driver's tokens
    LlmEngine engine(devices, checked);
    lockstep = run_offline(engine, prompts);
    EXPECT_GT(engine.stats().num_steps, 20u);
    OfflinePrompt two_samples = prompts[0];
    two_samples.params.n = 2;
    EXPECT_THROW(run_offline(engine, {two_samples}), Error);  // one result per prompt
  }
  ASSERT_EQ(alone.size(), lockstep.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    ASSERT_EQ(alone[i].tokens.size(), lockstep[i].tokens.size()) << i;
    for (size_t t = 0; t < alone[i].tokens.size(); ++t) {
      EXPECT_EQ(alone[i].tokens[t].token, lockstep[i].tokens[t].token) << i << " " << t;
      EXPECT_EQ(alone[i].tokens[t].logprob, lockstep[i].tokens[t].logprob) << i << " " << t;
    }
  }
}

TEST(Executor, AWorkerOutOfLockstepFailsTheStepNamingItsRank) {
  // A follower with another model (same vocabulary) samples other tokens.
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(make_cpu_backend(1));
  backends.push_back(make_cpu_backend(1));
  std::unique_ptr<Model> driver = load_model(kStories, *backends[0]);
  std::unique_ptr<Model> other =
      load_model(std::filesystem::path(TURBINE_SOURCE_DIR) / "tests/golden/models/llama3_gqa", *backends[1]);
  ASSERT_EQ(driver->config().vocab_size, other->config().vocab_size);
  EngineOptions options;
  options.verify_worker_lockstep = true;
  options.max_model_len = 64;
  LlmEngine engine(std::vector<LlmEngine::ModelOnDevice>{{driver.get(), backends[0].get()}, {other.get(), backends[1].get()}},
                   options);
  OfflinePrompt p;
  p.prompt_ids = {1, 5, 9, 13, 17};
  p.params.max_tokens = 20;
  p.params.ignore_eos = true;
  p.params.sampling.temperature = 0.0f;
  const std::vector<OfflineResult> out = run_offline(engine, {p});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].finish_reason, RequestFinishReason::kAbort);
  EXPECT_NE(out[0].error.find("worker 1 sampled other tokens"), std::string::npos) << out[0].error;
}

TEST(Executor, AFailedGroupFailsTheStepAndStopsCleanly) {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<std::unique_ptr<Model>> models;
  for (int i = 0; i < 2; ++i) {
    backends.push_back(make_cpu_backend(2));
    models.push_back(load_model(kStories, *backends.back()));
  }
  auto group = make_in_process_group(2);
  WorkerSetup setup{.num_blocks = 33, .block_size = 16, .max_num_seqs = 4, .max_model_len = 256};
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(std::make_unique<Worker>(*models[i], *backends[i], *group[i], setup));
  Executor executor(std::move(workers));
  Scheduler scheduler(SchedulerConfig{.max_num_batched_tokens = 64, .max_num_seqs = 4, .max_model_len = 256},
                      KvCacheConfig{.num_blocks = 33, .block_size = 16});
  scheduler.add_request(std::make_unique<Request>("a", std::vector<int32_t>{1, 5, 9, 13}, RequestParams{.max_tokens = 8}));
  const SchedulerOutput first = scheduler.schedule();
  executor.launch(first);
  const StepResult result = executor.collect();
  EXPECT_EQ(result.tokens.of(0).size(), 1u);
  scheduler.update_from_output(first, result.tokens);
  // The follower's seat fails (as a worker that throws does): the driver's next command throws.
  group[1]->abort("injected failure");
  const SchedulerOutput second = scheduler.schedule();
  EXPECT_THROW(executor.launch(second), CommunicatorAborted);
  // ~Executor stops the follower without hanging.
}

}  // namespace
}  // namespace turbine
