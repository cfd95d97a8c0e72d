// The datasets: exact prompt lengths (what the server will count), length distributions, shared
// prefixes, the sharegpt-like shape, seeding; on real tokenizers of three kinds (stories260K's
// byte-fallback BPE, the demo model's byte-level BPE, Llama 3.1's when fetched).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include "bench/datasets/dataset.h"
#include "bench/datasets/exact_length_prompt.h"
#include "bench/datasets/sharegpt_like_dataset.h"
#include "bench/datasets/text_corpus.h"
#include "common/error.h"

namespace turbine::bench {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> tokenizer_dirs() {
  std::vector<fs::path> dirs = {fs::path(TURBINE_SHARED_DIR) / "models/stories260K",
                                fs::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m"};
  const fs::path llama3 = fs::path(TURBINE_SOURCE_DIR) / "tests/fixtures/downloaded/llama3_1";
  if (fs::exists(llama3 / "tokenizer.json")) dirs.push_back(llama3);
  return dirs;
}

DatasetOptions random_options(int n, int input, int output, double range) {
  DatasetOptions o;
  o.kind = DatasetKind::kRandom;
  o.num_prompts = n;
  o.input_len = input;
  o.output_len = output;
  o.range_ratio = range;
  o.seed = 1;
  return o;
}

TEST(RandomDataset, ExactLengthsAsTheServerCountsThem) {
  for (const fs::path& dir : tokenizer_dirs()) {
    const Tokenizer tokenizer = Tokenizer::from_dir(dir);
    for (int input : {1, 2, 17, 128}) {
      const std::vector<SampleRequest> requests = make_dataset(tokenizer, random_options(40, input, 9, 0.0));
      ASSERT_EQ(requests.size(), 40u);
      for (const SampleRequest& r : requests) {
        EXPECT_EQ(r.prompt_len, std::max(input, 1 + num_special_tokens_added(tokenizer))) << dir << " input " << input;
        EXPECT_EQ(r.prompt_ids, tokenizer.encode(r.prompt, true)) << dir;
        EXPECT_EQ(r.expected_output_len, 9);
      }
    }
  }
}

TEST(RandomDataset, LengthsAreUniformInTheRange) {
  const Tokenizer tokenizer = Tokenizer::from_dir(tokenizer_dirs()[0]);
  const int special = num_special_tokens_added(tokenizer);
  const std::vector<SampleRequest> requests = make_dataset(tokenizer, random_options(400, 101, 40, 0.5));
  // Text lengths uniform in [floor(100 * 0.5), ceil(100 * 1.5)] = [50, 150], plus the BOS.
  std::vector<int> in, out;
  for (const SampleRequest& r : requests) {
    in.push_back(r.prompt_len - special);
    out.push_back(r.expected_output_len);
    EXPECT_EQ(r.prompt_ids, tokenizer.encode(r.prompt, true));
  }
  EXPECT_EQ(*std::min_element(in.begin(), in.end()), 50);  // 400 draws over 101 values reach both ends
  EXPECT_EQ(*std::max_element(in.begin(), in.end()), 150);
  EXPECT_GE(*std::min_element(out.begin(), out.end()), 20);
  EXPECT_LE(*std::max_element(out.begin(), out.end()), 60);
  const double mean_in = std::accumulate(in.begin(), in.end(), 0.0) / double(in.size());
  const double mean_out = std::accumulate(out.begin(), out.end(), 0.0) / double(out.size());
  EXPECT_NEAR(mean_in, 100.0, 5.0);  // standard error ~1.5
  EXPECT_NEAR(mean_out, 40.0, 2.0);
}

TEST(RandomDataset, SharedPrefixAndSeeds) {
  const Tokenizer tokenizer = Tokenizer::from_dir(tokenizer_dirs()[1]);
  DatasetOptions o = random_options(10, 40, 8, 0.0);
  o.prefix_len = 30;
  const std::vector<SampleRequest> a = make_dataset(tokenizer, o);
  for (const SampleRequest& r : a) EXPECT_EQ(r.prompt_len, 70);
  const std::vector<SampleRequest> b = make_dataset(tokenizer, o);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].prompt, b[i].prompt);
  o.seed = 2;
  EXPECT_NE(make_dataset(tokenizer, o)[0].prompt, a[0].prompt);
}

