// GenerationJob: one completions or chat request, from submission to its last byte.
//
// Threads and hand-offs:
//  - start() runs on a request worker: admits the request (RequestTracker, 503 when full),
//    submits one engine Request per prompt (with a DetokenizingStopMatcher when there are stop
//    strings) - or, with beam search, starts one BeamSearchRun per prompt, whose result arrives
//    as one output per beam, like a request's last output - and, for a stream, sends the
//    response head.
//  - The engine thread calls the sink with each output delta; the sink only queues it (with its
//    arrival time, for the latency metrics) and, if no drain is under way, posts one to the I/O
//    pool. It never detokenizes or formats.
//  - A drain (on an I/O thread; never two at once for one job) applies the queued deltas:
//    detokenizes them (GeneratedTextStream), gathers logprobs, records metrics, and for a stream
//    writes one SSE chunk per changed choice. While that write is in flight new deltas queue up;
//    the next drain turns them all into one chunk per choice. So a slow client gets fewer,
//    larger chunks, and what waits for it is bounded by the tokens it has not yet received.
//  - Once every choice has finished: the whole response (non-stream), or the usage chunk and
//    [DONE] (stream); once those bytes are out (or the client is gone), finish() releases the
//    tracker's reservation and writes the access log. Shutdown waits on the tracker, so a
//    finished response is never cut off.
//  - A client that goes away (the exchange's disconnect handler, or a failed write) aborts the
//    job's engine requests at once: the engine drops them at its next step and frees their KV
//    blocks. The job still drains the abort deltas, so metrics and the tracker stay exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/loop/llm_engine.h"
#include "server/access_log.h"
#include "server/beam_search_run.h"
#include "server/chat_output_shaper.h"
#include "server/generated_text_stream.h"
#include "server/generation_plan.h"
#include "server/http_exchange.h"
#include "server/logprobs_builder.h"
#include "server/metrics.h"
#include "server/request_tracker.h"
#include "server/served_model.h"

namespace turbine::server {

// What jobs share: the engine and the server-wide state around it.
struct GenerationServices {
  LlmEngine& engine;
  const ServedModel& model;
  ServerMetrics& metrics;
  RequestTracker& tracker;
  const AccessLog& access_log;
};

class GenerationJob : public std::enable_shared_from_this<GenerationJob> {
 public:
  using Clock = std::chrono::steady_clock;

  // `request` supplies the access log's method, path and client; `arrival` is when it was read.
  GenerationJob(GenerationPlan plan, const GenerationServices& services, std::shared_ptr<HttpExchange> exchange,
                const HttpRequest& request, Clock::time_point arrival);

  // Admits and submits the job; on failure throws ApiError with nothing left in the engine.
  void start();

 private:
  struct Delta {
    size_t prompt = 0;
    RequestOutput output;
    Clock::time_point at;
  };
  struct PromptState {
    std::string engine_id;
    std::shared_ptr<const TextStreamConfig> text_config;
    size_t num_prompt_tokens = 0;
    int min_tokens = 0;
    // echo with logprobs: the prompt's logprobs, which come with the request's first output.
    std::vector<PromptTokenLogprobInfo> prompt_logprobs;
    bool first_token_seen = false;
    int samples_left = 0;
    std::shared_ptr<BeamSearchRun> beam_search;  // use_beam_search: the prompt's search
  };
  struct Choice {
    explicit Choice(std::shared_ptr<const TextStreamConfig> config, LogprobsBuilder lp)
        : text(std::move(config)), logprobs(std::move(lp)) {}
    GeneratedTextStream text;
    LogprobsBuilder logprobs;
    std::string pending_text;  // not yet sent (stream) / the whole text (non-stream)
    bool role_sent = false;    // chat stream: the first delta carries the role
    bool echo_pending = false; // echo with logprobs: the prompt goes out with its logprobs
    bool chat_echo_pending = false;  // chat stream: the echoed message goes out after the role
    int num_tokens = 0;
    int num_tokens_sent = 0;   // stream: tokens whose text and logprobs went out in chunks
    std::optional<Clock::time_point> last_token_at;
    std::optional<RequestFinishReason> finish_reason;
    Json stop_reason = nullptr;
    bool finish_sent = false;
    // Chat with tools or a reasoning parser: what turns the text into reasoning, content and
    // tool calls (null: the text is the content).
    std::shared_ptr<ChatOutputShaper> shaper;
  };

  void on_engine_output(size_t prompt, const RequestOutput& output);  // engine thread
  void drain();                                                       // I/O thread
  void apply(const Delta& delta);
  void append_tokens(Choice& choice, const PromptState& prompt, const RequestOutput& output);
  void append_echo(Choice& choice, size_t prompt_index);
  void finish_choice(Choice& choice, PromptState& prompt, RequestFinishReason reason,
                     std::optional<int32_t> stop_token_id, Clock::time_point at);
  std::string build_stream_chunks(bool all_finished);
  static Json shaped_finish_reason(const Choice& c);
  void send_whole_response();
  void write(std::string data);
  void on_write_done(bool ok);
  void on_client_gone();
  void abort_engine_requests();
  void abort_prompt(const PromptState& prompt);
  // The beam search of prompt `index` (its result goes to on_engine_output like a request's).
  std::shared_ptr<BeamSearchRun> make_beam_search(size_t index, const PlannedPrompt& planned,
                                                  const std::string& engine_id);
  void finish();
  bool all_finished() const;
  int64_t prompt_token_total() const;
  int64_t completion_token_total() const;

  const GenerationPlan plan_;
  const GenerationServices services_;
  const std::shared_ptr<HttpExchange> exchange_;
  const std::string method_, path_, client_;
  const Clock::time_point arrival_;

  // Shared with the engine thread and the disconnect handler.
  std::mutex mutex_;
  std::vector<Delta> queued_;
  bool started_ = false;    // submissions done: drains may run
  bool busy_ = false;       // a drain is posted or running, or a write is in flight
  bool client_gone_ = false;

  // Drain state (one drain at a time, so no lock).
  std::vector<PromptState> prompts_;
  std::vector<Choice> choices_;
  std::optional<uint64_t> ticket_;
  std::optional<double> ttft_seconds_;
  std::string engine_error_;
  bool stream_done_ = false;    // [DONE] built
  bool response_sent_ = false;  // the last of the response is queued (or the client is gone)
};

}  // namespace turbine::server
