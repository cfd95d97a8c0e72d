// The text the sharegpt-like dataset cuts its prompts from: by default the English, long-form and
// code samples of the tokenizer parity corpus (tests/tokenizer/corpus/handwritten/{en,
// long_form,code}.txt), compiled into the binary so that `turbine bench` works anywhere without
// network or data files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace turbine::bench {

std::string_view builtin_corpus_text();

// The text split into passages: at lines of "~~~" (the corpus's sample separator) and blank
// lines; each passage keeps its inner line breaks, blank ones are dropped.
std::vector<std::string> split_passages(std::string_view text);

// A UTF-8 text file's contents; throws turbine::Error naming the file.
std::string read_corpus_file(const std::string& path);

}  // namespace turbine::bench