TEST(PrefixRepetitionDataset, GroupsShareTheirPrefix) {
  for (const fs::path& dir : tokenizer_dirs()) {
    const Tokenizer tokenizer = Tokenizer::from_dir(dir);
    DatasetOptions o;
    o.kind = DatasetKind::kPrefixRepetition;
    o.num_prompts = 12;
    o.prefix_len = 48;
    o.input_len = 16;
    o.output_len = 4;
    o.num_prefixes = 3;
    const std::vector<SampleRequest> requests = make_dataset(tokenizer, o);
    ASSERT_EQ(requests.size(), 12u);
    const int special = num_special_tokens_added(tokenizer);
    std::map<std::vector<int32_t>, int> groups;
    for (const SampleRequest& r : requests) {
      EXPECT_EQ(r.prompt_len, special + 48 + 16) << dir;
      ++groups[std::vector<int32_t>(r.prompt_ids.begin(), r.prompt_ids.begin() + special + 40)];
    }
    EXPECT_EQ(groups.size(), 3u) << dir;
    for (const auto& [prefix, count] : groups) EXPECT_EQ(count, 4) << dir;
  }
}

TEST(SharegptLike, LengthsHaveShareGptsMeansAfterVllmsFilter) {
  std::mt19937_64 rng(5);
  constexpr int kDraws = 200000;
  double in = 0, out = 0;
  int min_in = 1 << 30, max_in = 0, max_total = 0, min_out = 1 << 30;
  for (int i = 0; i < kDraws; ++i) {
    const LengthPair p = draw_sharegpt_lengths(rng);
    in += p.input;
    out += p.output;
    min_in = std::min(min_in, p.input);
    max_in = std::max(max_in, p.input);
    min_out = std::min(min_out, p.output);
    max_total = std::max(max_total, p.input + p.output);
  }
  EXPECT_NEAR(in / kDraws, 202.0, 202.0 * 0.03);
  EXPECT_NEAR(out / kDraws, 179.0, 179.0 * 0.03);
  EXPECT_GE(min_in, 4);
  EXPECT_GE(min_out, 4);
  EXPECT_LE(max_in, 1024);
  EXPECT_LE(max_total, 2048);
}

TEST(SharegptLike, PromptsAreCorpusTextOfTheDrawnLengths) {
  const Tokenizer tokenizer = Tokenizer::from_dir(tokenizer_dirs()[1]);
  DatasetOptions o;
  o.kind = DatasetKind::kSharegptLike;
  o.num_prompts = 60;
  o.seed = 3;
  const std::vector<SampleRequest> requests = make_dataset(tokenizer, o);
  ASSERT_EQ(requests.size(), 60u);
  const std::string corpus(builtin_corpus_text());
  double in = 0;
  for (const SampleRequest& r : requests) {
    EXPECT_GE(r.prompt_len, 4);
    EXPECT_LE(r.prompt_len, 1024);
    EXPECT_GE(r.expected_output_len, 4);
    EXPECT_LE(r.prompt_len + r.expected_output_len, 2048);
    EXPECT_EQ(r.prompt_ids, tokenizer.encode(r.prompt, true));
    // Real text: each prompt opens with a passage of the corpus.
    const std::string head = r.prompt.substr(0, std::min({r.prompt.size(), size_t(12), r.prompt.find('\n')}));
    EXPECT_NE(corpus.find(head), std::string::npos) << r.prompt;
    in += r.prompt_len;
  }
  EXPECT_GT(in / 60, 60.0);  // not all short: the lognormal's tail is there
  o.output_len = 33;  // a fixed output length, as vLLM's --sharegpt-output-len
  for (const SampleRequest& r : make_dataset(tokenizer, o)) EXPECT_EQ(r.expected_output_len, 33);
}

TEST(TextCorpus, SplitsPassages) {
  EXPECT_EQ(split_passages("a\nb\n~~~\nc\n\n\nd\n"), (std::vector<std::string>{"a\nb", "c", "d"}));
  EXPECT_GT(split_passages(builtin_corpus_text()).size(), 50u);
  EXPECT_NE(builtin_corpus_text().find("The Clockmaker's Apprentice"), std::string_view::npos);
}

TEST(Datasets, BadOptionsAreErrors) {
  EXPECT_THROW(parse_dataset_kind("sharegpt"), Error);
  DatasetOptions o = random_options(0, 10, 10, 0);
  EXPECT_THROW(o.resolved(), Error);
  EXPECT_THROW(random_options(1, 0, 10, 0).resolved(), Error);
  EXPECT_THROW(random_options(1, 10, 10, 1.0).resolved(), Error);
  DatasetOptions p;
  p.kind = DatasetKind::kPrefixRepetition;
  p.num_prefixes = 0;
  EXPECT_THROW(p.resolved(), Error);
  DatasetOptions defaults;
  defaults.kind = DatasetKind::kPrefixRepetition;
  const DatasetOptions r = defaults.resolved();  // vLLM's prefix-repetition defaults
  EXPECT_EQ(*r.prefix_len, 256);
  EXPECT_EQ(*r.input_len, 256);
  EXPECT_EQ(*r.output_len, 128);
}

}  // namespace
}  // namespace turbine::bench
