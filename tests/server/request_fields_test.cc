// vLLM's request fields beyond sampling, from the body to the plan: bad_words (tokenized as vLLM
// does), truncate_prompt_tokens and truncation_side, return_tokens_as_token_ids, chat echo,
// request_id, cache_salt, stream_interval, beam search's fields; and the vLLM fields we refuse
// (400 naming them) unless they hold their default. (Structured output's own fields: structured_output_fields.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "server/api_error.h"
#include "server/bad_word_tokens.h"
#include "server/cache_salt.h"
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

ServedModel stories_model() {
  return ServedModel{
      .names = {"stories"},
      .root = kStories.string(),
      .tokenizer = Tokenizer::from_dir(kStories),
      .chat = std::make_shared<const ChatPromptRenderer>(
          ChatTemplateConfig::load(kStories),
          "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
          "{% if add_generation_prompt %}assistant:{% endif %}"),
      .max_model_len = 512,
      .vocab_size = 512,
      .max_num_seqs = 8,
      .eos_token_ids = {2},
  };
}

GenerationPlan completion(const ServedModel& model, const std::string& body) {
  return plan_completion(parse_completion_request(parse_json_object(body)), model);
}

GenerationPlan chat(const ServedModel& model, const std::string& body) {
  return plan_chat_completion(parse_chat_completion_request(parse_json_object(body)), model);
}

std::string param_of_completion(const std::string& fields) {
  return error_of([&] { parse_completion_request(parse_json_object(R"({"prompt": "x", )" + fields + "}")); }).param();
}

std::string param_of_chat(const std::string& fields) {
  return error_of([&] {
           parse_chat_completion_request(
               parse_json_object(R"({"messages": [{"role": "user", "content": "x"}], )" + fields + "}"));
         })
      .param();
}

TEST(BadWordTokens, EachWordAsWrittenAndAfterASpaceWhenThatIsAnotherWordStart) {
  // stories260K (SentencePiece): "Lily" is "▁Lily" already; " Lily" adds a lone "▁" token, so
  // its spelling has another length and is not kept (vLLM's rule).
  const Tokenizer stories = Tokenizer::from_dir(kStories);
  EXPECT_EQ(bad_word_token_ids({"Lily", "  park"}, stories),
            (std::vector<std::vector<int32_t>>{{317}, {282, 295, 433}}));
  // The demo model (byte-level BPE): "Lily" and " Lily" are [L, ily] and [ĠL, ily]: both banned.
  const Tokenizer demo = Tokenizer::from_dir(kDemo);
  const auto demo_words = bad_word_token_ids({"Lily"}, demo);
  EXPECT_EQ(demo_words, (std::vector<std::vector<int32_t>>{demo.encode("Lily", false), demo.encode(" Lily", false)}));
  EXPECT_NE(demo_words[0].front(), demo_words[1].front());
  // " truth" is one token where "truth" is three: vLLM keeps only the plain spelling.
  EXPECT_EQ(bad_word_token_ids({"truth"}, demo).size(), 1u);
  EXPECT_EQ(error_of([&] { bad_word_token_ids({"ok", " \t\xe3\x80\x80"}, demo); }).param(), "bad_words[1]");
}

TEST(BadWordTokens, LeadingWhitespaceIsStrippedAsPythonDoes) {
  EXPECT_EQ(strip_leading_whitespace(" \t\n\x1c\xc2\xa0\xe2\x80\x83word "), "word ");
  EXPECT_EQ(strip_leading_whitespace("\xc2\xa9x"), "\xc2\xa9x");  // U+00A9 is no space
  EXPECT_EQ(strip_leading_whitespace(""), "");
}

