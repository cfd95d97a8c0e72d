// use_beam_search, length_penalty, early_stopping: the request fields of beam search, and the
// fields it cannot go with.
//
// vLLM's beam search takes n (the beam width), max_tokens, ignore_eos, length_penalty,
// include_stop_str_in_output and temperature, and silently drops every other sampling or stopping
// field. Turbine refuses the ones that would change the output were they applied (stop strings,
// stop tokens, min_tokens, logit_bias, penalties, bad words, allowed ids, output constraints) with a 400 naming
// the field, rather than serve the request without them. Temperature, top_p, top_k, min_p and
// seed are accepted: they shape sampling, and beam search does not sample (its logprobs are the
// model's own, before any of them, as in vLLM).
#include <cmath>
#include <limits>

#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

[[noreturn]] void refuse(const std::string& param, std::string_view what) {
  fail_param(param, "'{}' is not supported with beam search (use_beam_search: true): {}", param, what);
}

// Beam search has no use for these: each is refused when it holds anything but its default.
void check_beam_search_companions(const GenerationFields& g) {
  if (!g.stop.empty()) refuse("stop", "beams end at EOS or max_tokens only");
  if (!g.stop_token_ids.empty()) refuse("stop_token_ids", "beams end at EOS or max_tokens only");
  if (g.min_tokens > 0) refuse("min_tokens", "beams end at EOS or max_tokens only");
  const char* kModelLogprobs = "beams are ranked by the model's own logprobs";
  if (!g.sampling.logit_bias.empty()) refuse("logit_bias", kModelLogprobs);
  if (g.sampling.presence_penalty != 0.0f) refuse("presence_penalty", kModelLogprobs);
  if (g.sampling.frequency_penalty != 0.0f) refuse("frequency_penalty", kModelLogprobs);
  if (g.sampling.repetition_penalty != 1.0f) refuse("repetition_penalty", kModelLogprobs);
  if (!g.bad_words.empty()) refuse("bad_words", kModelLogprobs);
  if (!g.allowed_token_ids.empty()) refuse("allowed_token_ids", kModelLogprobs);
  if (g.constraint) refuse(g.constraint->param, "beams are not constrained (structured output)");
  if (g.n > kMaxBeamWidth)
    fail_param("n", "with beam search 'n' is the number of beams, at most {} (each step reads the top 2 * n "
                    "logprobs of every beam, and at most {} are reported), got {}",
               kMaxBeamWidth, kMaxLogprobs, g.n);
}

}  // namespace

std::optional<BeamSearchFields> parse_beam_search_fields(const JsonObjectReader& body, const GenerationFields& g) {
  BeamSearchFields fields;
  if (const std::optional<double> penalty = body.number("length_penalty")) {
    if (std::fabs(*penalty) > double(std::numeric_limits<float>::max()))
      fail_param("length_penalty", "'length_penalty' is out of range: {}", *penalty);
    fields.length_penalty = *penalty;
  }
  fields.early_stopping = body.boolean("early_stopping").value_or(false);
  if (!body.boolean("use_beam_search").value_or(false)) {
    // Their defaults mean "no beam search"; anything else asks for it.
    if (fields.length_penalty != 1.0)
      fail_param("length_penalty", "'length_penalty' applies only to beam search: set use_beam_search to true, or "
                                   "leave length_penalty at 1");
    if (fields.early_stopping)
      fail_param("early_stopping", "'early_stopping' applies only to beam search: set use_beam_search to true, or "
                                   "leave early_stopping false");
    return std::nullopt;
  }
  check_beam_search_companions(g);
  return fields;
}

}  // namespace turbine::server
