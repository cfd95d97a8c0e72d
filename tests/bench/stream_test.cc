// The client's reading of a response: SSE framing, the OpenAI chunks and their timing (TTFT on
// the first content chunk, ITL between content chunks, E2E to the last chunk), request bodies,
// base URLs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/openai_stream.h"
#include "bench/serve_client.h"
#include "bench/sse_parser.h"
#include "common/error.h"

namespace turbine::bench {
namespace {

using nlohmann::json;

TEST(SseParser, EventsSurviveAnySplit) {
  const std::string stream =
      ": ping\r\n\r\ndata: {\"a\": 1}\r\n\r\ndata:{\"b\":2}\n\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n";
  const std::vector<std::string> expected = {"{\"a\": 1}", "{\"b\":2}", "line1\nline2", "[DONE]"};
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    SseParser parser;
    std::vector<std::string> events;
    for (size_t pos = 0; pos < stream.size(); pos += piece) parser.feed(std::string_view(stream).substr(pos, piece), events);
    parser.finish(events);
    EXPECT_EQ(events, expected) << "pieces of " << piece;
  }
}

TEST(SseParser, LastEventWithoutBlankLineIsKept) {
  SseParser parser;
  std::vector<std::string> events;
  parser.feed("data: one\n\ndata: two", events);
  EXPECT_EQ(events, std::vector<std::string>{"one"});
  parser.finish(events);
  EXPECT_EQ(events, (std::vector<std::string>{"one", "two"}));
}

std::string completion_chunk(const std::string& text, const char* finish = nullptr) {
  json choice = {{"index", 0}, {"text", text}, {"finish_reason", finish ? json(finish) : json(nullptr)}};
  return json({{"id", "x"}, {"object", "text_completion"}, {"choices", {choice}}, {"usage", nullptr}}).dump();
}

std::string usage_chunk(int prompt, int completion) {
  return json({{"choices", json::array()},
               {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}}}})
      .dump();
}

TEST(StreamRecorder, CompletionsTiming) {
  StreamRecorder r(Endpoint::kCompletions, 7);
  r.on_start(0.5);
  r.on_event(completion_chunk("Once"), 1.0);
  r.on_event(completion_chunk(" upon"), 1.2);
  r.on_event(completion_chunk(" a time"), 1.5);
  r.on_event(completion_chunk("", "stop"), 1.6);  // an EOS that adds no text is not content
  r.on_event(usage_chunk(7, 5), 1.7);
  r.on_event("[DONE]", 1.7);
  r.on_complete(1.8);
  const RequestResult& q = r.result();
  ASSERT_TRUE(q.success) << q.error;
  EXPECT_DOUBLE_EQ(q.ttft, 0.5);
  ASSERT_EQ(q.itl.size(), 2u);
  EXPECT_NEAR(q.itl[0], 0.2, 1e-12);
  EXPECT_NEAR(q.itl[1], 0.3, 1e-12);
  EXPECT_NEAR(q.latency, 1.2, 1e-12);  // to the usage chunk
  EXPECT_DOUBLE_EQ(q.finish_time, 1.8);
  EXPECT_EQ(q.output_tokens, 5);
  EXPECT_TRUE(q.output_tokens_from_usage);
  EXPECT_EQ(q.server_prompt_tokens, 7);
  EXPECT_EQ(q.prompt_len, 7);
  EXPECT_EQ(q.generated_text, "Once upon a time");
}

TEST(StreamRecorder, ChatRoleChunkIsNotTheFirstToken) {
  auto delta = [](json d) {
    return json({{"choices", {{{"index", 0}, {"delta", d}, {"finish_reason", nullptr}}}}}).dump();
  };
  StreamRecorder r(Endpoint::kChat, 3);
  r.on_start(0.0);
  r.on_event(delta({{"role", "assistant"}, {"content", ""}}), 0.05);
  r.on_event(delta({{"content", "Hi"}}), 0.25);
  r.on_event(delta({{"content", "!"}}), 0.3);
  r.on_event(usage_chunk(3, 2), 0.31);
  r.on_complete(0.32);
  ASSERT_TRUE(r.result().success);
  EXPECT_DOUBLE_EQ(r.result().ttft, 0.25);
  EXPECT_EQ(r.result().itl.size(), 1u);
  EXPECT_EQ(r.result().generated_text, "Hi!");
}

