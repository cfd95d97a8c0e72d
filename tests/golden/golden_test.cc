// Golden tests: Turbine's greedy generations against Hugging Face transformers (fp32).
//
// Every folder under tests/golden/models/ holds a tiny random-weight model of one architecture
// variant and its golden.json, made by tools/make_tiny_models.py with transformers; the real
// stories260K model is checked against the ids in its README. The rule: the greedy ids are
// identical, or at the first divergence each side's token is in the other's top-5, and every
// earlier step's logprobs agree within 1e-2.
//
// With TURBINE_TEST_DEVICE=cuda (a build with TURBINE_CUDA=ON, on the GPU machine) the same
// goldens run on the CUDA backend, whose activations are BF16, and the README's exact ids (no
// logprobs to excuse a near-tie) are not required. The logprob tolerance is then 5e-2, or 1.25x
// what transformers itself drifts from the fp32 golden when it computes in bfloat16, whichever
// is larger (tests/golden/transformers_bf16_drift.json, measured by tools/golden_dtype_drift.py):
// on these tiny random models BF16 rounding alone moves transformers' logprobs by 0.07-0.24, so
// a flat 5e-2 would demand more than BF16 can give; the rule asks Turbine to be as accurate as
// the reference implementation at the same precision.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "backend/cpu/cpu_backend.h"
#include "support/test_backend.h"
#include "model/model.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"

