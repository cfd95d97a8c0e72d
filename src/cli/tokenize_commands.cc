#include "cli/tokenize_commands.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "common/error.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace turbine {
namespace {

struct TokenizeOptions {
  std::string tokenizer_path;
  std::string text;
  std::string jsonl_path;
  bool no_special = false;
  bool skip_special = false;
  bool stream = false;
};

Tokenizer load_tokenizer(const std::string& path) {
  if (std::filesystem::is_directory(path)) return Tokenizer::from_dir(path);
  return Tokenizer::from_file(path);
}

void write_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string line = "{\"ids\": [";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line.append(", ");
    line.append(fmt::format("{}", ids[i]));
  }
  line.append("]}");
  return line;
}

// Calls handle(line, line_number) for each non-blank line of `path` ("-" is stdin).
void for_each_jsonl_line(const std::string& path,
                         const std::function<void(const std::string&, size_t)>& handle) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) fail("cannot open {}", path);
    in = &file;
  }
  std::string line;
  size_t line_number = 0;
  while (std::getline(*in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    handle(line, line_number);
  }
  if (in->bad()) fail("error while reading {}", path);
}

nlohmann::json parse_line(const std::string& line, const std::string& path, size_t line_number) {
  try {
    nlohmann::json value = nlohmann::json::parse(line);
    if (!value.is_object()) fail("{}:{}: expected a JSON object", path, line_number);
    return value;
  } catch (const nlohmann::json::exception& e) {
    fail("{}:{}: not valid JSON: {}", path, line_number, e.what());
  }
}

void run_tokenize(const TokenizeOptions& options) {
  const Tokenizer tokenizer = load_tokenizer(options.tokenizer_path);
  const bool add_special = !options.no_special;
  if (options.jsonl_path.empty()) {
    write_line(ids_line(tokenizer.encode(options.text, add_special)));
    return;
  }
  for_each_jsonl_line(options.jsonl_path, [&](const std::string& line, size_t line_number) {
    const nlohmann::json value = parse_line(line, options.jsonl_path, line_number);
    const auto text = value.find("text");
    if (text == value.end() || !text->is_string()) {
      fail("{}:{}: expected {{\"text\": \"...\"}}", options.jsonl_path, line_number);
    }
    write_line(ids_line(tokenizer.encode(text->get_ref<const std::string&>(), add_special)));
  });
}

// One piece per id: what the incremental detokenizer releases after each id, the last one
// also carrying the end-of-stream flush.
std::vector<std::string> stream_pieces(const Tokenizer& tokenizer, const std::vector<int32_t>& ids,
                                       bool skip_special) {
  IncrementalDetokenizer detokenizer(tokenizer, skip_special);
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (const int32_t id : ids) pieces.push_back(detokenizer.push(id));
  std::string tail = detokenizer.finish();
  if (!pieces.empty()) pieces.back().append(tail);
  return pieces;
}

void run_detokenize(const TokenizeOptions& options) {
  const Tokenizer tokenizer = load_tokenizer(options.tokenizer_path);
  for_each_jsonl_line(options.jsonl_path, [&](const std::string& line, size_t line_number) {
    const nlohmann::json value = parse_line(line, options.jsonl_path, line_number);
    const auto ids_json = value.find("ids");
    if (ids_json == value.end() || !ids_json->is_array()) {
      fail("{}:{}: expected {{\"ids\": [...]}}", options.jsonl_path, line_number);
    }
    std::vector<int32_t> ids;
    ids.reserve(ids_json->size());
    for (const auto& id : *ids_json) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        fail("{}:{}: ids must be non-negative integers, got {}", options.jsonl_path, line_number,
             id.dump());
      }
      ids.push_back(id.get<int32_t>());
    }
    nlohmann::json out;
    try {
      if (options.stream) {
        out["pieces"] = stream_pieces(tokenizer, ids, options.skip_special);
      } else {
        out["text"] = tokenizer.decode(ids, options.skip_special);
      }
    } catch (const Error& e) {
      fail("{}:{}: {}", options.jsonl_path, line_number, e.what());
    }
    write_line(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  });
}

// Runs a command body; on an error, the lines already written are flushed before main reports
// it, so the output stays in order.
void run_flushing_output(const std::function<void()>& body) {
  try {
    body();
  } catch (...) {
    std::fflush(stdout);
    throw;
  }
  std::fflush(stdout);
}

}  // namespace

void register_tokenize_commands(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();

  CLI::App* tokenize = app.add_subcommand("tokenize", "Encode text to token ids (JSON lines)");
  tokenize->add_option("--tokenizer", options->tokenizer_path,
                       "Model folder with tokenizer.json, or the tokenizer.json file")
      ->required();
  auto* text = tokenize->add_option("--text", options->text, "Text to encode");
  auto* jsonl = tokenize->add_option("--jsonl", options->jsonl_path,
                                     "JSON lines {\"text\": ...} to encode ('-' for stdin)");
  text->excludes(jsonl);
  tokenize->add_flag("--no-special", options->no_special,
                     "Do not add the post-processor's special tokens");
  tokenize->callback([options, text, jsonl] {
    if (text->count() == 0 && jsonl->count() == 0) fail("tokenize: give --text or --jsonl");
    run_flushing_output([&] { run_tokenize(*options); });
  });

  CLI::App* detokenize =
      app.add_subcommand("detokenize", "Decode token ids to text (JSON lines)");
  detokenize->add_option("--tokenizer", options->tokenizer_path,
                         "Model folder with tokenizer.json, or the tokenizer.json file")
      ->required();
  detokenize->add_option("--jsonl", options->jsonl_path,
                         "JSON lines {\"ids\": [...]} to decode ('-' for stdin)")
      ->required();
  detokenize->add_flag("--skip-special", options->skip_special, "Leave special tokens out");
  detokenize->add_flag("--stream", options->stream,
                       "Decode incrementally: {\"pieces\": [...]}, one piece per id");
  detokenize->callback(
      [options] { run_flushing_output([&] { run_detokenize(*options); }); });
}

}  // namespace turbine