TEST(StreamRecorder, StreamWithoutTextFallsBackToTheFirstChoice) {
  StreamRecorder r(Endpoint::kCompletions, 3);
  r.on_start(0.0);
  r.on_event(completion_chunk("", "stop"), 0.4);  // one hidden EOS token
  r.on_event(usage_chunk(3, 1), 0.41);
  r.on_complete(0.42);
  ASSERT_TRUE(r.result().success);
  EXPECT_DOUBLE_EQ(r.result().ttft, 0.4);
  EXPECT_TRUE(r.result().itl.empty());
}

TEST(StreamRecorder, Failures) {
  {
    StreamRecorder r(Endpoint::kCompletions, 3);
    r.on_start(0.0);
    r.on_event(completion_chunk("a"), 0.1);
    r.on_event(R"({"error": {"message": "engine died", "code": 500}})", 0.2);
    r.on_complete(0.3);
    EXPECT_FALSE(r.result().success);
    EXPECT_NE(r.result().error.find("engine died"), std::string::npos);
  }
  {
    StreamRecorder r(Endpoint::kCompletions, 3);
    r.on_start(0.0);
    r.on_event(usage_chunk(3, 0), 0.1);
    r.on_complete(0.2);
    EXPECT_FALSE(r.result().success);  // no choice ever came
  }
  {
    StreamRecorder r(Endpoint::kCompletions, 3);
    r.on_start(0.0);
    r.on_event("not json", 0.1);
    r.on_complete(0.2);
    EXPECT_FALSE(r.result().success);
  }
  {
    StreamRecorder r(Endpoint::kCompletions, 3);
    r.on_start(0.0);
    r.on_failure("HTTP 400 Bad Request: too long", 0.1);
    EXPECT_FALSE(r.result().success);
    EXPECT_EQ(r.result().error, "HTTP 400 Bad Request: too long");
    EXPECT_DOUBLE_EQ(r.result().finish_time, 0.1);
  }
  {
    StreamRecorder r(Endpoint::kCompletions, 3);  // no usage: counted later with the tokenizer
    r.on_start(0.0);
    r.on_event(completion_chunk("a"), 0.1);
    r.on_complete(0.2);
    EXPECT_TRUE(r.result().success);
    EXPECT_FALSE(r.result().output_tokens_from_usage);
  }
}

TEST(RequestBody, AsVllmSendsIt) {
  const json c = json::parse(request_body(Endpoint::kCompletions, "m", "hello", 12, false));
  EXPECT_EQ(c["model"], "m");
  EXPECT_EQ(c["prompt"], "hello");
  EXPECT_EQ(c["max_tokens"], 12);
  EXPECT_EQ(c["temperature"], 0.0);
  EXPECT_EQ(c["stream"], true);
  EXPECT_EQ(c["stream_options"]["include_usage"], true);
  EXPECT_FALSE(c.contains("ignore_eos"));
  const json chat = json::parse(request_body(Endpoint::kChat, "m", "hello", 12, true));
  EXPECT_EQ(chat["messages"][0]["role"], "user");
  EXPECT_EQ(chat["messages"][0]["content"][0]["text"], "hello");
  EXPECT_EQ(chat["max_completion_tokens"], 12);
  EXPECT_EQ(chat["ignore_eos"], true);
  // Random-token prompts can hold invalid UTF-8: replaced, not thrown.
  EXPECT_NO_THROW(json::parse(request_body(Endpoint::kCompletions, "m", "a\xff", 1, false)));
  // --extra-body: merged over the request's own fields.
  const json extra = json::parse(request_body(Endpoint::kChat, "m", "hi", 5, false,
                                              json{{"temperature", 0.7}, {"response_format", {{"type", "json_object"}}}}));
  EXPECT_EQ(extra["temperature"], 0.7);
  EXPECT_EQ(extra["response_format"]["type"], "json_object");
  EXPECT_EQ(extra["max_completion_tokens"], 5);
  EXPECT_EQ(parse_endpoint("/v1/chat/completions"), Endpoint::kChat);
  EXPECT_THROW(parse_endpoint("embeddings"), Error);
}

TEST(BaseUrl, Parses) {
  HttpEndpoint e = parse_base_url("http://127.0.0.1:8000");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, "8000");
  EXPECT_EQ(e.path_prefix, "");
  e = parse_base_url("http://example.com/prefix/");
  EXPECT_EQ(e.host, "example.com");
  EXPECT_EQ(e.port, "80");
  EXPECT_EQ(e.path_prefix, "/prefix");
  e = parse_base_url("http://[::1]:9000");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, "9000");
  for (const char* bad : {"127.0.0.1:8000", "https://x:1", "http://:80", "http://x:99999", "http://x:abc"})
    EXPECT_THROW(parse_base_url(bad), Error) << bad;
}

}  // namespace
}  // namespace turbine::bench
