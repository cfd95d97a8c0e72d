// Structured output through the whole engine on a real model (stories260K, CPU or CUDA): every
// finished output matches its constraint (regex, JSON Schema, choice), under sampling, n > 1,
// batching with unconstrained requests, async scheduling, speculative drafts and preemption;
// an invalid constraint fails submit.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/error.h"
#include "engine/loop/llm_engine.h"
#include "runner/kv_cache.h"
#include "support/test_backend.h"
#include "tokenizer/tokenizer.h"

namespace turbine {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";

struct Output {
  std::vector<int32_t> ids;
  std::optional<RequestFinishReason> finish;
};

class StructuredHarness {
 public:
  explicit StructuredHarness(EngineOptions options = {})
      : backend_(test_support::make_test_backend()),
        model_(load_model(kStories, *backend_)),
        tokenizer_(Tokenizer::from_dir(kStories)) {
    auto vocab = std::make_shared<structured::TokenVocabulary>(structured::TokenVocabulary::from_tokenizer(
        tokenizer_, model_->config().eos_token_ids, int32_t(model_->config().vocab_size)));
    options.grammars = std::make_shared<structured::GrammarCompiler>(vocab);
    options.max_num_seqs = std::max(options.max_num_seqs, 8);
    engine_ = std::make_unique<LlmEngine>(*model_, *backend_, options);
  }

  void submit(const std::string& id, const std::string& prompt, RequestParams params) {
    {
      std::lock_guard lock(mutex_);
      pending_ += params.n;
    }
    try {
      engine_->submit(std::make_unique<Request>(id, tokenizer_.encode(prompt, true), params),
                      [this, id](const RequestOutput& out) {
                        std::lock_guard lock(mutex_);
                        Output& o = outputs_[{id, out.sample_index}];
                        for (const auto& t : out.new_tokens) o.ids.push_back(t.token);
                        if (out.finish_reason) {
                          o.finish = out.finish_reason;
                          if (--pending_ == 0) done_.notify_all();
                        }
                      });
    } catch (...) {
      std::lock_guard lock(mutex_);
      pending_ -= params.n;
      throw;
    }
  }

  void wait() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(done_.wait_for(lock, std::chrono::seconds(120), [&] { return pending_ == 0; }));
  }

  EngineStats stats() const { return engine_->stats(); }

  Output output(const std::string& id, int sample = 0) {
    std::lock_guard lock(mutex_);
    return outputs_[{id, sample}];
  }

  // The output's text as the grammar saw it: each id's bytes, stop tokens left out.
  std::string text(const Output& o) const {
    std::string s;
    const auto& eos = model_->config().eos_token_ids;
    for (int32_t id : o.ids)
      if (std::find(eos.begin(), eos.end(), id) == eos.end()) s += tokenizer_.token_bytes(id);
    return s;
  }

 private:
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Model> model_;
  Tokenizer tokenizer_;
  std::unique_ptr<LlmEngine> engine_;
  std::mutex mutex_;
  std::condition_variable done_;
  int pending_ = 0;
  std::map<std::pair<std::string, int>, Output> outputs_;
};

RequestParams constrained(structured::ConstraintKind kind, std::string source, float temperature, int max_tokens,
                          std::optional<uint64_t> seed = std::nullopt) {
  RequestParams p;
  p.max_tokens = max_tokens;
  p.sampling.temperature = temperature;
  p.sampling.seed = seed;
  p.structured = structured::ConstraintSpec{kind, std::move(source)};
  return p;
}

constexpr const char* kPersonSchema = R"({"type": "object", "properties": {
  "name": {"type": "string", "minLength": 1, "maxLength": 12},
  "age": {"type": "integer", "minimum": 0, "maximum": 120},
  "pets": {"type": "array", "items": {"enum": ["cat", "dog", "fish"]}, "maxItems": 3}},
  "required": ["name", "age"], "additionalProperties": false})";

void expect_person(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);  // throws (fails the test) if not JSON
  ASSERT_TRUE(j.is_object()) << text;
  ASSERT_TRUE(j.contains("name") && j["name"].is_string()) << text;
  const auto name = j["name"].get<std::string>();
  EXPECT_GE(name.size(), 1u) << text;
  ASSERT_TRUE(j.contains("age") && j["age"].is_number_integer()) << text;
  EXPECT_GE(j["age"].get<int>(), 0) << text;
  EXPECT_LE(j["age"].get<int>(), 120) << text;
  for (const auto& [key, value] : j.items()) EXPECT_TRUE(key == "name" || key == "age" || key == "pets") << text;
}

TEST(StructuredOutput, RegexGreedyAndSampled) {
  StructuredHarness h;
  const std::string pattern = "[a-z]+( [a-z]+){2,4}\\.";
  h.submit("greedy", "Once upon a time", constrained(structured::ConstraintKind::kRegex, pattern, 0.0f, 60));
  for (int i = 0; i < 4; ++i)
    h.submit(fmt::format("sampled{}", i), "The little dog",
             constrained(structured::ConstraintKind::kRegex, pattern, 1.0f, 60, 100 + uint64_t(i)));
  h.wait();
  const std::regex re(pattern);
  int finished = 0;
  for (const std::string id : {"greedy", "sampled0", "sampled1", "sampled2", "sampled3"}) {
    const Output o = h.output(id);
    const std::string text = h.text(o);
    if (o.finish == RequestFinishReason::kStop) {
      ++finished;
      EXPECT_TRUE(std::regex_match(text, re)) << id << ": '" << text << "'";
    } else {
      // Cut by max_tokens: a prefix of a match (every character class still on track).
      EXPECT_TRUE(std::regex_match(text, std::regex("[a-z]*( [a-z]*){0,4}"))) << id << ": '" << text << "'";
    }
  }
  EXPECT_GT(finished, 0);
}

