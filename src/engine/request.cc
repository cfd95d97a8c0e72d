#include "engine/request.h"

#include <algorithm>

#include "common/error.h"

namespace turbine {

std::string_view request_status_name(RequestStatus status) {
  switch (status) {
    case RequestStatus::kWaiting: return "waiting";
    case RequestStatus::kRunning: return "running";
    case RequestStatus::kPreempted: return "preempted";
    case RequestStatus::kFinishedStopped: return "finished_stopped";
    case RequestStatus::kFinishedLength: return "finished_length";
    case RequestStatus::kFinishedAborted: return "finished_aborted";
  }
  return "?";
}

std::string_view request_finish_reason_name(RequestFinishReason reason) {
  switch (reason) {
    case RequestFinishReason::kStop: return "stop";
    case RequestFinishReason::kLength: return "length";
    case RequestFinishReason::kAbort: return "abort";
  }
  return "?";
}

std::optional<RequestFinishReason> finish_reason_of(RequestStatus status) {
  switch (status) {
    case RequestStatus::kWaiting:
    case RequestStatus::kRunning:
    case RequestStatus::kPreempted: return std::nullopt;
    case RequestStatus::kFinishedStopped: return RequestFinishReason::kStop;
    case RequestStatus::kFinishedLength: return RequestFinishReason::kLength;
    case RequestStatus::kFinishedAborted: return RequestFinishReason::kAbort;
  }
  return std::nullopt;
}

bool is_finished(RequestStatus status) { return finish_reason_of(status).has_value(); }

void RequestParams::validate(int64_t vocab_size) const {
  sampling.validate(vocab_size);
  if (max_tokens < 1) fail("max_tokens must be at least 1, got {}", max_tokens);
  if (min_tokens < 0 || min_tokens > max_tokens)
    fail("min_tokens must be in [0, max_tokens = {}], got {}", max_tokens, min_tokens);
  if (n < 1) fail("n must be at least 1, got {}", n);
  if (prompt_logprobs && (*prompt_logprobs < 0 || *prompt_logprobs > kMaxLogprobs))
    fail("prompt_logprobs must be in [0, {}], got {}", kMaxLogprobs, *prompt_logprobs);
  for (size_t i = 0; i < stop_token_ids.size(); ++i)
    if (stop_token_ids[i] < 0 || stop_token_ids[i] >= vocab_size)
      fail("stop token id {} (at index {}) is outside the vocabulary [0, {})", stop_token_ids[i], i, vocab_size);
  validate_banned_tokens(vocab_size);
}

void RequestParams::validate_banned_tokens(int64_t vocab_size) const {
  // A grammar's mask and the bans are applied apart, and together they could leave no token to
  // sample; until the runner reconciles them, the two do not go together.
  if (structured && !bad_words_token_ids.empty())
    fail("bad words cannot be combined with a structured-output constraint yet");
  for (size_t i = 0; i < allowed_token_ids.size(); ++i)
    if (allowed_token_ids[i] < 0 || allowed_token_ids[i] >= vocab_size)
      fail("allowed token id {} (at index {}) is outside the vocabulary [0, {})", allowed_token_ids[i], i, vocab_size);
  // Either could leave no allowed token to sample at some step.
  if (!allowed_token_ids.empty() && structured)
    fail("allowed_token_ids cannot be combined with a structured-output constraint yet");
  if (!allowed_token_ids.empty() && !bad_words_token_ids.empty())
    fail("allowed_token_ids cannot be combined with bad words yet");
  std::vector<int32_t> banned;
  for (size_t i = 0; i < bad_words_token_ids.size(); ++i) {
    const std::vector<int32_t>& word = bad_words_token_ids[i];
    if (word.empty()) fail("bad word {} has no tokens", i);
    for (const int32_t id : word)
      if (id < 0 || id >= vocab_size)
        fail("bad word {} has token id {}, outside the vocabulary [0, {})", i, id, vocab_size);
    banned.push_back(word.back());
  }
  // The sampler needs one token left to sample: bound what one step can ban (EOS, a few ids, may
  // be banned besides these before min_tokens).
  if (min_tokens > 0) banned.insert(banned.end(), stop_token_ids.begin(), stop_token_ids.end());
  // (std::sort/unique: the fuzz build's clang cannot compile libstdc++ 12's ranges::unique.)
  std::sort(banned.begin(), banned.end());
  const auto distinct = std::distance(banned.begin(), std::unique(banned.begin(), banned.end()));
  if (distinct > vocab_size / 2)
    fail("bad words{} may ban {} distinct tokens at one step; at most half the vocabulary ({}) may be banned",
         min_tokens > 0 && !stop_token_ids.empty() ? " and stop tokens (before min_tokens)" : "", distinct,
         vocab_size / 2);
}

Request::Request(std::string id_, std::vector<int32_t> prompt_token_ids, RequestParams params_)
    : id(std::move(id_)),
      params(std::move(params_)),
      token_ids_(std::move(prompt_token_ids)),
      num_prompt_tokens_(int(token_ids_.size())) {}

std::unique_ptr<Request> Request::make_sibling(const Request& parent, int sample_index) {
  auto sibling = std::make_unique<Request>(parent.id, parent.token_ids_, parent.params);
  sibling->num_prompt_tokens_ = parent.num_prompt_tokens_;
  sibling->sample_index = sample_index;
  if (sibling->params.sampling.seed) *sibling->params.sampling.seed += uint64_t(sample_index);
  if (parent.stop_strings) sibling->stop_strings = parent.stop_strings->clone_initial();
  sibling->arrival_time = parent.arrival_time;
  sibling->arrival_seq = parent.arrival_seq;
  sibling->output_key = parent.output_key;
  sibling->block_hashes = parent.block_hashes;
  return sibling;
}

}  // namespace turbine
