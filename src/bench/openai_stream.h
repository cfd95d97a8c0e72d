// The OpenAI streaming API as vLLM's benchmark client speaks it: the request bodies it sends to
// /v1/completions and /v1/chat/completions, and the reading of the chunks that come back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench/request_result.h"
#include "bench/response_observer.h"

namespace turbine::bench {

enum class Endpoint { kCompletions, kChat };

// "completions" or "chat" (or vLLM's paths "/v1/completions", "/v1/chat/completions").
Endpoint parse_endpoint(std::string_view text);
std::string_view endpoint_name(Endpoint endpoint);     // "completions", "chat"
std::string_view endpoint_path(Endpoint endpoint);     // "/v1/completions", ...
std::string_view endpoint_backend(Endpoint endpoint);  // vLLM's backend name: "openai", "openai-chat"

// vLLM's payload: greedy (temperature 0), max_tokens (chat: max_completion_tokens), streamed with
// stream_options.include_usage so the last chunk carries the token counts; ignore_eos if asked;
// then every field of `extra_body` (an object) over those.
std::string request_body(Endpoint endpoint, const std::string& model, const std::string& prompt, int max_tokens,
                         bool ignore_eos, const nlohmann::json& extra_body = nlohmann::json());

// Turns one request's event stream into a RequestResult, with vLLM's definitions:
//  - TTFT: from the start to the first chunk whose choice carries text (completions "text",
//    chat "delta.content"); the chat role chunk and empty finishing chunks are not content. (A
//    stream whose choices never carry text, e.g. one EOS token, gets the first choice chunk.)
//  - ITL: the gaps between consecutive content chunks.
//  - E2E latency: from the start to the last JSON chunk (the usage chunk, when asked for).
//  - Output tokens: usage.completion_tokens of the server.
//  - Success: a 200 stream with at least one choice chunk and no error event.
class StreamRecorder : public ResponseObserver {
 public:
  StreamRecorder(Endpoint endpoint, int prompt_len) : endpoint_(endpoint) { result_.prompt_len = prompt_len; }

  void on_start(double t) override;
  void on_event(std::string_view data, double t) override;
  void on_complete(double t) override;
  void on_failure(std::string error, double t) override;

  bool finished() const { return finished_; }
  const RequestResult& result() const { return result_; }
  RequestResult& result() { return result_; }

 private:
  void fail(std::string error, double t);

  Endpoint endpoint_;
  RequestResult result_;
  bool finished_ = false;
  bool failed_ = false;
  bool saw_content_ = false;
  std::optional<double> first_choice_time_;
  double last_content_time_ = 0;
  std::optional<double> last_chunk_time_;
};

}  // namespace turbine::bench
