// Request parsing and validation: JSON bodies to typed requests, and the 400s (with the field
// named) for everything malformed.
#include <gtest/gtest.h>

#include <string>

#include "server/api_error.h"
#include "server/json_request.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

Json parse(const std::string& body) { return parse_json_object(body); }

// Runs `fn` and returns the ApiError it throws (fails the test if it does not).
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

ApiError completion_error(const std::string& body) {
  return error_of([&] { parse_completion_request(parse(body)); });
}

ApiError chat_error(const std::string& body) {
  return error_of([&] { parse_chat_completion_request(parse(body)); });
}

TEST(JsonRequest, KeepsKeyOrderAndTakesTheLastDuplicate) {
  const Json j = parse(R"({"b": 1, "a": {"z": 1, "y": 2}, "b": 3})");
  EXPECT_EQ(j.dump(), R"({"b":3,"a":{"z":1,"y":2}})");
}

TEST(JsonRequest, RejectsNonObjectsMalformedAndDeepInput) {
  for (const char* body : {"", "[1]", "\"x\"", "{", "{\"a\": }", "nul", "{\"a\": 1} x"}) {
    const ApiError e = error_of([&] { parse(body); });
    EXPECT_EQ(e.status(), 400) << body;
    EXPECT_EQ(e.code(), "invalid_json") << body;
  }
  const std::string deep = "{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_NE(std::string(error_of([&] { parse(deep); }).what()).find("nested"), std::string::npos);
  const std::string ok = "{\"a\": " + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_NO_THROW(parse(ok));
}

TEST(JsonRequest, RejectsInvalidUtf8) {
  EXPECT_EQ(error_of([] { parse("{\"a\": \"\xff\"}"); }).status(), 400);
}

TEST(JsonRequest, IntegersAcceptIntegralFloatsOnly) {
  const Json j = parse(R"({"a": 3.0, "b": 3.5, "c": 18446744073709551615, "d": "3", "e": -2})");
  const JsonObjectReader r(j);
  EXPECT_EQ(r.integer("a"), 3);
  EXPECT_EQ(error_of([&] { r.integer("b"); }).param(), "b");
  EXPECT_EQ(error_of([&] { r.integer("c"); }).param(), "c");
  EXPECT_EQ(error_of([&] { r.integer("d"); }).code(), "invalid_type");
  EXPECT_EQ(error_of([&] { r.integer("e", 0, 5); }).code(), "invalid_value");
  EXPECT_EQ(r.integer("missing"), std::nullopt);
}

TEST(JsonRequest, NullMeansNotGiven) {
  const Json j = parse(R"({"temperature": null, "stop": null})");
  const CompletionRequest r = parse_completion_request(parse(R"({"prompt": "x", "temperature": null, "stop": null})"));
  EXPECT_FLOAT_EQ(r.generation.sampling.temperature, 1.0f);
  EXPECT_TRUE(r.generation.stop.empty());
  EXPECT_FALSE(JsonObjectReader(j).has("temperature"));
}

TEST(CompletionRequest, ParsesEveryPromptForm) {
  EXPECT_EQ(std::get<std::string>(parse_completion_request(parse(R"({"prompt": "hi"})")).prompts.at(0)), "hi");
  const auto ids = parse_completion_request(parse(R"({"prompt": [1, 2, 3]})"));
  ASSERT_EQ(ids.prompts.size(), 1u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(ids.prompts[0]), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_completion_request(parse(R"({"prompt": ["a", "b"]})")).prompts.size(), 2u);
  const auto lists = parse_completion_request(parse(R"({"prompt": [[1], [2, 3]]})"));
  ASSERT_EQ(lists.prompts.size(), 2u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(lists.prompts[1]), (std::vector<int32_t>{2, 3}));
}

