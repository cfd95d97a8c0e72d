// Requests meeting the model: tokenization, context-length checks (both lengths in the
// message), max_tokens defaults, vocabulary checks, model names; and the chat prompt as
// transformers renders it.
#include <gtest/gtest.h>

#include <filesystem>

#include "server/api_error.h"
#include "server/generation_plan.h"
#include "server/logprobs_builder.h"
#include "server/response_json.h"

namespace turbine::server {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";
const std::filesystem::path kDemo = std::filesystem::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m";

template <typename Fn>
ApiError error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError(0, "");
}

ServedModel stories_model(std::optional<std::string> chat_template = std::nullopt) {
  return ServedModel{
      .names = {"stories", "alias"},
      .root = kStories.string(),
      .tokenizer = Tokenizer::from_dir(kStories),
      .chat = std::make_shared<const ChatPromptRenderer>(ChatTemplateConfig::load(kStories), chat_template),
      .max_model_len = 512,
      .vocab_size = 512,
      .max_num_seqs = 8,
      .eos_token_ids = {2},
  };
}

GenerationPlan completion(const ServedModel& model, const std::string& body) {
  return plan_completion(parse_completion_request(parse_json_object(body)), model);
}

TEST(GenerationPlan, TokenizesTextPromptsWithBos) {
  const ServedModel model = stories_model();
  const GenerationPlan plan = completion(model, R"({"prompt": "Once upon a time", "n": 2})");
  ASSERT_EQ(plan.prompts.size(), 1u);
  EXPECT_EQ(plan.prompts[0].token_ids, (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(plan.prompts[0].params.max_tokens, 16);  // the completions default
  EXPECT_EQ(plan.prompts[0].params.n, 2);
  EXPECT_EQ(plan.num_choices(), 2);
  EXPECT_EQ(plan.model_name, "stories");
  EXPECT_EQ(plan.id.rfind("cmpl-", 0), 0u);
  EXPECT_EQ(plan.id.size(), 5u + 32u);
  const GenerationPlan no_bos = completion(model, R"({"prompt": "Once upon a time", "add_special_tokens": false})");
  EXPECT_EQ(no_bos.prompts[0].token_ids, (std::vector<int32_t>{403, 407, 261, 378}));
}

TEST(GenerationPlan, EchoTextOfTokenPromptsIsDecoded) {
  const ServedModel model = stories_model();
  const GenerationPlan plan = completion(model, R"({"prompt": [[1, 403, 407, 261, 378], [1, 403]], "echo": true})");
  ASSERT_EQ(plan.prompts.size(), 2u);
  EXPECT_EQ(plan.prompts[0].text, "Once upon a time");
  EXPECT_EQ(plan.num_choices(), 2);
}

TEST(GenerationPlan, ContextLengthErrorsGiveBothLengths) {
  const ServedModel model = stories_model();
  std::string ids = "[1";
  for (int i = 0; i < 599; ++i) ids += ",300";
  const ApiError e = error_of([&] { completion(model, R"({"prompt": )" + ids + "]}"); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.param(), "prompt");
  EXPECT_EQ(e.code(), "context_length_exceeded");
  EXPECT_NE(std::string(e.what()).find("512"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("600"), std::string::npos);
  // Exactly the context: no room for one output token.
  std::string full = "[1";
  for (int i = 0; i < 511; ++i) full += ",300";
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": )" + full + "]}"); }).code(), "context_length_exceeded");
  const ApiError over = error_of([&] { completion(model, R"({"prompt": [1, 2, 3], "max_tokens": 510})"); });
  EXPECT_EQ(over.param(), "max_tokens");
  EXPECT_NE(std::string(over.what()).find("509"), std::string::npos);  // what is left
  EXPECT_EQ(completion(model, R"({"prompt": [1, 2, 3], "max_tokens": 509})").prompts[0].params.max_tokens, 509);
  // The default shrinks to fit.
  std::string long_prompt = "[1";
  for (int i = 0; i < 505; ++i) long_prompt += ",300";
  EXPECT_EQ(completion(model, R"({"prompt": )" + long_prompt + "]}").prompts[0].params.max_tokens, 6);
}

