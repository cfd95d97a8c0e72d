// ThinkTagReasoningParser: reasoning delimited by <think> ... </think>, the machine behind
// deepseek_r1 and qwen3 (reasoning_parser.h says how each configures it).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/reasoning/reasoning_parser.h"

namespace turbine::server {

class ThinkTagReasoningParser final : public ReasoningParser {
 public:
  struct Options {
    // The output starts in reasoning; false: there is no reasoning, all of it is content.
    bool starts_in_reasoning = true;
    // A <tool_call> also ends the reasoning (and is kept, as content).
    bool tool_call_ends_reasoning = false;
  };

  explicit ThinkTagReasoningParser(Options options) : options_(options), in_reasoning_(options.starts_in_reasoning) {}

  ReasoningDelta feed(std::string_view text_delta) override;
  ReasoningDelta finish() override;
  Result parse(std::string_view output) override;
  bool in_reasoning() const override { return in_reasoning_; }

 private:
  void advance(bool at_end);
  ReasoningDelta take(bool all);

  const Options options_;
  bool in_reasoning_;
  bool start_tag_removed_ = false;
  bool finished_ = false;
  std::string pending_;  // received, not yet decided
  std::string reasoning_;
  std::string content_;
};

}  // namespace turbine::server