TEST(CompletionRequest, RejectsBadPrompts) {
  EXPECT_EQ(completion_error(R"({})").code(), "missing_required_parameter");
  EXPECT_EQ(completion_error(R"({"prompt": 3})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": []})").param(), "prompt");
  EXPECT_EQ(completion_error(R"({"prompt": [1, "a"]})").param(), "prompt[1]");
  EXPECT_EQ(completion_error(R"({"prompt": [1, -1]})").param(), "prompt[1]");
  EXPECT_EQ(completion_error(R"({"prompt": ["a", [1]]})").param(), "prompt[1]");
  EXPECT_EQ(completion_error(R"({"prompt": [[1], "a"]})").param(), "prompt[1]");
  EXPECT_EQ(completion_error(R"({"prompt": [[1], [2.5]]})").param(), "prompt[1][0]");
  EXPECT_EQ(completion_error(R"({"prompt": [4294967296]})").param(), "prompt[0]");
}

TEST(CompletionRequest, ReadsSamplingAndStoppingFields) {
  const CompletionRequest r = parse_completion_request(parse(R"({
    "prompt": "x", "model": "m", "max_tokens": 7, "min_tokens": 2, "n": 3, "temperature": 0.5, "top_p": 0.9,
    "top_k": 5, "min_p": 0.1, "seed": -1, "presence_penalty": 1, "frequency_penalty": -1,
    "repetition_penalty": 1.1, "logit_bias": {"12": -100, "7": 2.5}, "stop": "END", "stop_token_ids": [9],
    "ignore_eos": true, "priority": -3, "logprobs": 4, "echo": false, "skip_special_tokens": false,
    "include_stop_str_in_output": true, "add_special_tokens": false, "stream": true,
    "stream_options": {"include_usage": true}, "user": "u", "unknown_field": {"x": 1}})"));
  const GenerationFields& g = r.generation;
  EXPECT_EQ(g.model, "m");
  EXPECT_EQ(g.max_tokens, 7);
  EXPECT_EQ(g.min_tokens, 2);
  EXPECT_EQ(g.n, 3);
  EXPECT_FLOAT_EQ(g.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(g.sampling.top_p, 0.9f);
  EXPECT_EQ(g.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(g.sampling.min_p, 0.1f);
  EXPECT_EQ(g.sampling.seed, UINT64_MAX);  // -1 taken as its 64 bits
  EXPECT_FLOAT_EQ(g.sampling.presence_penalty, 1.0f);
  EXPECT_FLOAT_EQ(g.sampling.frequency_penalty, -1.0f);
  EXPECT_FLOAT_EQ(g.sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(g.sampling.logit_bias, (std::map<int32_t, float>{{7, 2.5f}, {12, -100.0f}}));
  EXPECT_EQ(g.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(g.stop_token_ids, std::vector<int32_t>{9});
  EXPECT_TRUE(g.ignore_eos);
  EXPECT_EQ(g.priority, -3);
  EXPECT_EQ(r.logprobs, 4);
  EXPECT_EQ(g.sampling.logprobs, 4);
  EXPECT_FALSE(g.skip_special_tokens);
  EXPECT_TRUE(g.include_stop_str_in_output);
  EXPECT_EQ(g.add_special_tokens, false);
  EXPECT_TRUE(g.stream);
  EXPECT_TRUE(g.stream_options.include_usage);
}

TEST(CompletionRequest, OutOfRangeValuesNameTheirField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("temperature": -0.1)", "temperature"}, {R"("top_p": 0)", "top_p"}, {R"("top_p": 1.01)", "top_p"},
      {R"("n": 0)", "n"}, {R"("n": 100000)", "n"}, {R"("max_tokens": 0)", "max_tokens"},
      {R"("logprobs": 21)", "logprobs"}, {R"("logprobs": -1)", "logprobs"}, {R"("min_p": 2)", "min_p"},
      {R"("top_k": -5)", "top_k"}, {R"("presence_penalty": 2.5)", "presence_penalty"},
      {R"("frequency_penalty": -2.5)", "frequency_penalty"}, {R"("repetition_penalty": 0)", "repetition_penalty"},
      {R"("logit_bias": {"1": 100.5})", "logit_bias"}, {R"("logit_bias": {"-1": 1})", "logit_bias"},
      {R"("logit_bias": {"1x": 1})", "logit_bias"}, {R"("logit_bias": {"1": "a"})", "logit_bias"},
      {R"("min_tokens": 5, "max_tokens": 4)", "min_tokens"}, {R"("stop": [""])", "stop"},
      {R"("stop": [1])", "stop"}, {R"("best_of": 2)", "best_of"}, {R"("suffix": "s")", "suffix"},
      {R"("stream_options": {"include_usage": true})", "stream_options"},
      {R"("response_format": {"type": "yaml"})", "response_format.type"},
      {R"("guided_regex": "a", "guided_choice": ["b"])", "guided_choice"},
      {R"("stop_token_ids": [-1])", "stop_token_ids[0]"}, {R"("temperature": "1")", "temperature"},
      {R"("stream": 1)", "stream"}, {R"("seed": 1.5)", "seed"},
  };
  for (const auto& [fields, param] : cases) {
    const ApiError e = completion_error(std::string(R"({"prompt": "x", )") + fields + "}");
    EXPECT_EQ(e.status(), 400) << fields;
    EXPECT_EQ(e.param(), param) << fields << ": " << e.what();
    EXPECT_EQ(e.type(), "invalid_request_error");
  }
}

// A JSON number may be valid and finite yet overflow the C++ type it is kept in (1e300 as a float
// would be inf): the 400 names the field and shows the value as sent, never "inf".
TEST(CompletionRequest, NumbersThatOverflowTheirTypeNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("temperature": 1e300)", "temperature"}, {R"("temperature": -1e300)", "temperature"},
      {R"("repetition_penalty": 1e39)", "repetition_penalty"}, {R"("temperature": 1e400)", "temperature"},
      {R"("top_p": 1e400)", "top_p"}, {R"("max_tokens": 1e300)", "max_tokens"}, {R"("n": 1e400)", "n"},
      {R"("seed": 1e400)", "seed"}, {R"("seed": 18446744073709551616)", "seed"},
      {R"("priority": 1e10)", "priority"}, {R"("top_k": 99999999999)", "top_k"},
      {R"("min_tokens": 4294967296)", "min_tokens"}, {R"("logprobs": 1e300)", "logprobs"},
      {R"("logit_bias": {"1": 1e300})", "logit_bias"}, {R"("stop_token_ids": [4294967296])", "stop_token_ids[0]"},
  };
  for (const auto& [fields, param] : cases) {
    const ApiError e = completion_error(std::string(R"({"prompt": "x", )") + fields + "}");
    EXPECT_EQ(e.status(), 400) << fields;
    EXPECT_EQ(e.param(), param) << fields << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).find("inf"), std::string::npos) << e.what();
  }
  const ApiError e = completion_error(R"({"prompt": "x", "temperature": 1e300})");
  EXPECT_NE(std::string(e.what()).find("1e+300"), std::string::npos) << e.what();
  // The largest float still fits.
  EXPECT_EQ(parse_completion_request(parse(R"({"prompt": "x", "temperature": 3.4e38})")).generation.sampling.temperature,
            3.4e38f);
}

