#include "bench/datasets/text_corpus.h"

#include <fstream>
#include <sstream>

#include "common/error.h"

// Generated at build time from the corpus files (embed_text.cmake).
extern const unsigned char turbine_bench_corpus_data[];
extern const unsigned long turbine_bench_corpus_size;

namespace turbine::bench {

std::string_view builtin_corpus_text() {
  return {reinterpret_cast<const char*>(turbine_bench_corpus_data), turbine_bench_corpus_size};
}

std::vector<std::string> split_passages(std::string_view text) {
  std::vector<std::string> passages;
  std::string current;
  auto flush = [&] {
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) passages.push_back(current);
    current.clear();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "~~~" || line.find_first_not_of(" \t") == std::string_view::npos) {
      flush();
    } else {
      if (!current.empty()) current += '\n';
      current += line;
    }
    pos = end + 1;
  }
  flush();
  return passages;
}

std::string read_corpus_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("--corpus {}: cannot open the file", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find_first_not_of(" \t\r\n") == std::string::npos) fail("--corpus {}: the file has no text", path);
  return text.str();
}

}  // namespace turbine::bench
