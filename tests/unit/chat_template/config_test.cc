// ChatTemplateConfig: reading templates and special tokens from a model folder, choosing a
// named template, and rendering concurrently from one compiled template.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "template_test_util.h"
#include "tokenizer/chat_template/chat_template.h"

namespace turbine::chat_template_test {
namespace {

using json = nlohmann::ordered_json;

class ChatTemplateConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("chat_template_config_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ChatTemplateConfigTest, ReadsStringTemplateAndTokenObjects) {
  write("tokenizer_config.json", R"({
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
    "eos_token": "</s>", "unk_token": null, "pad_token": "<pad>",
    "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"})");
  const ChatTemplateConfig config = ChatTemplateConfig::load(dir_);
  EXPECT_EQ(config.special_tokens, json::parse(R"({"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"})"));
  const ChatTemplate tmpl = ChatTemplate::compile(config.select());
  EXPECT_EQ(tmpl.render(config.with_special_tokens(json::parse(R"({"messages": [{"content": "hi"}]})"))), "<s>hi</s>");
  // The caller's own keys win over the tokenizer's.
  EXPECT_EQ(tmpl.render(config.with_special_tokens(json::parse(R"({"messages": [], "eos_token": "E"})"))), "<s>E");
}

TEST_F(ChatTemplateConfigTest, NamedTemplatesAndSelection) {
  write("tokenizer_config.json", R"({"chat_template": [
      {"name": "default", "template": "plain"}, {"name": "tool_use", "template": "tools"}, {"name": "rag", "template": "docs"}]})");
  const ChatTemplateConfig config = ChatTemplateConfig::load(dir_);
  EXPECT_EQ(config.select(), "plain");
  EXPECT_EQ(config.select({}, /*has_tools=*/true), "tools");
  EXPECT_EQ(config.select("rag"), "docs");
  EXPECT_TRUE(config.has_template("tool_use"));
  EXPECT_THROW(config.select("nope"), Error);
}

TEST_F(ChatTemplateConfigTest, SeparateTemplateFilesWin) {
  write("tokenizer_config.json", R"({"chat_template": "from config"})");
  write("chat_template.jinja", "from jinja file");
  write("additional_chat_templates/tool_use.jinja", "tool file");
  const ChatTemplateConfig config = ChatTemplateConfig::load(dir_);
  EXPECT_EQ(config.select(), "from jinja file");
  EXPECT_EQ(config.select("tool_use"), "tool file");
}

TEST_F(ChatTemplateConfigTest, MissingTemplateOrConfigIsAnError) {
  write("tokenizer_config.json", R"({"eos_token": "</s>"})");
  const ChatTemplateConfig config = ChatTemplateConfig::load(dir_);
  EXPECT_FALSE(config.has_template());
  EXPECT_THROW(config.select(), Error);
  EXPECT_THROW(ChatTemplateConfig::load(dir_ / "missing"), Error);
}

TEST(ChatTemplateConcurrency, OneCompiledTemplateRendersFromManyThreads) {
  const ChatTemplate tmpl = ChatTemplate::compile(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m }}{% endfor %}:{{ ns.n }}");
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      json context = {{"messages", json::array()}};
      for (int i = 0; i <= t; ++i) context["messages"].push_back(i);
      for (int repeat = 0; repeat < 200; ++repeat) results[t] = tmpl.render(context);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) {
    std::string expected;
    for (int i = 0; i <= t; ++i) expected += std::to_string(i);
    EXPECT_EQ(results[t], expected + ":" + std::to_string(t + 1));
  }
}

}  // namespace
}  // namespace turbine::chat_template_test