TEST(StructuredOutput, JsonSchemaWithSeveralSamplesAndUnconstrainedNeighbours) {
  StructuredHarness h;
  RequestParams p = constrained(structured::ConstraintKind::kJsonSchema, kPersonSchema, 0.8f, 120, 7);
  p.n = 3;
  h.submit("json", "Lily had a", p);
  RequestParams plain;
  plain.max_tokens = 30;
  plain.sampling.temperature = 0.0f;
  h.submit("plain", "Lily had a", plain);
  h.wait();
  int finished = 0;
  for (int s = 0; s < 3; ++s) {
    const Output o = h.output("json", s);
    if (o.finish != RequestFinishReason::kStop) {
      ADD_FAILURE() << "sample " << s << " did not finish: " << h.text(o);
      continue;
    }
    ++finished;
    expect_person(h.text(o));
  }
  EXPECT_GT(finished, 0) << "no sample finished within 120 tokens";
  // The unconstrained neighbour is untouched by the masks: the same tokens as alone.
  StructuredHarness alone;
  alone.submit("plain", "Lily had a", plain);
  alone.wait();
  EXPECT_EQ(h.output("plain").ids, alone.output("plain").ids);
}

TEST(StructuredOutput, ChoiceGivesExactlyOneOption) {
  StructuredHarness h;
  for (int i = 0; i < 6; ++i)
    h.submit(fmt::format("c{}", i), "Is the sky blue?",
             constrained(structured::ConstraintKind::kChoice, R"(["yes", "no", "maybe not"])", 1.0f, 20, uint64_t(i)));
  h.wait();
  for (int i = 0; i < 6; ++i) {
    const Output o = h.output(fmt::format("c{}", i));
    EXPECT_EQ(o.finish, RequestFinishReason::kStop);
    const std::string text = h.text(o);
    EXPECT_TRUE(text == "yes" || text == "no" || text == "maybe not") << text;
  }
}

TEST(StructuredOutput, AsyncSchedulingDraftsAndPreemptionKeepOutputsValid) {
  // Greedy outputs under a constraint are a function of the model and the grammar only: the
  // same with steps launched ahead, with n-gram drafts verified, and under a KV budget so small
  // that sequences are preempted and resumed (their grammar replays the output they keep).
  auto run = [](EngineOptions options) {
    StructuredHarness h(options);
    for (int i = 0; i < 6; ++i)
      h.submit(fmt::format("j{}", i), fmt::format("Tom and Ben{}", std::string(size_t(i), '!')),
               constrained(structured::ConstraintKind::kJsonSchema, kPersonSchema, 0.0f, 80));
    h.wait();
    // Constrained sequences do not hold steps back: with a backend that samples, their sampling
    // waits for the token in flight (ModelRunner, "deferred") while the next step is scheduled.
    if (options.async_scheduling == EngineOptions::AsyncScheduling::kOn) EXPECT_GT(h.stats().decode_steps_ahead, 10u);
    std::vector<Output> out;
    for (int i = 0; i < 6; ++i) out.push_back(h.output(fmt::format("j{}", i)));
    for (const Output& o : out)
      if (o.finish == RequestFinishReason::kStop) expect_person(h.text(o));
    return out;
  };
  const std::vector<Output> base = run(EngineOptions{});
  EngineOptions async;
  async.async_scheduling = EngineOptions::AsyncScheduling::kOn;
  EngineOptions drafts;
  drafts.speculative.method = SpeculativeConfig::Method::kNgram;
  drafts.speculative.num_speculative_tokens = 3;
  EngineOptions tight;
  tight.max_model_len = 128;
  {
    const std::unique_ptr<Backend> backend = test_support::make_test_backend();
    // 9 blocks of 16: 144 tokens for 6 requests of up to ~90 (prompt + output): preemption is certain.
    tight.kv_cache_memory =
        9 * KvCache::bytes_per_block(load_model(kStories, *backend)->config(), 16, backend->activation_dtype());
  }
  for (const EngineOptions* o : {&async, &drafts, &tight}) {
    const std::vector<Output> other = run(*o);
    for (size_t i = 0; i < base.size(); ++i) EXPECT_EQ(other[i].ids, base[i].ids) << "request " << i;
  }
}

TEST(StructuredOutput, InvalidConstraintFailsSubmit) {
  StructuredHarness h;
  EXPECT_THROW(h.submit("bad", "x", constrained(structured::ConstraintKind::kRegex, "(a", 0.0f, 4)), Error);
  EXPECT_THROW(h.submit("bad2", "x", constrained(structured::ConstraintKind::kJsonSchema, R"({"type": "strnig"})", 0.0f, 4)),
               Error);
  EXPECT_THROW(h.submit("bad3", "x", constrained(structured::ConstraintKind::kGrammar, "root ::= root \"a\"", 0.0f, 4)),
               Error);
}

}  // namespace
}  // namespace turbine