TEST(GenerationPlan, ModelDependentChecks) {
  const ServedModel model = stories_model();
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": [1, 512]})"); }).param(), "prompt");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": [[1], [1, 600]]})"); }).param(), "prompt[1]");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": [[]]})"); }).status(), 400);
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "stop_token_ids": [512]})"); }).param(),
            "stop_token_ids");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "logit_bias": {"512": 1}})"); }).param(),
            "logit_bias");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "n": 9})"); }).param(), "n");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "priority": 1})"); }).param(), "priority");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "min_tokens": 17})"); }).param(), "min_tokens");
  const ApiError unknown = error_of([&] { completion(model, R"({"prompt": "x", "model": "gpt-4"})"); });
  EXPECT_EQ(unknown.status(), 404);
  EXPECT_EQ(unknown.code(), "model_not_found");
  EXPECT_NO_THROW(completion(model, R"({"prompt": "x", "model": "alias"})"));
}

TEST(GenerationPlan, ChatWithoutTemplateIsA400ThatSaysHowToFixIt) {
  const ServedModel model = stories_model();
  const ApiError e = error_of([&] {
    plan_chat_completion(parse_chat_completion_request(parse_json_object(R"({"messages": [{"role": "user", "content": "hi"}]})")),
                         model);
  });
  EXPECT_EQ(e.status(), 400);
  EXPECT_NE(std::string(e.what()).find("--chat-template"), std::string::npos);
}

TEST(GenerationPlan, ChatUsesTheGivenTemplateAndTheRestOfTheContext) {
  const ServedModel model = stories_model(
      "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
      "{% if add_generation_prompt %}assistant:{% endif %}");
  const GenerationPlan plan = plan_chat_completion(
      parse_chat_completion_request(parse_json_object(R"({"messages": [{"role": "user", "content": "hi"}]})")), model);
  EXPECT_EQ(plan.prompts[0].text, "<s>user: hi\nassistant:");
  EXPECT_EQ(plan.prompts[0].token_ids.front(), 1);  // BOS from the template, not added twice
  EXPECT_NE(plan.prompts[0].token_ids[1], 1);
  EXPECT_EQ(plan.prompts[0].params.max_tokens, 512 - int(plan.prompts[0].token_ids.size()));
  EXPECT_EQ(plan.id.rfind("chatcmpl-", 0), 0u);
}

TEST(ChatPromptRenderer, BuildsTheContextLikeTransformers) {
  // tools/documents are null when absent, special tokens and kwargs are visible.
  const ChatPromptRenderer renderer(
      ChatTemplateConfig::load(kDemo),
      "{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token }}|"
      "{{ flavour | default('none') }}|{{ messages | length }}");
  ChatPrompt p;
  p.messages = Json::array({Json{{"role", "user"}, {"content", "x"}}});
  EXPECT_EQ(renderer.render(p), "True|True|True|<|begin_of_text|>|<|end_of_text|>|none|1");
  p.chat_template_kwargs = Json{{"flavour", "mint"}, {"messages", "ignored"}};
  p.tools = Json::array({Json{{"type", "function"}}});
  p.add_generation_prompt = false;
  EXPECT_EQ(renderer.render(p), "False|True|False|<|begin_of_text|>|<|end_of_text|>|mint|1");
}

TEST(ChatPromptRenderer, ContinueFinalMessageCutsAfterItsContent) {
  const ChatPromptRenderer renderer(ChatTemplateConfig::load(kDemo), std::nullopt);
  ChatPrompt p;
  p.messages = Json::array({Json{{"role", "user"}, {"content", "Hi"}}, Json{{"role", "assistant"}, {"content", "Hello there "}}});
  p.add_generation_prompt = false;
  p.continue_final_message = true;
  // ChatML keeps the trailing space, so the cut is right after it.
  EXPECT_EQ(renderer.render(p),
            "<|begin_of_text|><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there ");
  p.continue_final_message = false;
  EXPECT_EQ(renderer.render(p).substr(renderer.render(p).size() - 11), "<|im_end|>\n");
}

