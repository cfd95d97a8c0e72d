// `turbine tokenize` and `turbine detokenize`: the tokenizer engine on the command line.
//
//   turbine tokenize --tokenizer DIR (--text T | --jsonl FILE) [--no-special]
//     each JSONL line {"text": "..."} gives a line {"ids": [...]} on stdout, in order; --text
//     gives one such line. Special tokens are added as the post-processor says unless
//     --no-special (Hugging Face's add_special_tokens=False).
//   turbine detokenize --tokenizer DIR --jsonl FILE [--skip-special] [--stream]
//     each line {"ids": [...]} gives {"text": "..."}; special tokens are kept unless
//     --skip-special. With --stream the line is {"pieces": [...]}: one piece per id, the text the
//     incremental detokenizer released after it (the last piece includes the final flush).
// DIR is a model folder holding tokenizer.json, or the tokenizer.json file itself; FILE "-"
// reads stdin. Blank lines are skipped. A malformed line stops the command with an error that
// names its line number and a non-zero exit status.
#pragma once

#include <CLI/CLI.hpp>

namespace turbine {

void register_tokenize_commands(CLI::App& app);

}  // namespace turbine
