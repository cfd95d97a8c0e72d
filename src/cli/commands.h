// Subcommand registration: each adds its options and a callback that runs the command (errors
// are thrown as turbine::Error and reported by main).
#pragma once

namespace CLI {
class App;
}

namespace turbine::cli {

void register_generate_command(CLI::App& app);
void register_serve_command(CLI::App& app);

}  // namespace turbine::cli
