#include "model/rotary_embedding.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/error.h"

namespace turbine {
namespace {

// 1 / base^(2i / dim), rounded through float32 the way torch computes it.
std::vector<float> default_inverse_frequencies(double base, int dim) {
  std::vector<float> inv(dim / 2);
  for (int i = 0; i < dim / 2; ++i) {
    const float exponent = float(2 * i) / float(dim);
    inv[i] = float(1.0 / std::pow(base, double(exponent)));
  }
  return inv;
}

void apply_llama3(const RopeConfig& r, std::vector<float>& inv) {
  const double old_context = double(r.original_max_position_embeddings);
  const double low_freq_wavelen = old_context / r.low_freq_factor;
  const double high_freq_wavelen = old_context / r.high_freq_factor;
  for (float& f : inv) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen > low_freq_wavelen) {
      f = float(f / r.factor);
    } else if (wavelen >= high_freq_wavelen) {
      const double smooth = (old_context / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      f = float((1.0 - smooth) * f / r.factor + smooth * f);
    }
  }
}

double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

// YaRN: interpolate low frequencies, keep high ones, blend linearly in between.
void apply_yarn(const RopeConfig& r, int dim, std::vector<float>& inv) {
  const double base = r.theta;
  const double max_pos = double(r.original_max_position_embeddings);
  auto correction_dim = [&](double rotations) {
    return (dim * std::log(max_pos / (rotations * 2.0 * std::numbers::pi))) / (2.0 * std::log(base));
  };
  double low = correction_dim(r.beta_fast);
  double high = correction_dim(r.beta_slow);
  if (r.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, double(dim - 1));
  if (low == high) high += 0.001;
  for (int i = 0; i < dim / 2; ++i) {
    const float ramp = std::clamp(float((float(i) - low) / (high - low)), 0.0f, 1.0f);
    const float extrapolation_weight = 1.0f - ramp;
    const float pos_freq = float(std::pow(base, double(float(2 * i) / float(dim))));
    const float extrapolated = 1.0f / pos_freq;
    const float interpolated = 1.0f / (float(r.factor) * pos_freq);
    inv[i] = interpolated * (1.0f - extrapolation_weight) + extrapolated * extrapolation_weight;
  }
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const RopeConfig& rope, int head_dim, int64_t max_position_embeddings)
    : rope_(rope), head_dim_(head_dim), max_positions_(max_position_embeddings) {
  rotary_dim_ = int(double(head_dim) * rope.partial_rotary_factor);
  rotary_dim_ -= rotary_dim_ % 2;
  if (rotary_dim_ < 2)
    fail("partial_rotary_factor {} leaves no dimension to rotate (head_dim {})", rope.partial_rotary_factor, head_dim);
  if (rope.type == RopeType::kLongRope) {
    if (int(rope.short_factor.size()) != rotary_dim_ / 2)
      fail("longrope: short_factor and long_factor need rotary_dim / 2 = {} entries, got {}", rotary_dim_ / 2,
           rope.short_factor.size());
    // transformers: the ratio of the extended to the pre-training context sets the default factor.
    const double factor = double(max_positions_) / double(rope.original_max_position_embeddings);
    attention_factor_ = float(rope.attention_factor ? *rope.attention_factor
                              : factor <= 1.0      ? 1.0
                                                   : std::sqrt(1.0 + std::log(factor) /
                                                                         std::log(double(rope.original_max_position_embeddings))));
  }
  inv_freq_ = inverse_frequencies(max_positions_);
  if (rope.type == RopeType::kYarn) {
    if (rope.attention_factor) {
      attention_factor_ = float(*rope.attention_factor);
    } else if (rope.mscale && rope.mscale_all_dim) {
      attention_factor_ = float(yarn_mscale(rope.factor, *rope.mscale) / yarn_mscale(rope.factor, *rope.mscale_all_dim));
    } else {
      attention_factor_ = float(yarn_mscale(rope.factor, 1.0));
    }
  }
}

std::vector<float> RotaryEmbedding::inverse_frequencies(int64_t seq_len) const {
  const int dim = rotary_dim_;
  switch (rope_.type) {
    case RopeType::kDefault:
      return default_inverse_frequencies(rope_.theta, dim);
    case RopeType::kLinear: {
      auto inv = default_inverse_frequencies(rope_.theta, dim);
      for (float& f : inv) f = f / float(rope_.factor);
      return inv;
    }
    case RopeType::kDynamic: {
      const double len = double(std::max(seq_len, max_positions_));
      const double base =
          rope_.theta * std::pow(rope_.factor * len / double(max_positions_) - (rope_.factor - 1.0), double(dim) / (dim - 2));
      return default_inverse_frequencies(base, dim);
    }
    case RopeType::kLlama3: {
      auto inv = default_inverse_frequencies(rope_.theta, dim);
      apply_llama3(rope_, inv);
      return inv;
    }
    case RopeType::kYarn: {
      std::vector<float> inv(dim / 2);
      apply_yarn(rope_, dim, inv);
      return inv;
    }
    case RopeType::kLongRope: {
      // 1 / (ext * base^(2i / dim)), in float32 as transformers computes it.
      const std::vector<double>& ext = long_rope_factors_ ? rope_.long_factor : rope_.short_factor;
      std::vector<float> inv(dim / 2);
      for (int i = 0; i < dim / 2; ++i) {
        const float power = float(std::pow(rope_.theta, double(float(2 * i) / float(dim))));
        inv[i] = 1.0f / (float(ext[size_t(i)]) * power);
      }
      return inv;
    }
  }
  TURBINE_CHECK(false, "unknown rope type");
}

void RotaryEmbedding::set_context_length(int64_t max_len) {
  if (rope_.type != RopeType::kLongRope) return;
  long_rope_factors_ = max_len > rope_.original_max_position_embeddings;
  inv_freq_ = inverse_frequencies(max_positions_);
}

void RotaryEmbedding::fill(const int32_t* positions, const int32_t* step_lens, int num_tokens, float* cos_sin) const {
  const int half = rotary_dim_ / 2;
  std::vector<float> stretched;
  int64_t stretched_len = -1;
  for (int t = 0; t < num_tokens; ++t) {
    const float* inv = inv_freq_.data();
    if (rope_.type == RopeType::kDynamic && step_lens[t] > max_positions_) {
      if (step_lens[t] != stretched_len) {
        stretched = inverse_frequencies(step_lens[t]);
        stretched_len = step_lens[t];
      }
      inv = stretched.data();
    }
    float* row = cos_sin + size_t(t) * rotary_dim_;
    const float pos = float(positions[t]);
    for (int i = 0; i < half; ++i) {
      const float angle = pos * inv[i];  // float32 product, as torch does
      row[i] = float(std::cos(double(angle))) * attention_factor_;
      row[half + i] = float(std::sin(double(angle))) * attention_factor_;
    }
  }
}

}  // namespace turbine
