#include "server/generated_text_stream.h"

#include "common/error.h"

namespace turbine::server {
namespace {

// The detokenizer only looks at the last few context ids; keep a few more than that.
constexpr size_t kContextIds = 8;

std::vector<int32_t> known_context(const Tokenizer& tokenizer, std::span<const int32_t> prompt_ids) {
  if (prompt_ids.size() > kContextIds) prompt_ids = prompt_ids.subspan(prompt_ids.size() - kContextIds);
  std::vector<int32_t> context;
  for (const int32_t id : prompt_ids)
    if (tokenizer.is_valid_id(id)) context.push_back(id);
  return context;
}

}  // namespace

TextStreamConfig::TextStreamConfig(Tokenizer tokenizer_, bool skip_special_tokens_, std::span<const int32_t> prompt_ids,
                                   std::vector<std::string> stop_strings_, bool include_stop_str_in_output_)
    : tokenizer(std::move(tokenizer_)),
      skip_special_tokens(skip_special_tokens_),
      context(known_context(tokenizer, prompt_ids)),
      stop_strings(std::move(stop_strings_)),
      include_stop_str_in_output(include_stop_str_in_output_) {}

GeneratedTextStream::GeneratedTextStream(std::shared_ptr<const TextStreamConfig> config)
    : config_(std::move(config)),
      detokenizer_(config_->tokenizer, config_->skip_special_tokens, config_->context),
      scanner_(config_->stop_strings, config_->include_stop_str_in_output) {}

std::string GeneratedTextStream::push(int32_t token, bool may_stop, bool visible) {
  TURBINE_CHECK(!finished_, "push() after finish()");
  if (scanner_.stopped() || !visible || !config_->tokenizer.is_valid_id(token)) return {};
  return scanner_.append(detokenizer_.push(token), may_stop);
}

std::string GeneratedTextStream::finish(bool may_stop) {
  TURBINE_CHECK(!finished_, "finish() called twice");
  finished_ = true;
  if (scanner_.stopped()) return {};
  std::string text = scanner_.append(detokenizer_.finish(), may_stop);
  return text + scanner_.flush();
}

}  // namespace turbine::server
