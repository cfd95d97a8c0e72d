// turbine: the command-line entry point. Each subcommand lives in its own file and registers
// itself here; user errors (turbine::Error) print one clear line and exit with status 1.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "cli/bench_command.h"
#include "cli/chat_template_command.h"
#include "cli/commands.h"
#include "cli/tokenize_commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries results (text, JSON lines) that other programs read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("turbine"));
  CLI::App app{"Turbine: a fast LLM inference engine for Hugging Face models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TURBINE_VERSION);
  turbine::cli::register_generate_command(app);
  turbine::cli::register_serve_command(app);
  turbine::cli::register_chat_template_command(app);
  turbine::cli::register_bench_command(app);
  turbine::register_tokenize_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const turbine::Error& e) {
    std::fprintf(stderr, "turbine: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "turbine: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
