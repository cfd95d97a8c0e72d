#include "tokenizer/chat_template/chat_template.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/parser.h"

namespace turbine {
namespace {

constexpr std::string_view kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                                  "pad_token", "cls_token", "mask_token"};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) fail("cannot open {}", path.string());
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

nlohmann::ordered_json parse_json_file(const std::filesystem::path& path) {
  try {
    return nlohmann::ordered_json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{} is not valid JSON: {}", path.string(), e.what());
  }
}

// A special token is a string or an AddedToken object {"content": "...", ...}.
std::optional<std::string> token_content(const nlohmann::ordered_json& token) {
  if (token.is_string()) return token.get<std::string>();
  if (token.is_object() && token.contains("content") && token["content"].is_string()) {
    return token["content"].get<std::string>();
  }
  return std::nullopt;
}

void set_template(ChatTemplateConfig& config, const std::string& name, std::string source) {
  for (auto& entry : config.templates) {
    if (entry.first == name) {
      entry.second = std::move(source);
      return;
    }
  }
  config.templates.emplace_back(name, std::move(source));
}

}  // namespace

ChatTemplate ChatTemplate::compile(std::string source) {
  auto program = std::make_shared<chat_template::Program>(chat_template::parse_template(source));
  return ChatTemplate(std::make_shared<const std::string>(std::move(source)), std::move(program));
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context) const {
  return chat_template::render_template(*program_, context);
}

ChatTemplateConfig ChatTemplateConfig::from_tokenizer_config(const nlohmann::ordered_json& tokenizer_config) {
  ChatTemplateConfig config;
  if (!tokenizer_config.is_object()) fail("tokenizer_config.json must hold a JSON object");
  if (const auto it = tokenizer_config.find("chat_template"); it != tokenizer_config.end() && !it->is_null()) {
    if (it->is_string()) {
      set_template(config, "default", it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& entry : *it) {
        if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
            !entry["name"].is_string() || !entry["template"].is_string()) {
          fail("tokenizer_config.json: each chat_template entry must be {{\"name\": ..., \"template\": ...}}");
        }
        set_template(config, entry["name"].get<std::string>(), entry["template"].get<std::string>());
      }
    } else {
      fail("tokenizer_config.json: chat_template must be a string or a list of named templates");
    }
  }
  for (std::string_view key : kSpecialTokenKeys) {
    const auto it = tokenizer_config.find(std::string(key));
    if (it == tokenizer_config.end()) continue;
    if (std::optional<std::string> content = token_content(*it)) config.special_tokens[std::string(key)] = *content;
  }
  if (const auto it = tokenizer_config.find("additional_special_tokens"); it != tokenizer_config.end() && it->is_array()) {
    nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
    for (const auto& token : *it) {
      if (std::optional<std::string> content = token_content(token)) tokens.push_back(*content);
    }
    config.special_tokens["additional_special_tokens"] = std::move(tokens);
  }
  return config;
}

ChatTemplateConfig ChatTemplateConfig::load(const std::filesystem::path& tokenizer_dir) {
  const std::filesystem::path config_path = tokenizer_dir / "tokenizer_config.json";
  if (!std::filesystem::exists(config_path)) fail("{} not found", config_path.string());
  ChatTemplateConfig config = from_tokenizer_config(parse_json_file(config_path));
  // A separate template file replaces the one in tokenizer_config.json, as in transformers.
  if (const auto jinja = tokenizer_dir / "chat_template.jinja"; std::filesystem::exists(jinja)) {
    set_template(config, "default", read_file(jinja));
  } else if (const auto legacy = tokenizer_dir / "chat_template.json"; std::filesystem::exists(legacy)) {
    const nlohmann::ordered_json json = parse_json_file(legacy);
    if (json.is_object() && json.contains("chat_template") && json["chat_template"].is_string()) {
      set_template(config, "default", json["chat_template"].get<std::string>());
    }
  }
  if (const auto extra = tokenizer_dir / "additional_chat_templates"; std::filesystem::is_directory(extra)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(extra)) {
      if (entry.path().extension() == ".jinja") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) set_template(config, file.stem().string(), read_file(file));
  }
  return config;
}

bool ChatTemplateConfig::has_template(std::string_view name) const {
  return std::any_of(templates.begin(), templates.end(), [name](const auto& entry) { return entry.first == name; });
}

const std::string& ChatTemplateConfig::select(std::string_view name, bool has_tools) const {
  std::string_view wanted = name;
  if (wanted.empty()) wanted = has_tools && has_template("tool_use") ? "tool_use" : "default";
  for (const auto& entry : templates) {
    if (entry.first == wanted) return entry.second;
  }
  if (templates.empty()) fail("this tokenizer has no chat template (tokenizer_config.json sets no chat_template)");
  std::string names;
  for (const auto& entry : templates) names += (names.empty() ? "" : ", ") + entry.first;
  fail("no chat template named '{}' (available: {})", wanted, names);
}

nlohmann::ordered_json ChatTemplateConfig::with_special_tokens(nlohmann::ordered_json context) const {
  if (!context.is_object()) fail("chat template context must be a JSON object");
  for (const auto& [key, value] : special_tokens.items()) {
    if (!context.contains(key)) context[key] = value;
  }
  return context;
}

}  // namespace turbine