// The demo models' own template: OpenAI's agent turns (content null with tool_calls, role
// "tool" with tool_call_id and name) render; plain conversations render as plain ChatML.
TEST(ChatPromptRenderer, DemoTemplateRendersToolCallsAndResults) {
  const ChatPromptRenderer renderer(ChatTemplateConfig::load(kDemo), std::nullopt);
  const ChatCompletionRequest plain = parse_chat_completion_request(parse_json_object(
      R"({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": [{"type": "text", "text": "a"},
          {"type": "text", "text": "b"}]}, {"role": "assistant", "content": ""}]})"));
  EXPECT_EQ(renderer.render(plain.prompt),
            "<|begin_of_text|><|im_start|>system\nS<|im_end|>\n<|im_start|>user\na\nb<|im_end|>\n"
            "<|im_start|>assistant\n<|im_end|>\n<|im_start|>assistant\n");
  const ChatCompletionRequest agent = parse_chat_completion_request(parse_json_object(R"({"messages": [
      {"role": "user", "content": "Weather?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": {"tz": "CET"}}}]},
      {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "21 C"},
      {"role": "tool", "tool_call_id": "call_2", "content": null},
      {"role": "assistant", "content": "Sunny.", "tool_calls": [{"function": {"name": "bye"}}]}]})"));
  EXPECT_EQ(renderer.render(agent.prompt),
            "<|begin_of_text|><|im_start|>user\nWeather?<|im_end|>\n"
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
            "</tool_call>\n<tool_call>\n{\"name\": \"now\", \"arguments\": {\"tz\": \"CET\"}}\n</tool_call><|im_end|>\n"
            "<|im_start|>tool\n<tool_response name=\"get_weather\" id=\"call_1\">\n21 C\n</tool_response><|im_end|>\n"
            "<|im_start|>tool\n<tool_response id=\"call_2\">\n\n</tool_response><|im_end|>\n"
            "<|im_start|>assistant\nSunny.\n<tool_call>\n{\"name\": \"bye\", \"arguments\": {}}\n</tool_call><|im_end|>\n"
            "<|im_start|>assistant\n");
  ChatPrompt nameless = agent.prompt;
  nameless.messages[1]["tool_calls"][0]["function"].erase("name");
  const ApiError e = error_of([&] { renderer.render(nameless); });
  EXPECT_EQ(e.code(), "chat_template_error");
  EXPECT_NE(std::string(e.what()).find("every tool call needs a function name"), std::string::npos) << e.what();
}