TEST(CompletionRequest, PromptTextIsCappedPerRequest) {
  const std::string at_cap(kMaxPromptBytesPerRequest, 'a');
  EXPECT_NO_THROW(parse_completion_request(parse(R"({"prompt": ")" + at_cap + "\"}")));
  const ApiError one = completion_error(R"({"prompt": ")" + at_cap + "b\"}");
  EXPECT_EQ(one.param(), "prompt");
  EXPECT_NE(std::string(one.what()).find(std::to_string(kMaxPromptBytesPerRequest)), std::string::npos);
  // Several prompts count together.
  const std::string half(kMaxPromptBytesPerRequest / 2 + 1, 'a');
  EXPECT_EQ(completion_error(R"({"prompt": [")" + half + "\", \"" + half + "\"]}").param(), "prompt");
  // Too many prompts name the prompt list.
  std::string many = R"({"prompt": [)";
  for (int i = 0; i <= kMaxPromptsPerRequest; ++i) many += i ? ",\"x\"" : "\"x\"";
  EXPECT_EQ(completion_error(many + "]}").param(), "prompt");
}

TEST(ChatRequest, ConversationTextIsCappedPerRequest) {
  const std::string big(kMaxPromptBytesPerRequest / 2, 'a');
  const ApiError e = chat_error(R"({"messages": [{"role": "user", "content": ")" + big + R"("},
                                  {"role": "assistant", "content": null, "tool_calls": [{"function":
                                  {"name": "f", "arguments": ")" + big + "\"}}]}]}");
  EXPECT_EQ(e.param(), "messages");
  EXPECT_EQ(parse_chat_completion_request(parse(R"({"messages": [{"role": "user", "content": "abc"}],
                                                  "tools": [{"type": "function", "function": {"name": "f"}}]})"))
                .prompt.text_bytes,
            // role user content abc | type function function name f
            4 + 4 + 7 + 3 + 4 + 8 + 8 + 4 + 1);
}

TEST(CompletionRequest, TooManyOrTooLongStopStrings) {
  std::string many = R"({"prompt": "x", "stop": [)";
  for (int i = 0; i <= kMaxStopStrings; ++i) many += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
  EXPECT_EQ(completion_error(many + "]}").param(), "stop");
  EXPECT_EQ(completion_error(R"({"prompt": "x", "stop": ")" + std::string(kMaxStopStringBytes + 1, 'a') + "\"}").param(),
            "stop");
}

TEST(ChatRequest, NormalizesMessagesForTheTemplate) {
  const ChatCompletionRequest r = parse_chat_completion_request(parse(R"({
    "messages": [{"role": "system", "content": "s", "name": "n"},
                 {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                 {"role": "assistant"}],
    "max_completion_tokens": 9, "max_tokens": 3, "logprobs": true, "top_logprobs": 2,
    "add_generation_prompt": false, "chat_template_kwargs": {"enable_thinking": false},
    "tools": [{"type": "function", "function": {"name": "f"}}]})"));
  EXPECT_EQ(r.prompt.messages.dump(),
            R"([{"role":"system","content":"s","name":"n"},{"role":"user","content":"a\nb"},)"
            R"({"role":"assistant","content":null}])");
  EXPECT_EQ(r.generation.max_tokens, 9);  // max_completion_tokens wins
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 2);
  EXPECT_EQ(r.generation.sampling.logprobs, 2);
  EXPECT_FALSE(r.prompt.add_generation_prompt);
  EXPECT_EQ(r.prompt.chat_template_kwargs.dump(), R"({"enable_thinking":false})");
  EXPECT_TRUE(r.prompt.tools.is_array());
}

TEST(ChatRequest, RejectsBadMessagesAndCombinations) {
  EXPECT_EQ(chat_error(R"({})").param(), "messages");
  EXPECT_EQ(chat_error(R"({})").code(), "missing_required_parameter");
  EXPECT_EQ(chat_error(R"({"messages": []})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": {}})").param(), "messages");
  EXPECT_EQ(chat_error(R"({"messages": [1]})").param(), "messages[0]");
  EXPECT_EQ(chat_error(R"({"messages": [{"content": "x"}]})").param(), "messages[0].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": 1}]})").param(), "messages[0].role");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "u", "content": 1}]})").param(), "messages[0].content");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "u", "content": [{"type": "image_url"}]}]})").param(),
            "messages[0].content[0].type");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "u", "content": [{"type": "text"}]}]})").param(),
            "messages[0].content[0].text");
  const std::string m = R"("messages": [{"role": "user", "content": "x"}])";
  EXPECT_EQ(chat_error("{" + m + R"(, "top_logprobs": 2})").param(), "top_logprobs");
  EXPECT_EQ(chat_error("{" + m + R"(, "logprobs": true, "top_logprobs": 21})").param(), "top_logprobs");
  EXPECT_EQ(chat_error("{" + m + R"(, "continue_final_message": true, "add_generation_prompt": true})").param(),
            "continue_final_message");
  EXPECT_EQ(chat_error("{" + m + R"(, "tool_choice": "required"})").param(), "tool_choice");
  EXPECT_EQ(chat_error("{" + m + R"(, "tools": {}})").param(), "tools");
  EXPECT_EQ(chat_error("{" + m + R"(, "tools": [{"type": "function"}]})").param(), "tools[0].function");
  EXPECT_EQ(chat_error("{" + m + R"(, "tools": [{"type": "x", "function": {"name": "f"}}]})").param(), "tools[0].type");
  const std::string t = R"(, "tools": [{"type": "function", "function": {"name": "f"}}])";
  EXPECT_EQ(chat_error("{" + m + t + R"(, "tool_choice": {"type": "function", "function": {"name": "g"}}})").param(),
            "tool_choice.function.name");
  EXPECT_EQ(chat_error("{" + m + t + R"(, "tool_choice": "sometimes"})").param(), "tool_choice");
  EXPECT_EQ(chat_error("{" + m + t + R"(, "tool_choice": "required", "guided_regex": "a"})").param(), "guided_regex");
  EXPECT_EQ(chat_error("{" + m + R"(, "chat_template_kwargs": []})").param(), "chat_template_kwargs");
  EXPECT_EQ(chat_error("{" + m + R"(, "max_completion_tokens": 0})").param(), "max_completion_tokens");
}

