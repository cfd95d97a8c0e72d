#include "model/model_config.h"

#include <algorithm>
#include <fstream>

#include "common/error.h"
#include "model/config_normalization.h"

namespace turbine {
namespace {

using nlohmann::json;

// Typed field access with errors that name the file and the field.
class Fields {
 public:
  Fields(const json& object, std::string source) : object_(object), source_(std::move(source)) {}

  bool has(const char* key) const { return object_.contains(key) && !object_[key].is_null(); }

  int64_t integer(const char* key) const {
    if (!has(key)) fail("{}: missing required field \"{}\"", source_, key);
    return integer_or(key, 0);
  }
  int64_t integer_or(const char* key, int64_t fallback) const {
    if (!has(key)) return fallback;
    const json& v = object_[key];
    if (!v.is_number_integer()) fail("{}: field \"{}\" must be an integer, got {}", source_, key, v.dump());
    return v.get<int64_t>();
  }
  int64_t positive(const char* key) const {
    const int64_t v = integer(key);
    if (v <= 0) fail("{}: field \"{}\" must be positive, got {}", source_, key, v);
    return v;
  }
  double number_or(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const json& v = object_[key];
    if (!v.is_number()) fail("{}: field \"{}\" must be a number, got {}", source_, key, v.dump());
    return v.get<double>();
  }
  std::optional<double> optional_number(const char* key) const {
    if (!has(key)) return std::nullopt;
    return number_or(key, 0.0);
  }
  bool boolean_or(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = object_[key];
    if (!v.is_boolean()) fail("{}: field \"{}\" must be true or false, got {}", source_, key, v.dump());
    return v.get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = object_[key];
    if (!v.is_string()) fail("{}: field \"{}\" must be a string, got {}", source_, key, v.dump());
    return v.get<std::string>();
  }
  // An id or a list of ids (eos_token_id may be either).
  std::vector<int32_t> ids(const char* key) const {
    std::vector<int32_t> out;
    if (!has(key)) return out;
    const json& v = object_[key];
    auto one = [&](const json& x) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0)
        fail("{}: field \"{}\" must hold non-negative integer token ids, got {}", source_, key, v.dump());
      out.push_back(int32_t(x.get<int64_t>()));
    };
    if (v.is_array()) {
      for (const json& x : v) one(x);
    } else {
      one(v);
    }
    return out;
  }
  const std::string& source() const { return source_; }

 private:
  const json& object_;
  std::string source_;
};

