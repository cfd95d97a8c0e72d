// The sampling and stopping fields completions and chat share.
#include <charconv>
#include <cmath>
#include <limits>

#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

// OpenAI's logit_bias keys are token ids written as strings ("50256"); a bare integer string is
// all we accept (no sign, spaces or exponent).
int32_t parse_logit_bias_key(const std::string& key) {
  int64_t id = -1;
  const char* end = key.data() + key.size();
  const auto [ptr, ec] = std::from_chars(key.data(), end, id);
  if (key.empty() || ec != std::errc() || ptr != end || id < 0 || id > std::numeric_limits<int32_t>::max())
    fail_param("logit_bias", "logit_bias keys must be token ids (non-negative integers as strings), got \"{}\"",
               key);
  return int32_t(id);
}

std::map<int32_t, float> parse_logit_bias(const JsonObjectReader& body) {
  std::map<int32_t, float> bias;
  const Json* value = body.find("logit_bias");
  if (!value) return bias;
  if (!value->is_object()) fail_param("logit_bias", "'logit_bias' must be an object mapping token ids to biases");
  for (const auto& [key, entry] : value->items()) {
    const int32_t id = parse_logit_bias_key(key);
    if (!entry.is_number())
      fail_param("logit_bias", "logit_bias for token {} must be a number, got {}", key, describe_json(entry));
    const double b = entry.get<double>();
    if (!std::isfinite(b) || std::fabs(b) > kMaxAbsLogitBias)
      fail_param("logit_bias", "logit_bias for token {} must be in [-{}, {}], got {}", key, kMaxAbsLogitBias,
                 kMaxAbsLogitBias, b);
    bias[id] = float(b);
  }
  return bias;
}

std::vector<std::string> parse_stop(const JsonObjectReader& body) {
  std::vector<std::string> stop;
  const Json* value = body.find("stop");
  if (!value) return stop;
  if (value->is_string()) {
    stop.push_back(value->get<std::string>());
  } else if (value->is_array()) {
    if (value->size() > size_t(kMaxStopStrings))
      fail_param("stop", "at most {} stop strings are allowed, got {}", kMaxStopStrings, value->size());
    for (const Json& item : *value) {
      if (!item.is_string()) fail_param("stop", "'stop' must be a string or a list of strings");
      stop.push_back(item.get<std::string>());
    }
  } else {
    fail_param("stop", "'stop' must be a string or a list of strings");
  }
  for (const std::string& s : stop) {
    if (s.empty()) fail_param("stop", "stop strings must not be empty");
    if (s.size() > kMaxStopStringBytes)
      fail_param("stop", "stop strings must be at most {} bytes, got one of {}", kMaxStopStringBytes, s.size());
  }
  return stop;
}

std::vector<std::string> parse_bad_words(const JsonObjectReader& body) {
  std::vector<std::string> words;
  const Json* value = body.find("bad_words");
  if (!value) return words;
  if (!value->is_array()) fail_param("bad_words", "'bad_words' must be a list of strings");
  if (value->size() > size_t(kMaxBadWords))
    fail_param("bad_words", "at most {} bad words are allowed, got {}", kMaxBadWords, value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const std::string param = fmt::format("bad_words[{}]", i);
    const Json& item = (*value)[i];
    if (!item.is_string()) fail_param(param, "'{}' must be a string, got {}", param, describe_json(item));
    if (item.get_ref<const std::string&>().size() > kMaxStopStringBytes)
      fail_param(param, "bad words must be at most {} bytes, '{}' has {}", kMaxStopStringBytes, param,
                 item.get_ref<const std::string&>().size());
    words.push_back(item.get<std::string>());
  }
  return words;
}

// truncate_prompt_tokens: -1 (as many as fit) or a count >= 1; truncation_side "left" or "right".
void parse_truncation(const JsonObjectReader& body, GenerationFields& g) {
  g.truncate_prompt_tokens = body.integer("truncate_prompt_tokens", -1);
  if (g.truncate_prompt_tokens == 0)
    fail_param("truncate_prompt_tokens", "'truncate_prompt_tokens' must be -1 (as many as fit) or at least 1, got 0");
  if (const auto side = body.string("truncation_side")) {
    if (*side != "left" && *side != "right")
      fail_param("truncation_side", "'truncation_side' must be \"left\" or \"right\", got \"{}\"", *side);
    g.truncate_keeps_first = *side == "right";
  }
}

// request_id becomes part of the response id (and the access log line): printable ASCII only.
std::optional<std::string> parse_request_id(const JsonObjectReader& body) {
  std::optional<std::string> id = body.string("request_id");
  if (!id || id->empty()) return std::nullopt;  // vLLM: an empty id means "make one"
  if (id->size() > kMaxRequestIdBytes)
    fail_param("request_id", "'request_id' must be at most {} characters, got {}", kMaxRequestIdBytes, id->size());
  for (const char c : *id)
    if (c < 0x21 || c > 0x7e)
      fail_param("request_id", "'request_id' may hold only printable ASCII characters without spaces");
  return id;
}

std::optional<std::string> parse_cache_salt(const JsonObjectReader& body) {
  std::optional<std::string> salt = body.string("cache_salt");
  if (salt && (salt->empty() || salt->size() > kMaxCacheSaltBytes))
    fail_param("cache_salt", "'cache_salt' must be a string of 1 to {} bytes, got {} bytes", kMaxCacheSaltBytes,
               salt->size());
  return salt;
}