TEST(ChatRequest, ContinueFinalMessageTurnsOffTheGenerationPrompt) {
  const ChatCompletionRequest r = parse_chat_completion_request(
      parse(R"({"messages": [{"role": "assistant", "content": "x"}], "continue_final_message": true})"));
  EXPECT_TRUE(r.prompt.continue_final_message);
  EXPECT_FALSE(r.prompt.add_generation_prompt);
}

TEST(TokenizeRequest, PromptOrMessages) {
  EXPECT_EQ(parse_tokenize_request(parse(R"({"prompt": "a", "return_token_strs": true})")).text, "a");
  EXPECT_TRUE(parse_tokenize_request(parse(R"({"messages": [{"role": "u", "content": "a"}]})")).chat.has_value());
  EXPECT_EQ(error_of([] { parse_tokenize_request(parse("{}")); }).status(), 400);
  EXPECT_EQ(error_of([] { parse_tokenize_request(parse(R"({"prompt": "a", "messages": []})")); }).status(), 400);
  EXPECT_EQ(parse_detokenize_request(parse(R"({"tokens": [1, 2]})")).tokens, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(error_of([] { parse_detokenize_request(parse(R"({"tokens": [1, "a"]})")); }).param(), "tokens[1]");
  EXPECT_EQ(error_of([] { parse_detokenize_request(parse("{}")); }).param(), "tokens");
}

TEST(TokenizeRequest, InputIsCapped) {
  const std::string at_cap(kMaxTokenizeInputBytes, 'a');
  EXPECT_EQ(parse_tokenize_request(parse(R"({"prompt": ")" + at_cap + "\"}")).text->size(), kMaxTokenizeInputBytes);
  const ApiError text = error_of([&] { parse_tokenize_request(parse(R"({"prompt": ")" + at_cap + "a\"}")); });
  EXPECT_EQ(text.param(), "prompt");
  EXPECT_NE(std::string(text.what()).find(std::to_string(kMaxTokenizeInputBytes)), std::string::npos);
  const ApiError chat = error_of([&] {
    parse_tokenize_request(parse(R"({"messages": [{"role": "user", "content": ")" + at_cap + "\"}]}"));
  });
  EXPECT_EQ(chat.param(), "messages");
}

TEST(ApiError, HasOpenAiShape) {
  const ApiError e(400, "bad \"thing\"", "top_p", "invalid_value");
  EXPECT_EQ(e.to_json(),
            R"({"error":{"message":"bad \"thing\"","type":"invalid_request_error","param":"top_p","code":"invalid_value"}})");
  EXPECT_EQ(ApiError(503, "full").to_json(),
            R"({"error":{"message":"full","type":"service_unavailable_error","param":null,"code":null}})");
  EXPECT_EQ(ApiError(401, "k").type(), "authentication_error");
  EXPECT_EQ(ApiError(500, "k").type(), "server_error");
  // Client bytes quoted in a message never break the JSON.
  EXPECT_TRUE(nlohmann::json::accept(ApiError(400, "bad \xff byte").to_json()));
}

}  // namespace
}  // namespace turbine::server