TEST(AllowedTokenIds, ReachEveryPromptsParametersAndAreChecked) {
  const ServedModel model = stories_model();
  const GenerationPlan plan = completion(model, R"({"prompt": ["a", "b"], "allowed_token_ids": [5, 300, 7]})");
  for (const PlannedPrompt& p : plan.prompts) EXPECT_EQ(p.params.allowed_token_ids, (std::vector<int32_t>{5, 300, 7}));
  EXPECT_EQ(chat(model, R"({"messages": [{"role": "user", "content": "x"}], "allowed_token_ids": [9]})")
                .prompts[0].params.allowed_token_ids,
            std::vector<int32_t>{9});
  EXPECT_TRUE(completion(model, R"({"prompt": "x", "allowed_token_ids": null})").prompts[0].params.allowed_token_ids.empty());
  EXPECT_EQ(param_of_completion(R"("allowed_token_ids": [])"), "allowed_token_ids");
  EXPECT_EQ(param_of_completion(R"("allowed_token_ids": [1, -1])"), "allowed_token_ids[1]");
  EXPECT_EQ(param_of_completion(R"("allowed_token_ids": "5")"), "allowed_token_ids");
  EXPECT_EQ(param_of_completion(R"("allowed_token_ids": [1], "bad_words": ["Lily"])"), "allowed_token_ids");
  EXPECT_EQ(param_of_completion(R"("allowed_token_ids": [1], "structured_outputs": {"regex": "a+"})"), "allowed_token_ids");
  const ApiError outside = error_of([&] { completion(model, R"({"prompt": "x", "allowed_token_ids": [3, 512]})"); });
  EXPECT_EQ(outside.param(), "allowed_token_ids");
  EXPECT_NE(std::string(outside.what()).find("token id 512 (at index 1"), std::string::npos) << outside.what();
}

TEST(BadWords, ReachEveryPromptsParametersAndAreChecked) {
  const ServedModel model = stories_model();
  const GenerationPlan plan = completion(model, R"({"prompt": ["a", "b"], "bad_words": ["Lily", "park"]})");
  for (const PlannedPrompt& p : plan.prompts)
    EXPECT_EQ(p.params.bad_words_token_ids, (std::vector<std::vector<int32_t>>{{317}, {282, 295, 433}}));
  EXPECT_EQ(chat(model, R"({"messages": [{"role": "user", "content": "x"}], "bad_words": ["Lily"]})")
                .prompts[0].params.bad_words_token_ids.size(),
            1u);
  EXPECT_EQ(param_of_completion(R"("bad_words": "Lily")"), "bad_words");
  EXPECT_EQ(param_of_completion(R"("bad_words": ["a", 3])"), "bad_words[1]");
  EXPECT_EQ(param_of_completion(R"("bad_words": [")" + std::string(kMaxStopStringBytes + 1, 'a') + R"("])"),
            "bad_words[0]");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "bad_words": [""]})"); }).param(), "bad_words[0]");
  // Banning most of the vocabulary would leave a step nothing to sample. Words of one token each
  // (ids past the byte tokens), with stop tokens before min_tokens, ban more than half.
  Json words = Json::array();
  for (int32_t id = 259; id < 512; ++id) {
    const int32_t ids[] = {id};
    const std::string text = model.tokenizer.decode(ids, true);
    if (model.tokenizer.encode(strip_leading_whitespace(text), false) == std::vector<int32_t>{id}) words.push_back(text);
  }
  ASSERT_GT(words.size(), 50u);
  std::string stops = "[3";
  for (size_t id = 4; id < 3 + 257 - words.size(); ++id) stops += "," + std::to_string(id);
  stops += "]";
  const std::string body = R"({"prompt": "x", "bad_words": )" + words.dump() + R"(, "stop_token_ids": )" + stops;
  EXPECT_NO_THROW(completion(model, body + "}"));  // stop tokens are banned only before min_tokens
  const ApiError e = error_of([&] { completion(model, body + R"(, "min_tokens": 1})"); });
  EXPECT_EQ(e.param(), "bad_words");
  EXPECT_NE(std::string(e.what()).find("half the vocabulary"), std::string::npos) << e.what();
  // So would stop tokens alone.
  std::string all_stops = "[3";
  for (int id = 4; id < 400; ++id) all_stops += fmt::format(",{}", id);
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "min_tokens": 1, "stop_token_ids": )" + all_stops + "]}"); })
                .param(),
            "stop_token_ids");
}

