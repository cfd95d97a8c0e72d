#include "model/architectures/fused_qkv.h"

#include "common/error.h"

namespace turbine {

FusedQkvRows neox_qkv_rows(int num_heads, int head_dim) {
  FusedQkvRows r;
  for (int h = 0; h < num_heads; ++h)
    for (int i = 0; i < head_dim; ++i) {
      const int64_t base = int64_t(h) * 3 * head_dim + i;
      r.q.push_back(base);
      r.k.push_back(base + head_dim);
      r.v.push_back(base + 2 * head_dim);
    }
  return r;
}

FusedQkvRows falcon_qkv_rows(int num_heads, int num_kv_heads, int head_dim) {
  FusedQkvRows r;
  const int group = num_heads / num_kv_heads;
  for (int g = 0; g < num_kv_heads; ++g) {
    const int64_t base = int64_t(g) * (group + 2) * head_dim;
    for (int64_t i = 0; i < int64_t(group) * head_dim; ++i) r.q.push_back(base + i);
    for (int64_t i = 0; i < head_dim; ++i) r.k.push_back(base + int64_t(group) * head_dim + i);
    for (int64_t i = 0; i < head_dim; ++i) r.v.push_back(base + int64_t(group + 1) * head_dim + i);
  }
  return r;
}

void load_fused_qkv(WeightStore& w, const LinearLoader& linears, const std::string& prefix, int64_t hidden,
                    const FusedQkvRows& rows, bool bias, TensorArena& arena, AttentionWeights& a) {
  const int64_t total = int64_t(rows.q.size() + rows.k.size() + rows.v.size());
  const Tensor fused = w.get(prefix + ".weight", {total, hidden});
  a.q = linears.dense(arena.gather_rows(fused, rows.q), prefix + ".weight (its q rows)");
  a.k = linears.dense(arena.gather_rows(fused, rows.k), prefix + ".weight (its k rows)");
  a.v = linears.dense(arena.gather_rows(fused, rows.v), prefix + ".weight (its v rows)");
  if (!bias) return;
  // A bias [total] seen as [total, 1] gathers like rows; the result is a [1, n] bias again.
  Tensor fused_bias = w.get(prefix + ".bias", {total});
  fused_bias = {fused_bias.data, fused_bias.dtype, total, 1};
  auto take = [&](const std::vector<int64_t>& r) {
    const Tensor t = arena.gather_rows(fused_bias, r);
    return Tensor{t.data, t.dtype, 1, int64_t(r.size())};
  };
  a.q.bias = take(rows.q);
  a.k.bias = take(rows.k);
  a.v.bias = take(rows.v);
}

}  // namespace turbine