// One RoPE's parameters: `scaling` is a rope_scaling / rope_parameters object (null: none);
// rope_theta and partial_rotary_factor default to the config's top-level ones.
RopeConfig parse_rope_parameters(const json* scaling, const Fields& top, const std::string& where,
                                 int64_t max_positions) {
  RopeConfig rope;
  rope.theta = top.number_or("rope_theta", 10000.0);
  rope.partial_rotary_factor = top.number_or("partial_rotary_factor", 1.0);
  std::string type = "default";
  if (scaling != nullptr && !scaling->is_null()) {
    if (!scaling->is_object()) fail("{}: must be an object, got {}", where, scaling->dump());
    const Fields s(*scaling, where);
    type = s.string_or("rope_type", s.string_or("type", "default"));
    rope.theta = s.number_or("rope_theta", rope.theta);
    rope.partial_rotary_factor = s.number_or("partial_rotary_factor", rope.partial_rotary_factor);
    auto factor = [&] {
      const double v = s.number_or("factor", 0.0);
      if (!s.has("factor")) fail("{}: rope type \"{}\" needs \"factor\"", where, type);
      if (v < 1.0) fail("{}: factor must be >= 1, got {}", where, v);
      return v;
    };
    if (type == "default") {
      rope.type = RopeType::kDefault;
    } else if (type == "linear") {
      rope.type = RopeType::kLinear;
      rope.factor = factor();
    } else if (type == "dynamic") {
      rope.type = RopeType::kDynamic;
      rope.factor = factor();
    } else if (type == "llama3") {
      rope.type = RopeType::kLlama3;
      rope.factor = factor();
      rope.low_freq_factor = s.number_or("low_freq_factor", 1.0);
      rope.high_freq_factor = s.number_or("high_freq_factor", 4.0);
      rope.original_max_position_embeddings = s.integer("original_max_position_embeddings");
      if (rope.high_freq_factor <= rope.low_freq_factor)
        fail("{}: high_freq_factor ({}) must exceed low_freq_factor ({})", where, rope.high_freq_factor,
             rope.low_freq_factor);
    } else if (type == "yarn") {
      rope.type = RopeType::kYarn;
      rope.factor = factor();
      rope.beta_fast = s.number_or("beta_fast", 32.0);
      rope.beta_slow = s.number_or("beta_slow", 1.0);
      rope.attention_factor = s.optional_number("attention_factor");
      rope.mscale = s.optional_number("mscale");
      rope.mscale_all_dim = s.optional_number("mscale_all_dim");
      rope.truncate = s.boolean_or("truncate", true);
      // As transformers does: with an explicit pre-training length, the factor is the ratio of the
      // extended context to it.
      if (s.has("original_max_position_embeddings")) {
        rope.original_max_position_embeddings = s.integer("original_max_position_embeddings");
        if (rope.original_max_position_embeddings <= 0)
          fail("{}: original_max_position_embeddings must be positive", where);
        rope.factor = double(max_positions) / double(rope.original_max_position_embeddings);
      } else {
        rope.original_max_position_embeddings = max_positions;
      }
    } else if (type == "longrope" || type == "su") {
      rope.type = RopeType::kLongRope;
      auto factors = [&](const char* key) {
        std::vector<double> out;
        if (!scaling->contains(key) || !(*scaling)[key].is_array() || (*scaling)[key].empty())
          fail("{}: rope type \"{}\" needs a non-empty \"{}\" list", where, type, key);
        for (const json& v : (*scaling)[key]) {
          if (!v.is_number() || !(v.get<double>() > 0.0)) fail("{}: {} holds {}, not a positive number", where, key, v.dump());
          out.push_back(v.get<double>());
        }
        return out;
      };
      rope.short_factor = factors("short_factor");
      rope.long_factor = factors("long_factor");
      if (rope.short_factor.size() != rope.long_factor.size())
        fail("{}: short_factor and long_factor differ in length ({} and {})", where, rope.short_factor.size(),
             rope.long_factor.size());
      rope.attention_factor = s.optional_number("attention_factor");
      // Phi-3 keeps the pre-training length on the top level; transformers 5 may move it in here.
      const int64_t original = s.has("original_max_position_embeddings")
                                   ? s.integer("original_max_position_embeddings")
                                   : top.integer_or("original_max_position_embeddings", max_positions);
      if (original <= 0) fail("{}: original_max_position_embeddings must be positive", where);
      rope.original_max_position_embeddings = original;
    } else {
      fail("{}: unsupported rope type \"{}\" (supported: default, linear, dynamic, yarn, llama3, longrope)", where,
           type);
    }
  }
  if (rope.theta <= 0) fail("{}: rope_theta must be positive, got {}", where, rope.theta);
  if (rope.partial_rotary_factor <= 0 || rope.partial_rotary_factor > 1)
    fail("{}: partial_rotary_factor must be in (0, 1], got {}", where, rope.partial_rotary_factor);
  return rope;
}

// Whether a rope_parameters object is keyed by layer type (transformers 5 writes Gemma 3's so).
bool keyed_by_layer_type(const json& params) {
  if (!params.is_object() || params.empty()) return false;
  return std::all_of(params.begin(), params.end(), [](const json& v) { return v.is_object(); }) &&
         (params.contains("full_attention") || params.contains("sliding_attention"));
}

void parse_rope(const json& config, const std::string& source, ModelConfig& c) {
  const Fields top(config, source);
  // Newer checkpoints may write rope_parameters; older ones rope_scaling.
  const char* key = config.contains("rope_scaling") ? "rope_scaling" : "rope_parameters";
  const json* params = config.contains(key) ? &config[key] : nullptr;
  const std::string where = fmt::format("{} ({})", source, key);
  if (params != nullptr && keyed_by_layer_type(*params)) {
    for (const auto& [type, entry] : params->items())
      c.rope_by_layer_type[type] =
          parse_rope_parameters(&entry, top, fmt::format("{} ({}.{})", source, key, type), c.max_position_embeddings);
    const auto full = c.rope_by_layer_type.find("full_attention");
    c.rope = full != c.rope_by_layer_type.end() ? full->second : c.rope_by_layer_type.begin()->second;
    return;
  }
  c.rope = parse_rope_parameters(params, top, params != nullptr ? where : source, c.max_position_embeddings);
}

}  // namespace

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open file", path.string());
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) fail("{}: not valid JSON", path.string());
  return doc;
}