TEST(TruncatePromptTokens, KeepsTheLastTokensOrTheFirst) {
  const ServedModel model = stories_model();
  const std::vector<int32_t> full{1, 403, 407, 261, 378};
  GenerationPlan plan = completion(model, R"({"prompt": "Once upon a time", "truncate_prompt_tokens": 3, "echo": true})");
  EXPECT_EQ(plan.prompts[0].token_ids, (std::vector<int32_t>{407, 261, 378}));
  EXPECT_EQ(plan.prompts[0].text, "upon a time");  // echo shows what the model saw
  plan = completion(model, R"({"prompt": [1, 403, 407, 261, 378], "truncate_prompt_tokens": 2,
                               "truncation_side": "right"})");
  EXPECT_EQ(plan.prompts[0].token_ids, (std::vector<int32_t>{1, 403}));
  plan = completion(model, R"({"prompt": "Once upon a time", "truncate_prompt_tokens": 9, "echo": true})");
  EXPECT_EQ(plan.prompts[0].token_ids, full);  // shorter already: untouched, the text as given
  EXPECT_EQ(plan.prompts[0].text, "Once upon a time");
  plan = chat(model, R"({"messages": [{"role": "user", "content": "hi there"}], "truncate_prompt_tokens": 4})");
  EXPECT_EQ(plan.prompts[0].token_ids.size(), 4u);
  EXPECT_EQ(plan.prompts[0].params.max_tokens, 512 - 4);
}

TEST(TruncatePromptTokens, MinusOneKeepsWhatTheContextLeavesAndMoreIsA400) {
  const ServedModel model = stories_model();
  std::string long_prompt = "[1";
  for (int i = 0; i < 599; ++i) long_prompt += ",300";
  long_prompt += "]";
  // Completions judge against max_tokens (16 when unset): 512 - 16 = 496 tokens may stay.
  GenerationPlan plan = completion(model, R"({"prompt": )" + long_prompt + R"(, "truncate_prompt_tokens": -1})");
  EXPECT_EQ(plan.prompts[0].token_ids.size(), 496u);
  EXPECT_EQ(plan.prompts[0].params.max_tokens, 16);
  plan = completion(model, R"({"prompt": )" + long_prompt + R"(, "truncate_prompt_tokens": -1, "max_tokens": 100})");
  EXPECT_EQ(plan.prompts[0].token_ids.size(), 412u);
  const ApiError over = error_of([&] { completion(model, R"({"prompt": "x", "truncate_prompt_tokens": 497})"); });
  EXPECT_EQ(over.param(), "truncate_prompt_tokens");
  EXPECT_NE(std::string(over.what()).find("496"), std::string::npos) << over.what();
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "truncate_prompt_tokens": 100000})"); }).param(),
            "truncate_prompt_tokens");
  EXPECT_EQ(error_of([&] { completion(model, R"({"prompt": "x", "truncate_prompt_tokens": 5, "max_tokens": 512})"); })
                .param(),
            "max_tokens");
  // A long text is not refused before tokenization when it is to be cut.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "Once upon a time ";
  EXPECT_EQ(completion(model, R"({"prompt": ")" + text + R"(", "truncate_prompt_tokens": 8})").prompts[0].token_ids.size(),
            8u);
  EXPECT_EQ(param_of_completion(R"("truncate_prompt_tokens": 0)"), "truncate_prompt_tokens");
  EXPECT_EQ(param_of_completion(R"("truncate_prompt_tokens": -2)"), "truncate_prompt_tokens");
  EXPECT_EQ(param_of_completion(R"("truncate_prompt_tokens": "3")"), "truncate_prompt_tokens");
  EXPECT_EQ(param_of_completion(R"("truncation_side": "middle")"), "truncation_side");
}

