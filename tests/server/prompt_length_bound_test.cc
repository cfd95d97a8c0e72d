// PromptLengthBound: when it is known (byte-level BPE, nothing that deletes text), and that it
// never claims more tokens than full tokenization gives, so an early context-length rejection is
// always one full tokenization would make too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "server/api_error.h"
#include "server/generation_plan.h"
#include "server/prompt_length_bound.h"

namespace turbine::server {
namespace {

const std::filesystem::path kDemo = std::filesystem::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m";
const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";

std::string demo_tokenizer_json() {
  std::ifstream file(kDemo / "tokenizer.json", std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

ServedModel demo_model(int max_model_len) {
  return ServedModel{
      .names = {"demo"},
      .root = kDemo.string(),
      .tokenizer = Tokenizer::from_dir(kDemo),
      .chat = std::make_shared<const ChatPromptRenderer>(ChatTemplateConfig::load(kDemo), std::nullopt),
      .max_model_len = max_model_len,
      .vocab_size = 8192,
      .max_num_seqs = 8,
      .eos_token_ids = {1},
  };
}

TEST(PromptLengthBound, KnownForTheDemoTokenizer) {
  const PromptLengthBound bound = PromptLengthBound::from_model_dir(kDemo);
  ASSERT_TRUE(bound.known());
  EXPECT_EQ(bound.max_bytes_per_token(), 48u);  // its longest token: 48 spaces
  EXPECT_EQ(bound.min_tokens(0), 0u);
  EXPECT_EQ(bound.min_tokens(48), 1u);
  EXPECT_EQ(bound.min_tokens(49), 2u);
  EXPECT_EQ(demo_model(1024).prompt_bound.max_bytes_per_token(), 48u);  // ServedModel reads its root's
}

TEST(PromptLengthBound, UnknownWhereATokenMayCoverUnboundedText) {
  EXPECT_FALSE(PromptLengthBound().known());
  EXPECT_FALSE(PromptLengthBound::from_model_dir("").known());
  EXPECT_FALSE(PromptLengthBound::from_tokenizer_json("not json").known());
  EXPECT_FALSE(PromptLengthBound::from_model_dir(kStories).known());  // SentencePiece-style, a normalizer
  const nlohmann::json demo = nlohmann::json::parse(demo_tokenizer_json());
  ASSERT_TRUE(PromptLengthBound::from_tokenizer_json(demo.dump()).known());
  const auto variant = [&](auto&& change) {
    nlohmann::json changed = demo;
    change(changed);
    return PromptLengthBound::from_tokenizer_json(changed.dump());
  };
  EXPECT_FALSE(variant([](auto& j) { j["normalizer"] = {{"type", "NFC"}}; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["truncation"] = {{"max_length", 8}}; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["added_tokens"][3]["lstrip"] = true; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["pre_tokenizer"] = j["pre_tokenizer"]["pretokenizers"][0]; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["model"]["type"] = "Unigram"; }).known());
  EXPECT_FALSE(variant([](auto& j) { j["model"]["vocab"].erase("Ġ"); }).known());  // a byte would be dropped
  EXPECT_FALSE(variant([](auto& j) { j["added_tokens"][0]["lstrip"] = "yes"; }).known());  // no throw either
  // A longer added token raises the bound.
  EXPECT_EQ(variant([](auto& j) { j["added_tokens"][2]["content"] = std::string(60, 'x'); }).max_bytes_per_token(), 60u);
}

// Random texts built to be token-dense and token-sparse: long runs of spaces (the longest
// token), words, digits, punctuation, newlines, multi-byte characters, the special tokens'
// texts, invalid UTF-8.
std::string random_text(std::mt19937& rng) {
  static const char* const kPieces[] = {"the", " and", "Elizabeth", " ", "\n", "\n\n", "\t", "1234567", ",", ".",
                                        "!?", "é", "中文", "🙂", "<|im_start|>", "<|begin_of_text|>", "\xff", "\xc3",
                                        "'s", "--", "    ", "ab", "Z"};
  std::uniform_int_distribution<int> piece(0, int(std::size(kPieces)) - 1), count(0, 60), run(1, 200);
  std::string text;
  const int pieces = count(rng);
  for (int i = 0; i < pieces; ++i) {
    if (rng() % 5 == 0) {
      text.append(size_t(run(rng)), rng() % 2 ? ' ' : '\n');
    } else {
      text += kPieces[piece(rng)];
    }
  }
  return text;
}

TEST(PromptLengthBound, NeverExceedsTheDemoTokenizersCount) {
  const Tokenizer tokenizer = Tokenizer::from_dir(kDemo);
  const PromptLengthBound bound = PromptLengthBound::from_model_dir(kDemo);
  ASSERT_TRUE(bound.known());
  std::mt19937 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng);
    const size_t tokens = tokenizer.encode(text, /*add_special_tokens=*/false).size();
    ASSERT_GE(tokens, bound.min_tokens(text.size())) << "text of " << text.size() << " bytes: \"" << text << "\"";
  }
  // The densest texts: one token repeated, for every token (the bound is tight for the longest).
  size_t tightest = 0;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const std::string piece = tokenizer.decode(std::vector<int32_t>{id}, /*skip_special_tokens=*/false);
    std::string text;
    for (int r = 0; r < 5; ++r) text += piece;
    const size_t tokens = tokenizer.encode(text, false).size();
    ASSERT_GE(tokens, bound.min_tokens(text.size())) << "token " << id << " \"" << piece << "\" x5";
    tightest = std::max(tightest, piece.size());
  }
  EXPECT_EQ(tightest, bound.max_bytes_per_token());
}

// The planner's early rejection agrees with full tokenization: a text rejected before
// tokenizing is one the tokenized path rejects too, with the same error shape.
TEST(PromptLengthBound, EarlyRejectionsAreRejectionsOfFullTokenization) {
  constexpr int kContext = 24;  // small, so that random texts land on both sides
  const ServedModel bounded = demo_model(kContext);
  ServedModel unbounded = demo_model(kContext);
  unbounded.prompt_bound = PromptLengthBound();
  std::mt19937 rng(7);
  int early = 0, late = 0, accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng);
    if (text.empty()) continue;
    Json body = Json::object();
    body["prompt"] = text;
    body["max_tokens"] = 1;
    const CompletionRequest request = parse_completion_request(body);
    std::optional<ApiError> full;
    try {
      plan_completion(request, unbounded);
    } catch (const ApiError& e) {
      full = e;
    }
    try {
      plan_completion(request, bounded);
      ASSERT_FALSE(full.has_value()) << "accepted only with the bound: " << full->what();
      ++accepted;
    } catch (const ApiError& e) {
      ASSERT_TRUE(full.has_value()) << "rejected only with the bound (" << e.what() << "): \"" << text << "\"";
      EXPECT_EQ(e.code(), full->code());
      EXPECT_EQ(e.param(), full->param());
      EXPECT_EQ(e.status(), full->status());
      if (std::string(e.what()).find("prompt has at least") != std::string::npos) ++early; else ++late;
    }
  }
  EXPECT_GT(early, 100);  // the bound does reject some untokenized
  EXPECT_GT(late, 100);   // and leaves others to tokenization
  EXPECT_GT(accepted, 100);
}

TEST(PromptLengthBound, HugePromptsAreRejectedBeforeTokenization) {
  const ServedModel model = demo_model(1024);
  Json body = Json::object();
  body["prompt"] = std::string(size_t(1) << 20, 'a');
  const auto started = std::chrono::steady_clock::now();
  try {
    plan_completion(parse_completion_request(body), model);
    FAIL() << "accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.param(), "prompt");
    EXPECT_EQ(e.code(), "context_length_exceeded");
    EXPECT_NE(std::string(e.what()).find("maximum context length is 1024 tokens, but the prompt has at least 21846"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(50));  // tokenizing: ~100 ms
  // A rendered conversation too.
  Json chat = Json::object();
  chat["messages"] = Json::array({Json{{"role", "user"}, {"content", std::string(size_t(1) << 20, 'a')}}});
  try {
    plan_chat_completion(parse_chat_completion_request(chat), model);
    FAIL() << "accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.param(), "messages");
    EXPECT_EQ(e.code(), "context_length_exceeded");
    EXPECT_NE(std::string(e.what()).find("prompt has at least"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace turbine::server
