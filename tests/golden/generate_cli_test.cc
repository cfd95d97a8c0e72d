// Black-box tests of `turbine generate`: the JSON contract, sampling reproducibility and the
// errors a user can cause, run through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

RunResult run_turbine(const std::string& args) {
  const char* binary = std::getenv("TURBINE_BINARY");
  EXPECT_NE(binary, nullptr) << "TURBINE_BINARY is not set";
  const fs::path err_file = fs::temp_directory_path() / ("turbine_cli_err_" + std::to_string(::getpid()));
  const std::string command = std::string(binary) + " " + args + " 2>" + err_file.string();
  RunResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  std::stringstream ss;
  ss << err.rdbuf();
  r.err = ss.str();
  fs::remove(err_file);
  return r;
}

const std::string kStories = std::string(TURBINE_SHARED_DIR) + "/models/stories260K";
const std::vector<int32_t> kReadmeIds = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
                                         267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385,
                                         328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426};

TEST(GenerateCli, GreedyJsonMatchesReference) {
  const RunResult r = run_turbine("generate --model " + kStories +
                                  " --prompt-ids 1,403,407,261,378 --max-tokens 40 --temperature 0 --logprobs 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_ids"].get<std::vector<int32_t>>(), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(j["ids"].get<std::vector<int32_t>>(), kReadmeIds);
  EXPECT_EQ(j["finish_reason"], "length");
  ASSERT_EQ(j["logprobs"].size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    const auto& top = j["logprobs"][i];
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0][0].get<int32_t>(), kReadmeIds[i]);  // greedy picks the best
    EXPECT_GE(top[0][1].get<double>(), top[1][1].get<double>());
    EXPECT_LE(top[0][1].get<double>(), 0.0);
  }
}

// stories260K never samples its EOS id, so a copy of it declares "." (id 426, the 11th greedy
// token from the README prompt) an EOS id in generation_config.json, which takes precedence over
// config.json's.
TEST(GenerateCli, StopsAtEosUnlessIgnored) {
  const fs::path dir = fs::temp_directory_path() / "turbine_eos_model";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    fs::create_symlink(fs::path(kStories) / f, dir / f);
  std::ofstream(dir / "generation_config.json") << R"({"bos_token_id": 1, "eos_token_id": [2, 426]})";
  const std::string prompt = " --prompt-ids 1,403,407,261,378 --max-tokens 40 --temperature 0 --json";
  const RunResult r = run_turbine("generate --model " + dir.string() + prompt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["finish_reason"], "stop");
  EXPECT_EQ(j["ids"].get<std::vector<int32_t>>(), std::vector<int32_t>(kReadmeIds.begin(), kReadmeIds.begin() + 11));
  const RunResult ignored = run_turbine("generate --model " + dir.string() + prompt + " --ignore-eos");
  ASSERT_EQ(ignored.exit_code, 0) << ignored.err;
  const auto j2 = nlohmann::json::parse(ignored.out);
  EXPECT_EQ(j2["finish_reason"], "length");
  EXPECT_EQ(j2["ids"].get<std::vector<int32_t>>(), kReadmeIds);
  fs::remove_all(dir);
}

TEST(GenerateCli, StopsAtTheContextLength) {
  // stories260K has a 512-token context: 500 prompt tokens leave room for 12.
  std::string prompt = "1";
  for (int i = 1; i < 500; ++i) prompt += ",300";
  const RunResult r = run_turbine("generate --model " + kStories + " --prompt-ids " + prompt +
                                  " --max-tokens 100 --ignore-eos --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"].size(), 12u);
  EXPECT_EQ(j["finish_reason"], "length");
}

TEST(GenerateCli, SeededSamplingIsReproducible) {
  const std::string args = "generate --model " + kStories + " --prompt-ids 1,403 --max-tokens 30 --ignore-eos --json "
                           "--temperature 1.0 --top-p 0.9 --top-k 50 --min-p 0.01 --seed ";
  const RunResult a = run_turbine(args + "7"), b = run_turbine(args + "7"), c = run_turbine(args + "8");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto ids_a = nlohmann::json::parse(a.out)["ids"], ids_b = nlohmann::json::parse(b.out)["ids"],
             ids_c = nlohmann::json::parse(c.out)["ids"];
  EXPECT_EQ(ids_a, ids_b);
  EXPECT_NE(ids_a, ids_c);
}