TEST(ReturnTokensAsTokenIds, NamesEveryTokenByItsId) {
  const Tokenizer tok = Tokenizer::from_dir(kStories);
  LogprobsBuilder completions(LogprobsFormat::kCompletions, 1, &tok, 0, /*tokens_as_ids=*/true);
  completions.add(GeneratedTokenInfo{432, -0.5f, {{383, -0.25f}}});
  completions.add_prompt_token(1, nullptr);
  EXPECT_EQ(dump_json(completions.take()),
            R"({"tokens":["token_id:432","token_id:1"],"token_logprobs":[-0.5,null],"top_logprobs":[{"token_id:383":)"
            R"(-0.25,"token_id:432":-0.5},null],"text_offset":[0,12]})");
  LogprobsBuilder chat_lp(LogprobsFormat::kChat, 1, &tok, 0, true);
  chat_lp.add(GeneratedTokenInfo{432, -0.5f, {{383, -0.25f}}});
  const Json content = chat_lp.take()["content"][0];
  EXPECT_EQ(content["token"], "token_id:432");
  EXPECT_EQ(content["bytes"].size(), std::string("token_id:432").size());
  EXPECT_EQ(content["top_logprobs"][0]["token"], "token_id:383");
  const ServedModel model = stories_model();
  EXPECT_TRUE(completion(model, R"({"prompt": "x", "return_tokens_as_token_ids": true})").tokens_as_ids);
  EXPECT_FALSE(completion(model, R"({"prompt": "x"})").tokens_as_ids);
  EXPECT_EQ(param_of_chat(R"("return_tokens_as_token_ids": 1)"), "return_tokens_as_token_ids");
}

TEST(ChatEcho, TheReplyStartsWithTheLastAssistantMessage) {
  const ServedModel model = stories_model();
  const std::string prefill = R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant",
                                   "content": [{"type": "text", "text": "Once"}, {"type": "text", "text": "upon"}]}])";
  EXPECT_EQ(chat(model, prefill + R"(, "echo": true, "continue_final_message": true, "add_generation_prompt": false})")
                .chat_echo,
            "Once\nupon");
  EXPECT_EQ(chat(model, prefill + R"(, "continue_final_message": true, "add_generation_prompt": false})").chat_echo, "");
  // The last message is the user's: the reply (the assistant's) does not continue it.
  EXPECT_EQ(chat(model, R"({"messages": [{"role": "user", "content": "hi"}], "echo": true})").chat_echo, "");
  EXPECT_EQ(param_of_chat(R"("echo": "yes")"), "echo");
}

TEST(RequestId, BecomesTheResponseIdWhileTheEngineKeepsItsOwn) {
  const ServedModel model = stories_model();
  const GenerationPlan a = completion(model, R"({"prompt": "x", "request_id": "my-id-1"})");
  EXPECT_EQ(a.id, "cmpl-my-id-1");
  EXPECT_EQ(a.engine_id.rfind("cmpl-", 0), 0u);
  EXPECT_NE(a.engine_id, completion(model, R"({"prompt": "x", "request_id": "my-id-1"})").engine_id);
  EXPECT_EQ(chat(model, R"({"messages": [{"role": "user", "content": "x"}], "request_id": "r"})").id, "chatcmpl-r");
  const GenerationPlan unnamed = completion(model, R"({"prompt": "x", "request_id": ""})");
  EXPECT_EQ(unnamed.id, unnamed.engine_id);
  EXPECT_EQ(param_of_completion(R"("request_id": "two words")"), "request_id");
  EXPECT_EQ(param_of_completion(R"("request_id": "line\nbreak")"), "request_id");
  EXPECT_EQ(param_of_completion(R"("request_id": ")" + std::string(kMaxRequestIdBytes + 1, 'a') + R"(")"),
            "request_id");
}

