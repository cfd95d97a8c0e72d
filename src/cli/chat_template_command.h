// `turbine chat-template`: renders a model's chat template for contexts given as JSON lines.
//
//   turbine chat-template --tokenizer DIR --jsonl FILE [--template NAME]
//
// DIR holds tokenizer_config.json (see ChatTemplateConfig::load). Each non-blank line of FILE
// ("-" reads stdin) is one template context, e.g. {"messages": [...], "add_generation_prompt":
// true, "tools": [...]}; the tokenizer's special tokens (bos_token, eos_token, ...) are added
// unless the line sets them. Each line gives one line on stdout, in order: {"text": "..."} or
// {"error": "..."}; an error on one line does not stop the others. The template is the one
// named by --template, else "tool_use" for lines with tools when the tokenizer has one, else
// the default. A folder without any chat template is an error for the whole command.
#pragma once

namespace CLI {
class App;
}

namespace turbine::cli {

void register_chat_template_command(CLI::App& app);

}  // namespace turbine::cli