struct ErrorCase {
  std::string args;
  std::vector<std::string> message_parts;
};

class GenerateCliErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(GenerateCliErrors, FailsWithAClearMessage) {
  const RunResult r = run_turbine(GetParam().args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const std::string& part : GetParam().message_parts) EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
}

std::string too_long_prompt() {
  std::string p = "1";
  for (int i = 1; i < 600; ++i) p += ",5";
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GenerateCliErrors,
    ::testing::Values(ErrorCase{"generate --model " + kStories + " --prompt-ids 1,abc", {"abc", "not a token id"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1,512", {"512", "outside the vocabulary"}},
                      ErrorCase{"generate --model /nonexistent/model --prompt-ids 1", {"/nonexistent/model"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids " + too_long_prompt(),
                                {"600 tokens", "512"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --temperature -1", {"temperature"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --top-p 1.5", {"top_p"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --max-tokens 0", {"max"}},
                      ErrorCase{"generate --model " + kStories, {"prompt"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --device tpu", {"--device", "tpu"}},
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --kv-cache-memory 0",
                                {"--kv-cache-memory", "more than 0"}},
                      // CI builds without CUDA: asking for it must say so rather than run on the CPU.
                      ErrorCase{"generate --model " + kStories + " --prompt-ids 1 --device cuda", {"--device cuda"}}));

TEST(GenerateCli, UnsupportedArchitectureListsSupportedOnes) {
  const fs::path dir = fs::temp_directory_path() / "turbine_unsupported_arch";
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"architectures": ["GPT2LMHeadModel"], "vocab_size": 10,
    "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
    "max_position_embeddings": 16})";
  const RunResult r = run_turbine("generate --model " + dir.string() + " --prompt-ids 1");
  EXPECT_NE(r.exit_code, 0);
  for (const char* part : {"GPT2LMHeadModel", "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"})
    EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace

namespace {

fs::path write_prompts(const std::string& name, const std::string& content) {
  const fs::path file = fs::temp_directory_path() / name;
  std::ofstream(file) << content;
  return file;
}

// --prompts-file: every line through the engine at once, results in input order, per-line
// parameters, stop strings cut from the text and reported as "stop".
TEST(GenerateCli, PromptsFileRunsEveryLineInOrder) {
  const fs::path file = write_prompts("turbine_prompts.jsonl",
                                      R"({"prompt": "Once upon a time", "max_tokens": 40, "temperature": 0, "stop": ["Lily"]})"
                                      "\n"
                                      R"({"prompt_ids": [1, 403, 407, 261, 378], "max_tokens": 5, "temperature": 0, "logprobs": 2})"
                                      "\n\n"
                                      R"({"prompt_ids": [1, 403, 407, 261, 378], "max_tokens": 40, "temperature": 0})"
                                      "\n");
  const RunResult r = run_turbine("generate --model " + kStories + " --prompts-file " + file.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]["text"], ", there was a little girl named ");
  EXPECT_EQ(out[0]["finish_reason"], "stop");
  EXPECT_LT(out[0]["ids"].size(), 40u);
  EXPECT_EQ(out[1]["ids"].get<std::vector<int32_t>>(), std::vector<int32_t>(kReadmeIds.begin(), kReadmeIds.begin() + 5));
  EXPECT_EQ(out[1]["logprobs"][0].size(), 2u);
  EXPECT_EQ(out[2]["ids"].get<std::vector<int32_t>>(), kReadmeIds);
  EXPECT_EQ(out[2]["text"], ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.");
  fs::remove(file);
}

TEST(GenerateCli, PromptsFileErrorsNameTheLine) {
  const fs::path file = write_prompts("turbine_bad_prompts.jsonl", "{\"prompt_ids\": [1, 2]}\n{\"prompt_ids\": \"x\"}\n");
  const RunResult r = run_turbine("generate --model " + kStories + " --prompts-file " + file.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("prompt_ids"), std::string::npos) << r.err;
  fs::remove(file);
}

}  // namespace