float number_in(const JsonObjectReader& body, const char* key, float fallback, double min, double max,
                bool min_open = false) {
  const std::optional<double> v = body.number(key);
  if (!v) return fallback;
  // A finite double may still overflow the float the engine keeps (1e300 would become inf).
  if (std::fabs(*v) > double(std::numeric_limits<float>::max()))
    fail_param(key, "'{}' is out of range: {} does not fit a 32-bit float", key, *v);
  const bool low_ok = min_open ? *v > min : *v >= min;
  if (!low_ok || *v > max) {
    if (std::isinf(max)) fail_param(key, "'{}' must be {} {}, got {}", key, min_open ? ">" : ">=", min, *v);
    fail_param(key, "'{}' must be in {}{}, {}], got {}", key, min_open ? "(" : "[", min, max, *v);
  }
  return float(*v);
}

}  // namespace

std::vector<int32_t> parse_token_ids(const Json& value, const std::string& param) {
  if (!value.is_array()) fail_param(param, "'{}' must be a list of token ids", param);
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i)
    ids.push_back(int32_t(json_to_integer(value[i], fmt::format("{}[{}]", param, i), 0,
                                          std::numeric_limits<int32_t>::max())));
  return ids;
}

GenerationFields parse_generation_fields(const JsonObjectReader& body) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  GenerationFields g;
  g.model = body.string("model");

  // Chat's max_completion_tokens replaces the deprecated max_tokens; both mean the same here.
  std::optional<int64_t> max_tokens = body.integer("max_tokens", 1, std::numeric_limits<int32_t>::max());
  if (const auto mct = body.integer("max_completion_tokens", 1, std::numeric_limits<int32_t>::max()))
    max_tokens = mct;
  if (max_tokens) g.max_tokens = int(*max_tokens);
  g.min_tokens = int(body.integer("min_tokens", 0, std::numeric_limits<int32_t>::max()).value_or(0));
  if (g.max_tokens && g.min_tokens > *g.max_tokens)
    fail_param("min_tokens", "'min_tokens' ({}) must not exceed max_tokens ({})", g.min_tokens, *g.max_tokens);

  g.n = int(body.integer("n", 1, kMaxSamplesPerRequest).value_or(1));
  if (const auto best_of = body.integer("best_of"); best_of && *best_of != g.n)
    fail_param("best_of", "'best_of' is not supported (only best_of = n, got best_of = {}, n = {})", *best_of, g.n);

  g.stream = body.boolean("stream").value_or(false);
  if (const Json* options = body.find("stream_options")) {
    if (!g.stream) fail_param("stream_options", "'stream_options' can only be given when 'stream' is true");
    if (!options->is_object()) fail_param("stream_options", "'stream_options' must be an object");
    const JsonObjectReader reader(*options, "stream_options");
    g.stream_options.include_usage = reader.boolean("include_usage").value_or(false);
    g.stream_options.continuous_usage_stats = reader.boolean("continuous_usage_stats").value_or(false);
  }

  g.stop = parse_stop(body);
  g.include_stop_str_in_output = body.boolean("include_stop_str_in_output").value_or(false);
  g.ignore_eos = body.boolean("ignore_eos").value_or(false);
  g.skip_special_tokens = body.boolean("skip_special_tokens").value_or(true);
  if (const Json* ids = body.find("stop_token_ids")) g.stop_token_ids = parse_token_ids(*ids, "stop_token_ids");
  g.priority = int(body.integer("priority", std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())
                       .value_or(0));
  g.add_special_tokens = body.boolean("add_special_tokens");

  SamplingParams& s = g.sampling;
  s.temperature = number_in(body, "temperature", 1.0f, 0.0, kInf);
  s.top_p = number_in(body, "top_p", 1.0f, 0.0, 1.0, /*min_open=*/true);
  s.min_p = number_in(body, "min_p", 0.0f, 0.0, 1.0);
  if (const auto k = body.integer("top_k", -1, std::numeric_limits<int32_t>::max())) s.top_k = int(*k);
  s.presence_penalty = number_in(body, "presence_penalty", 0.0f, -kMaxAbsOpenAiPenalty, kMaxAbsOpenAiPenalty);
  s.frequency_penalty = number_in(body, "frequency_penalty", 0.0f, -kMaxAbsOpenAiPenalty, kMaxAbsOpenAiPenalty);
  s.repetition_penalty = number_in(body, "repetition_penalty", 1.0f, 0.0, kInf, /*min_open=*/true);
  // Any 64-bit integer: negative seeds are taken modulo 2^64, as the bits they are.
  if (const auto seed = body.integer("seed")) s.seed = uint64_t(*seed);
  s.logit_bias = parse_logit_bias(body);

  g.constraint = parse_output_constraint(body);

  g.bad_words = parse_bad_words(body);
  if (const Json* ids = body.find("allowed_token_ids"); ids && !ids->is_null()) {
    g.allowed_token_ids = parse_token_ids(*ids, "allowed_token_ids");
    if (g.allowed_token_ids.empty())
      fail_param("allowed_token_ids", "'allowed_token_ids' is empty: it must list at least one token id");
    // Each could leave no allowed token to sample at some step (RequestParams::validate_banned_tokens).
    if (g.constraint)
      fail_param("allowed_token_ids", "'allowed_token_ids' cannot be combined with structured output yet");
    if (!g.bad_words.empty()) fail_param("allowed_token_ids", "'allowed_token_ids' cannot be combined with 'bad_words' yet");
  }
  parse_truncation(body, g);
  g.return_tokens_as_token_ids = body.boolean("return_tokens_as_token_ids").value_or(false);
  g.request_id = parse_request_id(body);
  g.cache_salt = parse_cache_salt(body);
  // Ignored without streaming, as vLLM does.
  g.stream_interval = int(body.integer("stream_interval", 1, std::numeric_limits<int32_t>::max()).value_or(1));
  g.beam_search = parse_beam_search_fields(body, g);  // last: it checks the fields above
  return g;
}

}  // namespace turbine::server
