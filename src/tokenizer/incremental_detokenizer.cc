#include "tokenizer/incremental_detokenizer.h"

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace turbine {
namespace {

// Context ids kept before the first generated one: enough for a leading-space decision and a
// character split over a few byte-level tokens.
constexpr size_t kContextIds = 6;

bool ends_with_replacement(const std::string& text) {
  const std::string_view replacement = tokenizer::utf8::kReplacementChar;
  return text.size() >= replacement.size() &&
         text.compare(text.size() - replacement.size(), replacement.size(), replacement) == 0;
}

}  // namespace

IncrementalDetokenizer::IncrementalDetokenizer(Tokenizer tokenizer, bool skip_special_tokens,
                                               std::span<const int32_t> context)
    : tokenizer_(std::move(tokenizer)), skip_special_tokens_(skip_special_tokens) {
  if (context.size() > kContextIds) context = context.subspan(context.size() - kContextIds);
  for (const int32_t id : context) {
    if (!tokenizer_.is_valid_id(id)) fail("context token id {} is not in the vocabulary", id);
    ids_.push_back(id);
  }
  read_offset_ = ids_.size();
  window_text_ = decode_window(0, read_offset_);
}

std::string IncrementalDetokenizer::decode_window(size_t begin, size_t end) const {
  return tokenizer_.decode(std::span<const int32_t>(ids_).subspan(begin, end - begin),
                           skip_special_tokens_);
}

void IncrementalDetokenizer::compact() {
  if (prefix_offset_ < 64) return;  // erase in batches, not every step
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_offset_));
  read_offset_ -= prefix_offset_;
  prefix_offset_ = 0;
}

std::string IncrementalDetokenizer::push(int32_t id) {
  TURBINE_CHECK(!finished_, "push() after finish()");
  if (!tokenizer_.is_valid_id(id)) {
    fail("cannot detokenize token id {}: not in the vocabulary (ids run from 0 to {})", id,
         tokenizer_.vocab_size() - 1);
  }
  ids_.push_back(id);
  ++pushed_;
  const bool visible = !(skip_special_tokens_ && tokenizer_.is_special(id));
  if (visible) in_byte_run_ = tokenizer_.is_byte_fallback_token(id);
  if (in_byte_run_) return {};

  const std::string text = decode_window(prefix_offset_, ids_.size());
  if (text.compare(0, window_text_.size(), window_text_) != 0) return {};  // not settled yet
  // A final U+FFFD may be an incomplete character that the next id completes: hold it.
  const size_t settled =
      ends_with_replacement(text) ? text.size() - tokenizer::utf8::kReplacementChar.size()
                                  : text.size();
  if (settled <= window_text_.size()) return {};
  std::string released = text.substr(window_text_.size(), settled - window_text_.size());
  if (settled == text.size()) {
    // Everything is out: slide the window to start at the ids released last time.
    prefix_offset_ = read_offset_;
    read_offset_ = ids_.size();
    window_text_ = decode_window(prefix_offset_, read_offset_);
    compact();
  } else {
    window_text_ = text.substr(0, settled);
  }
  return released;
}

std::string IncrementalDetokenizer::finish() {
  TURBINE_CHECK(!finished_, "finish() called twice");
  finished_ = true;
  if (read_offset_ == ids_.size()) return {};
  const std::string text = decode_window(prefix_offset_, ids_.size());
  if (text.size() >= window_text_.size() &&
      text.compare(0, window_text_.size(), window_text_) == 0) {
    return text.substr(window_text_.size());
  }
  // The window's text changed retroactively (not expected with the supported decoders): the
  // best remaining answer is the text of the ids not released yet on their own.
  return decode_window(read_offset_, ids_.size());
}

}  // namespace turbine
