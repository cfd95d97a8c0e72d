// GeneratedTextStream: one sample's output tokens to the text the client sees.
//
// Detokenizes incrementally (never releasing half a UTF-8 character), applies the stop strings
// (StopStringScanner: the match and what follows are cut, text that may begin a stop string is
// held back) and releases the rest. Both sides of a request run one on the same tokens: the
// engine inside DetokenizingStopMatcher, to finish the request with "stop"; the server, to build
// the text it returns. Same code, same pieces, so they agree on where the text stops.
//
// Tokens that finished the request as a stop token or EOS are pushed with visible = false: they
// count but add no text (vLLM leaves them out of the text too). A token id the tokenizer does not
// know (a model vocabulary padded past the tokenizer's) adds no text either.
//
// Not thread-safe: one per sample, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/stop_string_scanner.h"
#include "tokenizer/incremental_detokenizer.h"
#include "tokenizer/tokenizer.h"

namespace turbine::server {

// What every sample of one prompt shares; immutable once built.
struct TextStreamConfig {
  TextStreamConfig(Tokenizer tokenizer, bool skip_special_tokens, std::span<const int32_t> prompt_ids,
                   std::vector<std::string> stop_strings, bool include_stop_str_in_output);

  Tokenizer tokenizer;
  bool skip_special_tokens = true;
  std::vector<int32_t> context;  // the prompt's last few ids the tokenizer knows
  std::vector<std::string> stop_strings;
  bool include_stop_str_in_output = false;
};

class GeneratedTextStream {
 public:
  explicit GeneratedTextStream(std::shared_ptr<const TextStreamConfig> config);

  // Feeds the next output token. `may_stop`: min_tokens is reached with this token. Returns the
  // text released now (often empty); nothing once stopped.
  std::string push(int32_t token, bool may_stop, bool visible = true);
  // The end of the sample: the text still held back (incomplete characters as U+FFFD, like
  // decode()), cut at a stop string if one completes in it.
  std::string finish(bool may_stop);

  bool stopped() const { return scanner_.stopped(); }
  const std::optional<std::string>& matched_stop() const { return scanner_.matched(); }
  const std::shared_ptr<const TextStreamConfig>& config() const { return config_; }

 private:
  std::shared_ptr<const TextStreamConfig> config_;
  IncrementalDetokenizer detokenizer_;
  StopStringScanner scanner_;
  bool finished_ = false;
};

}  // namespace turbine::server
