// turbine: the command-line entry point. Each subcommand lives in its own file and registers
// itself here; user errors (turbine::Error) print one clear line and exit with status 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Turbine: a fast LLM inference engine for Hugging Face models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TURBINE_VERSION);
  turbine::cli::register_generate_command(app);
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