TEST(CacheSalt, OnlyEqualSaltsGiveEqualKeys) {
  EXPECT_EQ(cache_salt_keys("abc"), cache_salt_keys("abc"));
  EXPECT_NE(cache_salt_keys("abc"), cache_salt_keys("abd"));
  EXPECT_NE(cache_salt_keys("abc"), cache_salt_keys(std::string("abc\0", 4)));  // the length counts
  EXPECT_NE(cache_salt_keys("12345678"), cache_salt_keys("1234567812345678"));
  const ServedModel model = stories_model();
  EXPECT_EQ(completion(model, R"({"prompt": "x", "cache_salt": "tenant-a"})").prompts[0].params.cache_extra_keys,
            cache_salt_keys("tenant-a"));
  EXPECT_TRUE(completion(model, R"({"prompt": "x"})").prompts[0].params.cache_extra_keys.empty());
  EXPECT_EQ(param_of_completion(R"("cache_salt": "")"), "cache_salt");
  EXPECT_EQ(param_of_completion(R"("cache_salt": ")" + std::string(kMaxCacheSaltBytes + 1, 's') + R"(")"),
            "cache_salt");
}

TEST(StreamInterval, IsAtLeastOne) {
  const ServedModel model = stories_model();
  EXPECT_EQ(completion(model, R"({"prompt": "x", "stream": true, "stream_interval": 4})").stream_interval, 4);
  EXPECT_EQ(completion(model, R"({"prompt": "x"})").stream_interval, 1);
  EXPECT_EQ(param_of_completion(R"("stream_interval": 0)"), "stream_interval");
}

TEST(BeamSearchFields, ReachThePlan) {
  const ServedModel model = stories_model();
  const GenerationPlan plain = completion(model, R"({"prompt": "x"})");
  EXPECT_FALSE(plain.beam_search.has_value());
  const GenerationPlan beam = completion(
      model, R"({"prompt": "x", "use_beam_search": true, "n": 3, "length_penalty": 0.5, "early_stopping": true})");
  ASSERT_TRUE(beam.beam_search.has_value());
  EXPECT_EQ(beam.n, 3);
  EXPECT_EQ(beam.beam_search->length_penalty, 0.5);
  EXPECT_TRUE(beam.beam_search->early_stopping);
  const GenerationPlan defaults = chat(model, R"({"messages": [{"role": "user", "content": "x"}], "use_beam_search": true,
                                                  "stream": true})");
  ASSERT_TRUE(defaults.beam_search.has_value());
  EXPECT_EQ(defaults.beam_search->length_penalty, 1.0);
  EXPECT_FALSE(defaults.beam_search->early_stopping);
  // Sampling's own knobs do nothing to a beam search (it does not sample), as in vLLM.
  EXPECT_NO_THROW(completion(model, R"({"prompt": "x", "use_beam_search": true, "temperature": 0.7, "top_p": 0.5,
                                         "top_k": 3, "min_p": 0.1, "seed": 4})"));
}

TEST(BeamSearchFields, ItsFieldsWithoutBeamSearchAreA400) {
  for (const auto& param_of : {param_of_completion, param_of_chat}) {
    EXPECT_EQ(param_of(R"("length_penalty": 0.5)"), "length_penalty");
    EXPECT_EQ(param_of(R"("use_beam_search": false, "length_penalty": 2)"), "length_penalty");
    EXPECT_EQ(param_of(R"("early_stopping": true)"), "early_stopping");
    EXPECT_EQ(param_of(R"("use_beam_search": "yes")"), "use_beam_search");
  }
  const ApiError e = error_of([] { parse_completion_request(parse_json_object(R"({"prompt": "x", "length_penalty": 2})")); });
  EXPECT_NE(std::string(e.what()).find("only to beam search"), std::string::npos) << e.what();
}