TEST(ChatPromptRenderer, TemplateErrorsAre400s) {
  const ChatPromptRenderer renderer(ChatTemplateConfig::load(kDemo), "{{ raise_exception('roles must alternate') }}");
  ChatPrompt p;
  p.messages = Json::array({Json{{"role", "user"}, {"content", "x"}}});
  const ApiError e = error_of([&] { renderer.render(p); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_NE(std::string(e.what()).find("roles must alternate"), std::string::npos);
  const ChatPromptRenderer broken(ChatTemplateConfig::load(kDemo), "{% if %}");
  EXPECT_TRUE(broken.has_template());
  EXPECT_EQ(error_of([&] { broken.render(p); }).code(), "invalid_chat_template");
}

TEST(Logprobs, CompletionsShape) {
  const Tokenizer tok = Tokenizer::from_dir(kStories);
  LogprobsBuilder b(LogprobsFormat::kCompletions, 1, &tok, /*text_offset=*/3);
  b.add(GeneratedTokenInfo{432, -0.5f, {{432, -0.5f}, {383, -1.5f}}});
  b.add(GeneratedTokenInfo{383, -std::numeric_limits<float>::infinity(), {{432, -0.1f}}});
  EXPECT_EQ(dump_json(b.take()),
            R"({"tokens":[",","there"],"token_logprobs":[-0.5,-9999.0],"top_logprobs":[{",":-0.5},)"
            R"({",":-0.10000000149011612,"there":-9999.0}],"text_offset":[3,4]})");
  EXPECT_TRUE(b.empty());
  b.add(GeneratedTokenInfo{432, -0.5f, {}});
  EXPECT_EQ(b.take()["text_offset"].dump(), "[9]");  // offsets keep counting across chunks
}

TEST(Logprobs, ChatShape) {
  const Tokenizer tok = Tokenizer::from_dir(kStories);
  LogprobsBuilder b(LogprobsFormat::kChat, 1, &tok);
  b.add(GeneratedTokenInfo{432, -0.5f, {{432, -0.5f}, {383, -1.5f}}});
  EXPECT_EQ(dump_json(b.take()),
            R"({"content":[{"token":",","logprob":-0.5,"bytes":[44],"top_logprobs":[{"token":",","logprob":-0.5,"bytes":[44]}]}]})");
  LogprobsBuilder off(LogprobsFormat::kNone, 0, nullptr);
  EXPECT_TRUE(off.take().is_null());
}

TEST(ResponseJson, VllmShapes) {
  GenerationPlan plan;
  plan.id = "cmpl-x";
  plan.created = 7;
  plan.model_name = "m";
  Json choices = Json::array({completion_choice_json(0, "hi", nullptr, finish_reason_json(RequestFinishReason::kStop), "END")});
  EXPECT_EQ(dump_json(response_json(plan, false, choices, usage_json(5, 2))),
            R"({"id":"cmpl-x","object":"text_completion","created":7,"model":"m","choices":[{"index":0,"text":"hi",)"
            R"("logprobs":null,"finish_reason":"stop","stop_reason":"END"}],"usage":{"prompt_tokens":5,"total_tokens":7,)"
            R"("completion_tokens":2}})");
  plan.endpoint = ApiEndpoint::kChatCompletions;
  EXPECT_EQ(dump_json(response_json(plan, true,
                                    Json::array({chat_delta_choice_json(1, "assistant", "", nullptr, nullptr, nullptr)}),
                                    Json(Json::value_t::discarded))),
            R"({"id":"cmpl-x","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":1,)"
            R"("delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null,"stop_reason":null}]})");
  EXPECT_EQ(response_json(plan, false, Json::array(), nullptr)["object"], "chat.completion");
}

}  // namespace
}  // namespace turbine::server

namespace turbine::server {
namespace {

// With a reasoning parser, a constraint is planned (and compiled) for the answer after
// "</think>", unless the request turned thinking off; a bad one is a 400 naming its field.
TEST(ChatPlan, ReasoningParserPutsTheConstraintAfterTheThinking) {
  ServedModel model = stories_model("{% for m in messages %}{{ m['content'] }}{% endfor %}");
  std::vector<std::string> bytes;
  for (int32_t id = 0; id < int32_t(model.vocab_size); ++id) bytes.push_back(model.tokenizer.token_bytes(id));
  model.grammars = std::make_shared<structured::GrammarCompiler>(
      std::make_shared<structured::TokenVocabulary>(bytes, model.eos_token_ids, int32_t(model.vocab_size)));
  model.reasoning_parser = "qwen3";
  auto plan = [&](const std::string& extra) {
    return plan_chat_completion(parse_chat_completion_request(parse_json_object(
                                    R"({"messages": [{"role": "user", "content": "hi"}], "guided_regex": "[a-z]+")" +
                                    extra + "}")),
                                model);
  };
  const GenerationPlan thinking = plan("");
  EXPECT_TRUE(thinking.thinking_in_prompt);
  EXPECT_EQ(thinking.prompts[0].params.structured->reasoning_end, "</think>");
  const GenerationPlan plain = plan(R"(, "chat_template_kwargs": {"enable_thinking": false})");
  EXPECT_FALSE(plain.thinking_in_prompt);
  EXPECT_EQ(plain.prompts[0].params.structured->reasoning_end, "");
  model.reasoning_parser.clear();
  EXPECT_EQ(plan("").prompts[0].params.structured->reasoning_end, "");
  EXPECT_EQ(error_of([&] {
              plan_chat_completion(parse_chat_completion_request(parse_json_object(
                                       R"({"messages": [{"role": "user", "content": "hi"}], "guided_regex": "(a"})")),
                                   model);
            }).param(),
            "guided_regex");
}

}  // namespace
}  // namespace turbine::server
