#include "runner/logit_transforms.h"

#include <cmath>
#include <limits>

#include "common/error.h"

namespace turbine {
namespace {

// `after` computed from `before`; a finite logit must stay finite so that only suppression
// bans tokens (a tiny repetition_penalty could otherwise overflow a positive logit to +inf,
// which would break softmax).
float keep_finite(float before, float after) {
  if (!std::isfinite(before) || std::isfinite(after)) return after;
  return after > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
}

}  // namespace

bool LogitTransforms::any_active(const SamplingParams& params, const SamplingContext& context) {
  if (!params.logit_bias.empty() || !context.suppressed_ids.empty()) return true;
  if (params.presence_or_frequency_enabled() && !context.output_ids.empty()) return true;
  return params.repetition_enabled() &&
         (!context.prompt_ids.empty() || !context.output_ids.empty());
}

void LogitTransforms::apply(std::span<float> row, const SamplingParams& params,
                            const SamplingContext& context) {
  for (const auto& [id, bias] : params.logit_bias) {
    TURBINE_CHECK(id >= 0 && size_t(id) < row.size(),
                  "logit_bias id {} outside the vocabulary of {} (validate(vocab_size) skipped?)",
                  id, row.size());
    float& logit = row[size_t(id)];
    logit = keep_finite(logit, logit + bias);
  }
  if (params.repetition_enabled()) apply_repetition_penalty(row, params.repetition_penalty, context);
  if (params.presence_or_frequency_enabled()) {
    apply_presence_and_frequency(row, params, context.output_ids);
  }
  for (const int32_t id : context.suppressed_ids) {
    if (id >= 0 && size_t(id) < row.size()) row[size_t(id)] = -std::numeric_limits<float>::infinity();
  }
}

void LogitTransforms::start_round(size_t vocab_size) {
  if (marks_.size() != vocab_size) {
    marks_.assign(vocab_size, TokenMark{});
    round_ = 0;
  }
  if (round_ == std::numeric_limits<uint32_t>::max()) {  // stale stamps could now collide
    marks_.assign(vocab_size, TokenMark{});
    round_ = 0;
  }
  ++round_;
  distinct_.clear();
}

bool LogitTransforms::mark(int32_t id, size_t vocab_size) {
  TURBINE_CHECK(id >= 0 && size_t(id) < vocab_size, "token id {} outside the vocabulary of {}",
                id, vocab_size);
  TokenMark& m = marks_[size_t(id)];
  if (m.round == round_) {
    ++m.count;
    return false;
  }
  m = {round_, 1};
  distinct_.push_back(id);
  return true;
}

void LogitTransforms::apply_repetition_penalty(std::span<float> row, float penalty,
                                               const SamplingContext& context) {
  start_round(row.size());
  for (const auto ids : {context.prompt_ids, context.output_ids}) {
    for (const int32_t id : ids) mark(id, row.size());
  }
  for (const int32_t id : distinct_) {
    float& logit = row[size_t(id)];
    logit = keep_finite(logit, logit > 0.0f ? logit / penalty : logit * penalty);
  }
}

void LogitTransforms::apply_presence_and_frequency(std::span<float> row,
                                                   const SamplingParams& params,
                                                   std::span<const int32_t> output_ids) {
  start_round(row.size());
  for (const int32_t id : output_ids) mark(id, row.size());
  for (const int32_t id : distinct_) {
    float& logit = row[size_t(id)];
    const float before = logit;
    // Two float subtractions in vLLM's order (frequency first), not one fused expression.
    logit -= params.frequency_penalty * float(marks_[size_t(id)].count);
    logit -= params.presence_penalty;
    logit = keep_finite(before, logit);
  }
}

}  // namespace turbine
