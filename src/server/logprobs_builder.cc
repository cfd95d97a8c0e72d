#include "server/logprobs_builder.h"

#include <cmath>

#include "common/error.h"

namespace turbine::server {
namespace {

constexpr double kMinLogprob = -9999.0;

Json utf8_bytes(const std::string& text) {
  Json bytes = Json::array();
  for (const char c : text) bytes.push_back(int(static_cast<unsigned char>(c)));
  return bytes;
}

}  // namespace

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

double json_logprob(float logprob) {
  if (std::isnan(logprob)) return kMinLogprob;
  return std::max(double(logprob), kMinLogprob);
}

LogprobsBuilder::LogprobsBuilder(LogprobsFormat format, int top_n, const Tokenizer* tokenizer, size_t text_offset,
                                 bool tokens_as_ids)
    : format_(format), top_n_(top_n), tokenizer_(tokenizer), text_offset_(text_offset), tokens_as_ids_(tokens_as_ids) {
  TURBINE_CHECK(format == LogprobsFormat::kNone || tokenizer != nullptr);
  take();  // start with empty lists
}

std::string LogprobsBuilder::token_string(int32_t id) const {
  if (tokens_as_ids_) return fmt::format("token_id:{}", id);
  if (!tokenizer_->is_valid_id(id)) return {};
  const int32_t ids[] = {id};
  return tokenizer_->decode(ids, /*skip_special_tokens=*/false);
}

void LogprobsBuilder::add(const GeneratedTokenInfo& token) {
  if (!enabled()) return;
  ++count_;
  const std::string text = token_string(token.token);
  const size_t n = std::min(size_t(std::max(top_n_, 0)), token.top_logprobs.size());
  if (format_ == LogprobsFormat::kCompletions) {
    tokens_.push_back(text);
    token_logprobs_.push_back(json_logprob(token.logprob));
    Json top = Json::object();
    for (size_t i = 0; i < n; ++i) {
      const auto& [id, logprob] = token.top_logprobs[i];
      top[token_string(id)] = json_logprob(logprob);
    }
    top[text] = json_logprob(token.logprob);  // the chosen token is always listed
    top_logprobs_.push_back(std::move(top));
    text_offsets_.push_back(text_offset_);
    text_offset_ += utf8_length(text);
    return;
  }
  Json entry = Json::object();
  entry["token"] = text;
  entry["logprob"] = json_logprob(token.logprob);
  entry["bytes"] = utf8_bytes(text);
  Json top = Json::array();
  for (size_t i = 0; i < n; ++i) {
    const auto& [id, logprob] = token.top_logprobs[i];
    const std::string alt = token_string(id);
    Json alt_entry = Json::object();
    alt_entry["token"] = alt;
    alt_entry["logprob"] = json_logprob(logprob);
    alt_entry["bytes"] = utf8_bytes(alt);
    top.push_back(std::move(alt_entry));
  }
  entry["top_logprobs"] = std::move(top);
  content_.push_back(std::move(entry));
}

void LogprobsBuilder::add_prompt_token(int32_t token, const PromptTokenLogprobInfo* info) {
  if (format_ != LogprobsFormat::kCompletions) return;
  if (info) {
    add(GeneratedTokenInfo{token, info->logprob, info->top_logprobs});
    return;
  }
  ++count_;
  const std::string text = token_string(token);
  tokens_.push_back(text);
  token_logprobs_.push_back(nullptr);
  top_logprobs_.push_back(nullptr);
  text_offsets_.push_back(text_offset_);
  text_offset_ += utf8_length(text);
}

Json LogprobsBuilder::take() {
  Json out = nullptr;
  if (format_ == LogprobsFormat::kCompletions) {
    out = Json::object();
    out["tokens"] = std::move(tokens_);
    out["token_logprobs"] = std::move(token_logprobs_);
    out["top_logprobs"] = std::move(top_logprobs_);
    out["text_offset"] = std::move(text_offsets_);
  } else if (format_ == LogprobsFormat::kChat) {
    out = Json::object();
    out["content"] = std::move(content_);
  }
  tokens_ = token_logprobs_ = top_logprobs_ = text_offsets_ = content_ = Json::array();
  count_ = 0;
  return out;
}

}  // namespace turbine::server