TEST(BeamSearchFields, WhatBeamSearchCannotHonorIsA400NamingIt) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"("stop": ["x"])", "stop"},
      {R"("stop_token_ids": [5])", "stop_token_ids"},
      {R"("min_tokens": 2)", "min_tokens"},
      {R"("logit_bias": {"5": 1})", "logit_bias"},
      {R"("presence_penalty": 0.5)", "presence_penalty"},
      {R"("frequency_penalty": 0.5)", "frequency_penalty"},
      {R"("repetition_penalty": 1.2)", "repetition_penalty"},
      {R"("bad_words": ["x"])", "bad_words"},
      {R"("allowed_token_ids": [5])", "allowed_token_ids"},
      {R"("response_format": {"type": "json_object"})", "response_format"},
      {R"("structured_outputs": {"regex": "a+"})", "structured_outputs.regex"},
      {R"("guided_choice": ["a", "b"])", "guided_choice"},
      {R"("n": 11)", "n"},
  };
  for (const auto& [fields, param] : refused) {
    EXPECT_EQ(param_of_completion(R"("use_beam_search": true, )" + fields), param) << fields;
    EXPECT_EQ(param_of_chat(R"("use_beam_search": true, )" + fields), param) << fields;
  }
  const ApiError e = error_of([] {
    parse_completion_request(parse_json_object(R"({"prompt": "x", "use_beam_search": true, "stop": "x"})"));
  });
  EXPECT_NE(std::string(e.what()).find("not supported with beam search"), std::string::npos) << e.what();
  // Their defaults are fine, and 10 beams are.
  EXPECT_NO_THROW(parse_completion_request(parse_json_object(
      R"({"prompt": "x", "use_beam_search": true, "n": 10, "stop": [], "min_tokens": 0, "presence_penalty": 0,
          "repetition_penalty": 1, "logit_bias": {}, "bad_words": []})")));
  // vLLM's completions refuse to stream a beam search; its chat completions stream the result.
  EXPECT_EQ(param_of_completion(R"("use_beam_search": true, "stream": true)"), "stream");
  EXPECT_NO_THROW(parse_chat_completion_request(parse_json_object(
      R"({"messages": [{"role": "user", "content": "x"}], "use_beam_search": true, "stream": true})")));
  // A tool choice that constrains the output.
  EXPECT_EQ(param_of_chat(R"("use_beam_search": true, "tools": [{"type": "function", "function": {"name": "f"}}],
                             "tool_choice": "required")"),
            "tool_choice");
}

TEST(UnsupportedFields, ANonDefaultValueIsA400NamingTheField) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"("structural_tag": "{}")", "structural_tag"},
      {R"("watermarking": true)", "watermarking"},
      {R"("return_token_ids": true)", "return_token_ids"},
      {R"("prompt_logprobs": 1)", "prompt_logprobs"},
      {R"("logprob_token_ids": [1])", "logprob_token_ids"},
      {R"("repetition_detection": {"max_pattern_size": 4})", "repetition_detection"},
      {R"("logits_processors": ["my.Processor"])", "logits_processors"},
      {R"("thinking_token_budget": 100)", "thinking_token_budget"},
  };
  for (const auto& [fields, param] : refused) {
    EXPECT_EQ(param_of_completion(fields), param) << fields;
    EXPECT_EQ(param_of_chat(fields), param) << fields;
  }
  EXPECT_EQ(param_of_chat(R"("return_prompt_text": true)"), "return_prompt_text");
  EXPECT_EQ(param_of_completion(R"("prompt_embeds": "AAAA")"), "prompt_embeds");
  // Their defaults (and null) are accepted.
  EXPECT_NO_THROW(parse_completion_request(parse_json_object(
      R"({"prompt": "x", "use_beam_search": false, "length_penalty": 1, "early_stopping": false, "watermarking": false,
          "return_token_ids": false, "structural_tag": null, "allowed_token_ids": null,
          "thinking_token_budget": -1})")));
  EXPECT_NO_THROW(parse_chat_completion_request(parse_json_object(
      R"({"messages": [{"role": "user", "content": "x"}], "return_prompt_text": false, "use_beam_search": false})")));
}

}  // namespace
}  // namespace turbine::server
