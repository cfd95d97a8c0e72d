// turbine serve: the OpenAI-compatible HTTP server over one model.
//
// Start-up loads the tokenizer, chat template and weights (each step logged with its time), sizes
// the KV cache (the engine logs its capacity), then listens; the line "listening on
// http://HOST:PORT" tells scripts the server is ready (and which port --port 0 picked).
//
// SIGINT/SIGTERM: stop accepting, answer new requests with 503, let the running ones finish for
// up to --shutdown-timeout seconds, abort the rest, exit 0. A second signal skips the wait.
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "model/model.h"
#include "server/chat_prompt_renderer.h"
#include "server/http_server.h"
#include "server/openai_api.h"
#include "server/task_queue.h"
#include "structured/grammar_compiler.h"
#include "tokenizer/chat_template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct ServeArgs {
  std::string model_dir;
  bool enable_auto_tool_choice = false;
  std::string tool_call_parser;
  std::string reasoning_parser;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::vector<std::string> served_model_names;
  std::optional<std::string> api_key;
  std::optional<std::string> chat_template;
  std::string scheduling_policy = "fcfs";
  int max_waiting = 1024;
  std::string max_request_body = "32MiB";
  int io_threads = 2;
  int request_workers = 2;
  double shutdown_timeout = 30;
  bool no_access_log = false;
  std::vector<std::string> allowed_origins;  // none: no cross-origin browser access
  std::vector<std::string> allowed_methods{"*"};
  std::vector<std::string> allowed_headers{"*"};
  int max_connections = 0;  // 0: from the descriptor limit
  int idle_timeout = 120;
  int header_timeout = 120;
  int body_timeout = 120;
  EngineFlags engine;
};

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{} {}: cannot open the file", what, path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The chat templates of the model folder; none when tokenizer_config.json is missing.
ChatTemplateConfig load_chat_config(const std::string& model_dir) {
  if (!fs::exists(fs::path(model_dir) / "tokenizer_config.json")) return {};
  return ChatTemplateConfig::load(model_dir);
}