ModelConfig ModelConfig::parse(const json& original, const std::string& source) {
  if (!original.is_object()) fail("{}: expected a JSON object", source);
  const json config = normalized_config(original, source);
  const Fields f(config, source);
  ModelConfig c;
  c.raw = config;
  if (!config.contains("architectures") || !config["architectures"].is_array() ||
      config["architectures"].empty() || !config["architectures"][0].is_string())
    fail("{}: \"architectures\" must be a non-empty list of names", source);
  c.architecture = config["architectures"][0].get<std::string>();
  c.model_type = f.string_or("model_type", "");
  c.vocab_size = f.positive("vocab_size");
  c.hidden_size = f.positive("hidden_size");
  c.intermediate_size = f.positive("intermediate_size");
  c.num_layers = int(f.positive("num_hidden_layers"));
  c.num_heads = int(f.positive("num_attention_heads"));
  c.num_kv_heads = int(f.integer_or("num_key_value_heads", c.num_heads));
  if (c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    fail("{}: num_key_value_heads ({}) must be positive and divide num_attention_heads ({})", source,
         c.num_kv_heads, c.num_heads);
  c.head_dim = int(f.integer_or("head_dim", 0));
  if (c.head_dim == 0) {
    if (c.hidden_size % c.num_heads != 0)
      fail("{}: hidden_size ({}) is not divisible by num_attention_heads ({}) and no head_dim is given",
           source, c.hidden_size, c.num_heads);
    c.head_dim = int(c.hidden_size / c.num_heads);
  }
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) fail("{}: head_dim must be positive and even, got {}", source, c.head_dim);
  c.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6);
  c.max_position_embeddings = f.positive("max_position_embeddings");
  parse_rope(config, source, c);
  c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
  c.attention_bias = f.boolean_or("attention_bias", false);
  c.mlp_bias = f.boolean_or("mlp_bias", false);
  c.sliding_window = int(f.integer_or("sliding_window", 0));
  if (c.sliding_window < 0) fail("{}: sliding_window must be >= 0, got {}", source, c.sliding_window);
  c.hidden_act = f.string_or("hidden_act", "silu");
  if (f.has("quantization_config")) {  // its other fields belong to the method's linear loader
    const json& q = config["quantization_config"];
    if (!q.is_object()) fail("{}: quantization_config must be an object, got {}", source, q.dump());
    c.quantization_method = Fields(q, source + ": quantization_config").string_or("quant_method", "");
    if (c.quantization_method.empty()) fail("{}: quantization_config has no \"quant_method\"", source);
  }
  if (auto bos = f.ids("bos_token_id"); !bos.empty()) c.bos_token_id = bos[0];
  c.eos_token_ids = f.ids("eos_token_id");
  for (int32_t id : c.eos_token_ids)
    if (id >= c.vocab_size) fail("{}: eos_token_id {} is outside the vocabulary ({})", source, id, c.vocab_size);
  return c;
}

int64_t ModelConfig::context_length() const {
  if (rope.type == RopeType::kDynamic) return int64_t(double(max_position_embeddings) * rope.factor);
  return max_position_embeddings;
}

ModelConfig ModelConfig::load(const std::filesystem::path& dir) {
  const auto config_path = dir / "config.json";
  if (!std::filesystem::is_directory(dir)) fail("{}: model folder does not exist", dir.string());
  if (!std::filesystem::exists(config_path)) fail("{}: no config.json in the model folder", dir.string());
  ModelConfig c = parse(read_json_file(config_path), config_path.string());
  c.dir = dir;
  const auto generation_path = dir / "generation_config.json";
  if (std::filesystem::exists(generation_path)) {
    const json generation = read_json_file(generation_path);
    const Fields g(generation, generation_path.string());
    if (auto eos = g.ids("eos_token_id"); !eos.empty()) c.eos_token_ids = eos;
    if (auto bos = g.ids("bos_token_id"); !bos.empty()) c.bos_token_id = bos[0];
  }
  return c;
}

}  // namespace turbine