namespace turbine {
namespace {

namespace fs = std::filesystem;
using test_support::make_test_backend;
using test_support::on_cuda;
constexpr double kCpuTolerance = 1e-2, kCudaTolerance = 5e-2, kCudaDriftAllowance = 1.25;

// The tolerance for one model (its folder name) on the backend under test.
double logprob_tolerance(const std::string& model) {
  if (!on_cuda()) return kCpuTolerance;
  static const nlohmann::json drift = [] {
    std::ifstream in(fs::path(TURBINE_SOURCE_DIR) / "tests/golden/transformers_bf16_drift.json");
    return nlohmann::json::parse(in)["drift"];
  }();
  const double reference = drift.contains(model) ? drift[model].get<double>() : 0.0;
  return std::max(kCudaTolerance, kCudaDriftAllowance * reference);
}

struct Reference {
  std::vector<int32_t> prompt;
  std::vector<int32_t> ids;
  std::vector<std::vector<std::pair<int32_t, float>>> top_logprobs;  // may be empty
};

// All of a model's references go through one engine at once (continuous batching), each greedy.
std::vector<OfflineResult> run_greedy(Model& model, Backend& backend, const std::vector<Reference>& refs) {
  std::vector<OfflinePrompt> prompts;
  for (const Reference& ref : refs) {
    OfflinePrompt p;
    p.prompt_ids = ref.prompt;
    p.params.max_tokens = int(ref.ids.size());
    p.params.ignore_eos = true;
    p.params.sampling.temperature = 0.0f;
    p.params.sampling.logprobs = 5;
    prompts.push_back(p);
  }
  LlmEngine engine(model, backend, EngineOptions{});
  return run_offline(engine, prompts);
}

bool in_top(const std::vector<std::pair<int32_t, float>>& top, int32_t id) {
  return std::any_of(top.begin(), top.end(), [&](const auto& e) { return e.first == id; });
}

// Applies the golden rule; reports every violation through gtest.
// transformers generates past the context length; Turbine stops there (finish reason "length"),
// so a reference longer than the context is compared up to it.
// The largest logprob difference seen, with where: printed per model so a drift is visible
// before it crosses the tolerance.
struct Drift {
  double max_diff = 0.0;
  std::string where;
  void see(double diff, const std::string& label, size_t step) {
    if (diff > max_diff) max_diff = diff, where = label + " step " + std::to_string(step);
  }
};

void expect_matches_reference(const OfflineResult& got, const Reference& ref, int64_t context, const std::string& label,
                              double tolerance, Drift& drift) {
  const size_t room = size_t(std::max<int64_t>(0, context - int64_t(ref.prompt.size())));
  ASSERT_EQ(got.tokens.size(), std::min(ref.ids.size(), room)) << label;
  EXPECT_EQ(got.finish_reason, RequestFinishReason::kLength) << label;
  for (size_t step = 0; step < got.tokens.size(); ++step) {
    const GeneratedTokenInfo& ours = got.tokens[step];
    const bool have_ref_logprobs = !ref.top_logprobs.empty();
    if (ours.token != ref.ids[step]) {
      ASSERT_TRUE(have_ref_logprobs) << label << ": ids differ at step " << step << " (ours " << ours.token << ", reference "
                                     << ref.ids[step] << ") and the reference has no logprobs to excuse it";
      EXPECT_TRUE(in_top(ref.top_logprobs[step], ours.token) && in_top(ours.top_logprobs, ref.ids[step]))
          << label << ": first divergence at step " << step << ": ours " << ours.token << ", reference " << ref.ids[step]
          << ", and they are not in each other's top-5";
      return;  // the sequences differ from here on
    }
    if (!have_ref_logprobs) continue;
    std::map<int32_t, float> ours_by_id(ours.top_logprobs.begin(), ours.top_logprobs.end());
    for (const auto& [id, ref_lp] : ref.top_logprobs[step]) {
      const auto it = ours_by_id.find(id);
      if (it == ours_by_id.end()) continue;  // a near-tie at the 5th place may swap members
      drift.see(std::abs(it->second - ref_lp), label, step);
      EXPECT_NEAR(it->second, ref_lp, tolerance) << label << ": logprob of token " << id << " at step " << step;
    }
    EXPECT_NEAR(ours.logprob, ref.top_logprobs[step][0].second, tolerance) << label << " step " << step;
  }
}

TEST(Golden, Stories260KMatchesReadmeIds) {
  if (on_cuda()) GTEST_SKIP() << "exact ids are a CPU (F32) check; the logprob golden covers CUDA";
  const fs::path dir = fs::path(TURBINE_SHARED_DIR) / "models/stories260K";
  auto backend = make_test_backend();
  auto model = load_model(dir, *backend);
  Reference ref;
  ref.prompt = {1, 403, 407, 261, 378};
  ref.ids = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292,
             411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426};
  const OfflineResult g = run_greedy(*model, *backend, {ref})[0];
  std::vector<int32_t> ids;
  for (const auto& t : g.tokens) ids.push_back(t.token);
  EXPECT_EQ(ids, ref.ids);  // this one is exact: the README gives no logprobs
}

// Reads golden.json's cases (format: tools/make_tiny_models.py).
std::vector<Reference> read_references(const fs::path& golden_file) {
  std::ifstream in(golden_file);
  const nlohmann::json golden = nlohmann::json::parse(in);
  std::vector<Reference> refs;
  for (const auto& c : golden["cases"]) {
    Reference ref;
    ref.prompt = c["prompt_ids"].get<std::vector<int32_t>>();
    ref.ids = c["greedy_ids"].get<std::vector<int32_t>>();
    for (const auto& step : c["top_logprobs"]) {
      std::vector<std::pair<int32_t, float>> top;
      for (const auto& e : step) top.emplace_back(e[0].get<int32_t>(), e[1].get<float>());
      ref.top_logprobs.push_back(top);
    }
    refs.push_back(ref);
  }
  return refs;
}

void check_model_against(const fs::path& model_dir, const fs::path& golden_file) {
  auto backend = make_test_backend();
  auto model = load_model(model_dir, *backend);
  const std::vector<Reference> refs = read_references(golden_file);
  ASSERT_FALSE(refs.empty()) << golden_file;
  const std::vector<OfflineResult> results = run_greedy(*model, *backend, refs);
  Drift drift;
  const double tolerance = logprob_tolerance(model_dir.filename().string());
  for (size_t i = 0; i < refs.size(); ++i) {
    const std::string label = model_dir.filename().string() + " case " + std::to_string(i);
    expect_matches_reference(results[i], refs[i], model->config().context_length(), label, tolerance, drift);
  }
  std::printf("[ drift    ] %-22s max |logprob - reference| %.2e (tolerance %.2g) at %s\n",
              model_dir.filename().string().c_str(), drift.max_diff, tolerance, drift.where.c_str());
}

TEST(Golden, Stories260KMatchesTransformersLogprobs) {
  check_model_against(fs::path(TURBINE_SHARED_DIR) / "models/stories260K",
                      fs::path(TURBINE_SOURCE_DIR) / "tests/golden/stories260K/golden.json");
}

// The demo models that ship in models/ (tools/train_demo_model.py), against their goldens.
TEST(Golden, DemoModelsMatchTransformers) {
  for (const char* name : {"turbine-demo-20m", "turbine-demo-3m"}) {
    SCOPED_TRACE(name);
    check_model_against(fs::path(TURBINE_SOURCE_DIR) / "models" / name,
                        fs::path(TURBINE_SOURCE_DIR) / "tests/golden/demo" / (std::string(name) + ".golden.json"));
  }
}

std::vector<fs::path> golden_model_dirs() {
  std::vector<fs::path> dirs;
  const fs::path root = fs::path(TURBINE_SOURCE_DIR) / "tests/golden/models";
  if (fs::exists(root))
    for (const auto& entry : fs::directory_iterator(root))
      if (fs::exists(entry.path() / "golden.json")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

class GoldenModel : public ::testing::TestWithParam<fs::path> {};

TEST_P(GoldenModel, GreedyIdsAndLogprobsMatchTransformers) {
  check_model_against(GetParam(), GetParam() / "golden.json");
}

// Every architecture variant of tools/tiny_model_variants.py is present (a lost fixture fails).
TEST(Golden, EveryVariantHasAGoldenModel) {
  std::vector<std::string> names;
  for (const fs::path& dir : golden_model_dirs()) names.push_back(dir.filename().string());
  const std::vector<std::string> expected = {"llama2_mha",      "llama32_tied",      "llama3_gqa",  "llama_attn_bias",
                                             "llama_dynamic_rope", "llama_linear_rope", "llama_sharded",
                                             "llama_yarn_rope", "mistral_mqa",       "qwen2_bias",  "qwen3_qknorm"};
  EXPECT_EQ(names, expected);
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, GoldenModel, ::testing::ValuesIn(golden_model_dirs()),
                         [](const auto& info) { return info.param.filename().string(); });

}  // namespace
}  // namespace turbine