// Blocks SIGINT and SIGTERM in this thread and every thread it creates later, so that they are
// only ever taken by wait_for_signal().
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Waits for a signal of `set` for at most `timeout` (forever when unset); true if one came.
bool wait_for_signal(const sigset_t& set, std::optional<std::chrono::milliseconds> timeout) {
  while (true) {
    int signal_number = 0;
    if (!timeout) {
      if (sigwait(&set, &signal_number) == 0) {
        spdlog::info("received {}", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
        return true;
      }
      continue;
    }
    timespec ts{};
    ts.tv_sec = time_t(timeout->count() / 1000);
    ts.tv_nsec = long(timeout->count() % 1000) * 1000000L;
    const int result = sigtimedwait(&set, nullptr, &ts);
    if (result > 0) return true;
    if (errno == EAGAIN) return false;  // timed out (EINTR: try again)
  }
}

void run_serve(ServeArgs args) {
  const sigset_t signals = block_shutdown_signals();  // before any thread exists
  if (args.model_dir.empty()) {  // the bundled demo model, served under its short name
    args.model_dir = default_model_dir();
    if (args.served_model_names.empty()) args.served_model_names = {kDefaultModelName};
  }
  const std::string device = args.engine.resolved_device();
  if (args.max_waiting < 0) fail("--max-waiting must be >= 0, got {}", args.max_waiting);
  if (args.port < 0 || args.port > 65535) fail("--port must be in [0, 65535], got {}", args.port);
  if (args.shutdown_timeout < 0) fail("--shutdown-timeout must be >= 0, got {}", args.shutdown_timeout);
  if (!args.api_key) {
    if (const char* env = std::getenv("TURBINE_API_KEY"); env && *env) args.api_key = env;
  }
  if (args.api_key && args.api_key->empty()) fail("--api-key must not be empty");
  if (args.max_connections < 0) fail("--max-connections must be >= 0, got {}", args.max_connections);
  for (const auto& [flag, seconds] : {std::pair{"--idle-timeout", args.idle_timeout},
                                      std::pair{"--header-timeout", args.header_timeout},
                                      std::pair{"--body-timeout", args.body_timeout}})
    if (seconds <= 0) fail("{} must be > 0 seconds, got {}", flag, seconds);

  const Clock::time_point start = Clock::now();
  spdlog::info("[1/4] loading the tokenizer and chat template from {}", args.model_dir);
  if (!fs::exists(fs::path(args.model_dir) / "tokenizer.json"))
    fail("{}: the server needs tokenizer.json in the model folder", args.model_dir);
  Tokenizer tokenizer = Tokenizer::from_dir(args.model_dir);
  std::optional<std::string> template_override;
  if (args.chat_template) template_override = read_text_file(*args.chat_template, "--chat-template");
  auto chat = std::make_shared<const server::ChatPromptRenderer>(load_chat_config(args.model_dir), template_override);
  if (!chat->has_template())
    spdlog::warn("the model has no chat template: /v1/chat/completions will answer 400 (give --chat-template FILE)");

  const Clock::time_point weights_start = Clock::now();
  if (device == "cpu") {
    spdlog::info("[2/4] loading the weights on the cpu ({} threads)",
                 args.engine.threads > 0 ? std::to_string(args.engine.threads) : std::string("all cores'"));
  } else {
    spdlog::info("[2/4] loading the weights on {} device {}", device, args.engine.cuda_device);
  }
  std::unique_ptr<Backend> backend = args.engine.make_backend();
  std::unique_ptr<Model> model = load_model(args.model_dir, *backend);
  spdlog::info("      weights ready in {:.2f} s", since(weights_start));

  spdlog::info("[3/4] sizing the KV cache and starting the engine");
  EngineOptions engine_options = args.engine.to_options();
  // Structured output: the vocabulary as bytes (once per model) and the grammar cache that the
  // API threads compile into and the runner reads from.
  const auto vocab_start = Clock::now();
  auto grammars = std::make_shared<structured::GrammarCompiler>(std::make_shared<structured::TokenVocabulary>(
      structured::TokenVocabulary::from_tokenizer(tokenizer, model->config().eos_token_ids,
                                                  int32_t(model->config().vocab_size))));
  spdlog::info("      structured output: {} token byte strings indexed in {:.2f} s",
               grammars->vocabulary().num_ids_with_bytes(), since(vocab_start));
  engine_options.grammars = grammars;
  if (args.scheduling_policy == "priority") {
    engine_options.policy = SchedulingPolicy::kPriority;
  } else if (args.scheduling_policy != "fcfs") {
    fail("--scheduling-policy must be fcfs or priority, got '{}'", args.scheduling_policy);
  }
  auto engine = std::make_unique<LlmEngine>(*model, *backend, engine_options);
  const KvCapacity& capacity = engine->capacity();
  spdlog::info("      KV cache capacity: {} tokens ({} blocks of {}), {:.1f} MiB; context length {}",
               capacity.tokens(), capacity.num_blocks, capacity.block_size, double(capacity.bytes) / 1048576.0,
               engine->max_model_len());

  const server::ServedModel served{
      .names = args.served_model_names.empty() ? std::vector<std::string>{args.model_dir} : args.served_model_names,
      .root = args.model_dir,
      .tokenizer = tokenizer,
      .chat = chat,
      .max_model_len = engine->max_model_len(),
      .vocab_size = model->config().vocab_size,
      .max_num_seqs = engine_options.max_num_seqs,
      .eos_token_ids = model->config().eos_token_ids,
      .priority_scheduling = engine_options.policy == SchedulingPolicy::kPriority,
      .grammars = grammars,
      .enable_auto_tool_choice = args.enable_auto_tool_choice,
      .tool_call_parser = args.tool_call_parser,
      .reasoning_parser = args.reasoning_parser,
  };

  server::ServerMetrics metrics;
  server::RequestTracker tracker(engine_options.max_num_seqs + args.max_waiting);
  const server::AccessLog access_log(!args.no_access_log);
  const server::GenerationServices services{*engine, served, metrics, tracker, access_log};
  auto workers = std::make_unique<server::TaskQueue>(args.request_workers);
  server::OpenAiApi api(services, server::ApiOptions{args.api_key, TURBINE_VERSION}, *workers);

  spdlog::info("[4/4] starting the HTTP server");
  server::HttpServerOptions http_options;
  http_options.host = args.host;
  http_options.port = args.port;
  http_options.io_threads = args.io_threads;
  http_options.body_limit = size_t(parse_memory_size(args.max_request_body));
  http_options.idle_timeout = std::chrono::seconds(args.idle_timeout);
  http_options.header_timeout = std::chrono::seconds(args.header_timeout);
  http_options.body_timeout = std::chrono::seconds(args.body_timeout);
  http_options.max_connections = args.max_connections > 0 ? size_t(args.max_connections)
                                                          : server::default_max_connections();
  http_options.access_log = !args.no_access_log;
  http_options.policy = server::OpenAiApi::request_policy(
      args.api_key, server::CorsOptions{args.allowed_origins, args.allowed_methods, args.allowed_headers});
  auto http = std::make_unique<server::HttpServer>(http_options, api);
  http->start();
  spdlog::info("serving '{}' ({} requests in the queue at most{}), ready in {:.2f} s", served.name(),
               args.max_waiting, args.api_key ? ", API key required" : "", since(start));
  spdlog::info("at most {} connections; CORS origins allowed: {}", http_options.max_connections,
               args.allowed_origins.empty() ? std::string("none") : fmt::format("{}", fmt::join(args.allowed_origins, ",")));
  spdlog::info("listening on http://{}:{}", args.host, http->port());

  wait_for_signal(signals, std::nullopt);
  spdlog::info("shutting down: no new requests; waiting up to {:.0f} s for {} running", args.shutdown_timeout,
               tracker.active_requests());
  tracker.begin_shutdown();
  http->stop_accepting();
  const Clock::time_point deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(args.shutdown_timeout));
  bool idle = false;
  while (!(idle = tracker.wait_idle(std::chrono::milliseconds(100))) && Clock::now() < deadline) {
    if (wait_for_signal(signals, std::chrono::milliseconds(1))) {
      spdlog::info("second signal: not waiting any longer");
      break;
    }
  }
  if (!idle) {
    spdlog::warn("aborting {} requests still running", tracker.active_requests());
    tracker.abort_all();
    tracker.wait_idle(std::chrono::seconds(2));  // let the aborts reach their clients
  }
  // Order matters: the I/O threads stop first; then the engine (its last outputs post into the
  // stopped I/O context, which must still exist); then the server object and the rest.
  http->stop();
  engine.reset();
  http.reset();
  workers.reset();
  spdlog::info("stopped");
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  cmd->add_option("--model", args->model_dir, "Hugging Face model folder (default: the bundled demo model)");
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: any free port, printed at start-up)")
      ->capture_default_str();
  cmd->add_option("--served-model-name", args->served_model_names,
                  "Name(s) clients use for the model (default: the --model path); the first is reported");
  cmd->add_option("--api-key", args->api_key,
                  "Require \"Authorization: Bearer KEY\" on every route but /health, /version and /metrics "
                  "(default: $TURBINE_API_KEY, else none)");
  cmd->add_option("--chat-template", args->chat_template, "Jinja chat template file replacing the model's");
  cmd->add_option("--scheduling-policy", args->scheduling_policy,
                  "fcfs, or priority (requests' \"priority\" field, lower first)")
      ->capture_default_str();
  cmd->add_option("--max-waiting", args->max_waiting,
                  "Sequences that may wait beyond --max-num-seqs running; more get 503")
      ->capture_default_str();
  cmd->add_option("--max-request-body", args->max_request_body, "Largest request body; larger ones get 413")
      ->capture_default_str();
  cmd->add_option("--io-threads", args->io_threads, "Threads running the HTTP connections")->capture_default_str();
  cmd->add_option("--request-workers", args->request_workers,
                  "Threads that parse, template and tokenize requests")
      ->capture_default_str();
  cmd->add_option("--shutdown-timeout", args->shutdown_timeout,
                  "Seconds running requests get to finish after SIGINT/SIGTERM")
      ->capture_default_str();
  cmd->add_flag("--no-access-log", args->no_access_log, "Do not log a line per request");
  cmd->add_flag("--enable-auto-tool-choice", args->enable_auto_tool_choice,
                "Let tool_choice \"auto\" parse tool calls out of the output (needs --tool-call-parser)");
  cmd->add_option("--tool-call-parser", args->tool_call_parser,
                  "How tool calls are written in this model's output: hermes, llama3_json, mistral, qwen3_coder, "
                  "deepseek_v3");
  cmd->add_option("--reasoning-parser", args->reasoning_parser,
                  "Put the model's thinking into reasoning_content: deepseek_r1, qwen3");
  cmd->add_option("--allowed-origins", args->allowed_origins,
                  "Origins browsers may call from (CORS; comma list or repeated; * for any; default: none)")
      ->delimiter(',');
  cmd->add_option("--allowed-methods", args->allowed_methods, "Methods CORS preflights may ask for (* for any)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--allowed-headers", args->allowed_headers, "Headers CORS preflights may ask for (* for any)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--max-connections", args->max_connections,
                  "Open connections at most; more get a fast 503 (default: the descriptor limit less headroom)");
  cmd->add_option("--idle-timeout", args->idle_timeout, "Seconds a connection may wait for its next request")
      ->capture_default_str();
  cmd->add_option("--header-timeout", args->header_timeout,
                  "Seconds from a request's first byte to the end of its header")
      ->capture_default_str();
  cmd->add_option("--body-timeout", args->body_timeout, "Seconds to read a request's body")->capture_default_str();
  add_engine_flags(*cmd, args->engine);
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace turbine::cli
