#include "cli/chat_template_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "tokenizer/chat_template/chat_template.h"

namespace turbine::cli {
namespace {

struct ChatTemplateOptions {
  std::string tokenizer_dir;
  std::string jsonl_path;
  std::string template_name;
};

void write_line(const nlohmann::ordered_json& value) {
  // `replace` keeps the output valid JSON even if a template produced invalid UTF-8.
  const std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

// Compiles each template the first time a line needs it, remembering compile errors too.
class TemplateCache {
 public:
  explicit TemplateCache(const ChatTemplateConfig& config) : config_(config) {}

  const ChatTemplate& get(const std::string& name, bool has_tools) {
    const std::string& source = config_.select(name, has_tools);
    auto it = compiled_.find(&source);
    if (it == compiled_.end()) {
      Entry entry;
      try {
        entry.compiled = ChatTemplate::compile(source);
      } catch (const Error& e) {
        entry.error = e.what();
      }
      it = compiled_.emplace(&source, std::move(entry)).first;
    }
    if (!it->second.compiled) throw Error(it->second.error);
    return *it->second.compiled;
  }

 private:
  struct Entry {
    std::optional<ChatTemplate> compiled;
    std::string error;
  };
  const ChatTemplateConfig& config_;
  std::map<const std::string*, Entry> compiled_;
};

std::string render_line(const std::string& line, const ChatTemplateConfig& config, TemplateCache& cache,
                        const std::string& template_name) {
  nlohmann::ordered_json context;
  try {
    context = nlohmann::ordered_json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    fail("not valid JSON: {}", e.what());
  }
  if (!context.is_object()) fail("a context line must be a JSON object");
  const bool has_tools = context.contains("tools") && !context["tools"].is_null();
  const ChatTemplate& tmpl = cache.get(template_name, has_tools);
  return tmpl.render(config.with_special_tokens(std::move(context)));
}

void run_chat_template(const ChatTemplateOptions& options) {
  const ChatTemplateConfig config = ChatTemplateConfig::load(options.tokenizer_dir);
  if (config.templates.empty()) {
    fail("{} has no chat template (tokenizer_config.json sets no chat_template)", options.tokenizer_dir);
  }
  TemplateCache cache(config);
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.jsonl_path != "-") {
    file.open(options.jsonl_path, std::ios::binary);
    if (!file) fail("cannot open {}", options.jsonl_path);
    in = &file;
  }
  std::string line;
  while (std::getline(*in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::ordered_json result;
    try {
      result["text"] = render_line(line, config, cache, options.template_name);
    } catch (const Error& e) {
      result["error"] = e.what();
    }
    write_line(result);
  }
  if (in->bad()) fail("error while reading {}", options.jsonl_path);
  std::fflush(stdout);
}

}  // namespace

void register_chat_template_command(CLI::App& app) {
  auto options = std::make_shared<ChatTemplateOptions>();
  CLI::App* command = app.add_subcommand(
      "chat-template", "Render the model's chat template for JSON-lines contexts ({\"text\"} or {\"error\"} per line)");
  command->add_option("--tokenizer", options->tokenizer_dir, "Model folder holding tokenizer_config.json")->required();
  command->add_option("--jsonl", options->jsonl_path, "File of template contexts, one JSON object per line ('-': stdin)")
      ->required();
  command->add_option("--template", options->template_name, "Named template to use (e.g. tool_use)");
  command->callback([options] { run_chat_template(*options); });
}

}  // namespace turbine::cli
