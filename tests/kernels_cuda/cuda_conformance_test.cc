// The CUDA backend against the CPU reference ops: memory, embedding, RMSNorm (plain and fused
// with the residual add), RoPE, SiLU-mul and GELU(tanh)-mul (plain and fused), add, scale,
// softcap, gather_rows, copy_kv_blocks, and the device-side index checks. Linear and attention have their own files; all build one binary.
//
// Sizes are chosen to hit every kernel path: rows 1, 3, 17, 255 (one partial block, many
// blocks); row lengths that are multiples of 8 (16-byte vector path) and that are not (element
// path); short rows (one warp per row) and long ones (one block per row); pointers at offsets
// that break 16-byte alignment. Tolerances: outputs that are a copy or a single rounding of an
// exact F32 value must match exactly; computed outputs are allowed one BF16 ulp (2^-7 relative:
// the final rounding costs up to 2^-8) plus a tiny absolute term for F32 arithmetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/reference_ops.h"
#include "backend/device_sampling.h"
#include "cuda_test_util.h"

namespace turbine::test {
namespace {

using CudaMemory = CudaTest;

TEST_F(CudaMemory, AllocateIsZeroedAndCopiesRoundTrip) {
  Backend& b = cuda_backend();
  EXPECT_EQ(b.activation_dtype(), DType::kBF16);
  EXPECT_EQ(b.name(), "cuda");
  const size_t n = 1000003;
  DeviceBuffer buf = b.allocate(n);
  ASSERT_NE(buf.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.data()) % 64, 0u);
  std::vector<unsigned char> host(n, 7);
  b.copy_to_host(host.data(), buf.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(host[i], 0) << "byte " << i << " of a fresh allocation";
  for (size_t i = 0; i < n; ++i) host[i] = static_cast<unsigned char>(i * 31 + 5);
  b.copy_to_device(buf.data(), host.data(), n);
  std::vector<unsigned char> back(n);
  b.copy_to_host(back.data(), buf.data(), n);
  EXPECT_EQ(back, host);
  b.synchronize();
  EXPECT_EQ(b.allocate(0).data(), nullptr);
}

class CudaEmbedding : public CudaTest, public ::testing::WithParamInterface<DType> {};

TEST_P(CudaEmbedding, MatchesReference) {
  Backend& b = cuda_backend();
  const DType dtype = GetParam();
  std::mt19937 rng(11 + int(dtype));
  const int64_t vocab = 1000;
  for (int64_t cols : {896, 100, 64}) {
    for (size_t offset : {size_t(0), dtype_size(dtype)}) {  // aligned, and at one element past it
      const std::vector<float> values = random_floats(rng, vocab * cols, -3.0f, 3.0f);
      const HostTensor host_table(dtype, vocab, cols, values);
      const DeviceTensor table(b, dtype, vocab, cols, values, offset);
      for (int n : {1, 3, 17, 255}) {
        std::vector<int32_t> ids(static_cast<size_t>(n));
        for (int32_t& id : ids) id = int32_t(rng() % vocab);
        ids[0] = int32_t(vocab - 1);
        std::vector<float> expected(size_t(n * cols));
        Tensor ref_out = f32_view(expected, n, cols);
        reference::embedding(host_table.t, ids.data(), ref_out);
        expected = round_bf16(expected);
        DeviceBuffer d_ids = upload_ints(b, ids);
        DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, n, cols);
        b.embedding(table.t, static_cast<const int32_t*>(d_ids.data()), out.t);
        expect_close(out.download(b), expected, 0.0, 0.0,
                     shape_name("embedding", n, cols) + " table " + std::string(dtype_name(dtype)) + " offset " +
                         std::to_string(offset));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaEmbedding, ::testing::Values(DType::kBF16, DType::kF16, DType::kF32),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

using CudaNorm = CudaTest;

TEST_F(CudaNorm, RmsNormMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(21);
  const float eps = 1e-6f;
  for (DType wdtype : {DType::kBF16, DType::kF32, DType::kF16}) {
    for (int64_t cols : {64, 128, 100, 896, 4096, 5120, 8200}) {
      const std::vector<float> w = random_bf16(rng, cols, 0.5f, 1.5f);
      const HostTensor host_w(wdtype, 1, cols, w);
      // Norm weights may sit at any offset that keeps their elements aligned.
      const DeviceTensor weight(b, wdtype, 1, cols, w, dtype_size(wdtype));
      for (int64_t rows : {1, 3, 17, 255}) {
        std::vector<float> x = random_bf16(rng, rows * cols, -2.0f, 2.0f);
        std::vector<float> expected(x.size());
        Tensor ref_out = f32_view(expected, rows, cols);
        reference::rms_norm(f32_view(x, rows, cols), host_w.t, eps, ref_out);
        const std::string what = shape_name("rms_norm", rows, cols) + " w " + std::string(dtype_name(wdtype));
        DeviceTensor dx(b, DType::kBF16, rows, cols, x);
        DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
        b.rms_norm(dx.t, weight.t, eps, out.t);
        expect_close(out.download(b), expected, kBf16Rel, 1e-6, what);
        b.rms_norm(dx.t, weight.t, eps, dx.t);  // in place, as the q/k norms run
        expect_close(dx.download(b), expected, kBf16Rel, 1e-6, what + " in place");
      }
    }
  }
}

TEST_F(CudaNorm, AddRmsNormMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(22);
  const float eps = 1e-5f;
  for (int64_t cols : {64, 100, 896, 4096, 5120}) {
    const std::vector<float> w = random_bf16(rng, cols, 0.5f, 1.5f);
    const HostTensor host_w(DType::kBF16, 1, cols, w);
    const DeviceTensor weight(b, DType::kBF16, 1, cols, w);
    for (int64_t rows : {1, 3, 17, 255}) {
      std::vector<float> residual = random_bf16(rng, rows * cols, -2.0f, 2.0f);
      std::vector<float> x = random_bf16(rng, rows * cols, -1.0f, 1.0f);
      // The reference adds in F32; the backend stores that sum rounded to BF16 and normalises the
      // stored value, so the expectation normalises the rounded sum too.
      std::vector<float> ref_residual = residual, ref_out(x.size());
      Tensor rr = f32_view(ref_residual, rows, cols), ro = f32_view(ref_out, rows, cols);
      reference::add_rms_norm(rr, f32_view(x, rows, cols), host_w.t, eps, ro);
      ref_residual = round_bf16(ref_residual);
      reference::rms_norm(f32_view(ref_residual, rows, cols), host_w.t, eps, ro);
      DeviceTensor dres(b, DType::kBF16, rows, cols, residual), dx(b, DType::kBF16, rows, cols, x);
      DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
      b.add_rms_norm(dres.t, dx.t, weight.t, eps, out.t);
      const std::string what = shape_name("add_rms_norm", rows, cols);
      expect_close(dres.download(b), ref_residual, 0.0, 0.0, what + " residual");
      expect_close(out.download(b), ref_out, kBf16Rel, 1e-6, what + " out");
    }
  }
}

using CudaRope = CudaTest;

TEST_F(CudaRope, MatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(31);
  for (int head_dim : {64, 128, 16}) {
    for (int heads : {1, 4, 14}) {
      for (int64_t tokens : {1, 17, 255}) check_rope(b, rng, head_dim, head_dim, heads, tokens);
    }
  }
}

using CudaElementwise = CudaTest;

const std::vector<std::pair<int64_t, int64_t>> kElementwiseShapes = {{1, 4864}, {3, 100}, {17, 4864}, {255, 896},
                                                                      {5, 7}};

using GatedMulReference = void (*)(const Tensor& gate, const Tensor& up, Tensor& out);
using GatedMulOp = void (Backend::*)(const Tensor& gate, const Tensor& up, Tensor& out);

// silu_mul or gelu_tanh_mul against its reference: out of place, from misaligned pointers (the
// element path), and in place over gate, as the MLP runs it.
void check_gated_mul(Backend& b, const char* name, GatedMulReference reference_op, GatedMulOp op, int64_t rows,
                     int64_t cols, std::vector<float> gate, std::vector<float> up) {
  std::vector<float> expected(gate.size());
  Tensor ro = f32_view(expected, rows, cols);
  reference_op(f32_view(gate, rows, cols), f32_view(up, rows, cols), ro);
  const std::string what = shape_name(name, rows, cols);
  DeviceTensor dg(b, DType::kBF16, rows, cols, gate), du(b, DType::kBF16, rows, cols, up);
  DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
  (b.*op)(dg.t, du.t, out.t);
  expect_close(out.download(b), expected, kBf16Rel, 1e-6, what);
  DeviceTensor mg(b, DType::kBF16, rows, cols, gate, 2), mu(b, DType::kBF16, rows, cols, up, 6);
  DeviceTensor mout = DeviceTensor::poisoned(b, DType::kBF16, rows, cols, 10);
  (b.*op)(mg.t, mu.t, mout.t);
  expect_close(mout.download(b), expected, kBf16Rel, 1e-6, what + " misaligned");
  (b.*op)(dg.t, du.t, dg.t);
  expect_close(dg.download(b), expected, kBf16Rel, 1e-6, what + " in place");
}

TEST_F(CudaElementwise, SiluMulMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(41);
  for (auto [rows, cols] : kElementwiseShapes) {
    std::vector<float> gate = random_bf16(rng, rows * cols, -6.0f, 6.0f), up = random_bf16(rng, rows * cols, -2.0f, 2.0f);
    check_gated_mul(b, "silu_mul", reference::silu_mul, &Backend::silu_mul, rows, cols, gate, up);
  }
}

TEST_F(CudaElementwise, AddIsTheRoundedF32Sum) {
  Backend& b = cuda_backend();
  std::mt19937 rng(42);
  for (auto [rows, cols] : kElementwiseShapes) {
    std::vector<float> x = random_bf16(rng, rows * cols, -4.0f, 4.0f), y = random_bf16(rng, rows * cols);
    std::vector<float> expected = x;
    Tensor rx = f32_view(expected, rows, cols);
    reference::add(rx, f32_view(y, rows, cols));
    expected = round_bf16(expected);
    DeviceTensor dx(b, DType::kBF16, rows, cols, x), dy(b, DType::kBF16, rows, cols, y);
    b.add(dx.t, dy.t);
    expect_close(dx.download(b), expected, 0.0, 0.0, shape_name("add", rows, cols));
  }
}

// Gates (BF16) where GELU's tanh saturates both ways, e^(-2u) overflows and underflows, zeros of
// both signs, tiny magnitudes; the rest random in [-12, 12].
std::vector<float> gelu_gates(std::mt19937& rng, int64_t n) {
  std::vector<float> g = random_bf16(rng, n, -12.0f, 12.0f);
  const float extremes[] = {-1e30f, -100.0f, -20.0f, -10.5f, -10.0f, -7.0f, -5.0f, -3.0f, -1.0f, -0.0f, 0.0f,
                            1e-8f,  -1e-8f,  0.5f,   3.0f,   10.0f,  20.0f, 100.0f, 1e30f, -2.5f};
  for (size_t i = 0; i < g.size() && i < std::size(extremes); ++i) g[i * 7 % g.size()] = round_bf16(extremes[i]);
  return g;
}

TEST_F(CudaElementwise, GeluTanhMulMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(43);
  for (auto [rows, cols] : kElementwiseShapes) {
    std::vector<float> gate = gelu_gates(rng, rows * cols), up = random_bf16(rng, rows * cols, -2.0f, 2.0f);
    check_gated_mul(b, "gelu_tanh_mul", reference::gelu_tanh_mul, &Backend::gelu_tanh_mul, rows, cols, gate, up);
  }
}

TEST_F(CudaElementwise, ScaleIsTheRoundedF32Product) {
  Backend& b = cuda_backend();
  std::mt19937 rng(44);
  for (auto [rows, cols] : kElementwiseShapes) {
    for (float s : {std::sqrt(2304.0f), 0.37f, -3.0f}) {
      std::vector<float> x = random_bf16(rng, rows * cols, -4.0f, 4.0f);
      x[0] = 0.0f, x[size_t(rows * cols) / 2] = round_bf16(3e38f);
      // BF16 activations: the F32 product rounded to BF16, exactly.
      std::vector<float> expected = x;
      Tensor rx = f32_view(expected, rows, cols);
      reference::scale(rx, s);
      expected = round_bf16(expected);
      DeviceTensor dx(b, DType::kBF16, rows, cols, x);
      b.scale(dx.t, s);
      expect_close(dx.download(b), expected, 0.0, 0.0, shape_name("scale", rows, cols));
      // F32, aligned and not: the F32 product, exactly.
      std::vector<float> expected_f32 = x;
      Tensor rf = f32_view(expected_f32, rows, cols);
      reference::scale(rf, s);
      for (size_t offset : {size_t(0), size_t(4)}) {
        DeviceTensor df(b, DType::kF32, rows, cols, x, offset);
        b.scale(df.t, s);
        expect_close(df.download(b), expected_f32, 0.0, 0.0,
                     shape_name("scale f32", rows, cols) + " offset " + std::to_string(offset));
      }
    }
  }
}

// Soft-capping F32 logits (the logits buffer, vocabulary-wide rows) and BF16 activations: values far
// below the cap (tanh linear), around it, and far above (saturated).
TEST_F(CudaElementwise, SoftcapMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(45);
  std::vector<std::pair<int64_t, int64_t>> shapes = kElementwiseShapes;
  shapes.push_back({2, 256000});
  for (auto [rows, cols] : shapes) {
    for (float cap : {30.0f, 50.0f, 0.25f}) {
      std::vector<float> x = random_bf16(rng, rows * cols, -4.0f * cap, 4.0f * cap);
      const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 3e-3f, -3e-3f, 0.6f * cap, -0.65f * cap, cap, -cap,
                                20.0f * cap, -20.0f * cap, 1e4f, -1e4f, 3e38f, -3e38f};
      for (size_t i = 0; i < x.size() && i < std::size(extremes); ++i) x[i * 3 % x.size()] = round_bf16(extremes[i]);
      std::vector<float> expected = x;
      Tensor rx = f32_view(expected, rows, cols);
      reference::softcap(rx, cap);
      const std::string name = shape_name("softcap", rows, cols) + " cap " + std::to_string(cap);
      // F32: x / cap (correctly rounded), CUDA's tanhf (2 ulps) and the product: 8 ulps bound it.
      for (size_t offset : {size_t(0), size_t(4)}) {
        DeviceTensor df(b, DType::kF32, rows, cols, x, offset);
        b.softcap(df.t, cap);
        const std::vector<float> got = df.download(b);
        expect_close(got, expected, 8.0 * FLT_EPSILON, 1e-43, name + " f32 offset " + std::to_string(offset));
        for (size_t i = 0; i < got.size(); ++i) ASSERT_LE(std::fabs(got[i]), cap) << name << " element " << i;
      }
      DeviceTensor dx(b, DType::kBF16, rows, cols, x);
      b.softcap(dx.t, cap);
      expect_close(dx.download(b), expected, kBf16Rel, 1e-30, name + " bf16");
    }
  }
}

using CudaGather = CudaTest;

TEST_F(CudaGather, GatherRowsCopiesExactly) {
  Backend& b = cuda_backend();
  std::mt19937 rng(51);
  const int64_t x_rows = 300;
  for (auto [dtype, cols] : std::vector<std::pair<DType, int64_t>>{
           {DType::kBF16, 896}, {DType::kBF16, 151}, {DType::kF32, 10}, {DType::kF32, 4096}}) {
    const std::vector<float> values = random_bf16(rng, x_rows * cols);
    std::vector<float> x_f32 = values;
    const DeviceTensor x(b, dtype, x_rows, cols, values);
    for (int n : {1, 3, 17}) {
      std::vector<int32_t> rows(static_cast<size_t>(n));
      for (int32_t& r : rows) r = int32_t(rng() % x_rows);
      rows.back() = int32_t(x_rows - 1);
      std::vector<float> expected(size_t(n * cols));
      Tensor ro = f32_view(expected, n, cols);
      reference::gather_rows(f32_view(x_f32, x_rows, cols), rows.data(), ro);
      DeviceBuffer d_rows = upload_ints(b, rows);
      DeviceTensor out = DeviceTensor::poisoned(b, dtype, n, cols);
      b.gather_rows(x.t, static_cast<const int32_t*>(d_rows.data()), out.t);
      expect_close(out.download(b), expected, 0.0, 0.0,
                   shape_name("gather_rows", n, cols) + " " + std::string(dtype_name(dtype)));
    }
  }
}

TEST_F(CudaGather, CopyKvBlocksCopiesInOrder) {
  Backend& b = cuda_backend();
  std::mt19937 rng(52);
  const int block_size = 16, num_blocks = 8;
  const int64_t rows = int64_t(block_size) * num_blocks, cols = 2 * 64;
  const std::vector<float> k = random_bf16(rng, rows * cols), v = random_bf16(rng, rows * cols);
  DeviceTensor dk(b, DType::kBF16, rows, cols, k), dv(b, DType::kBF16, rows, cols, v);
  KvCacheLayer cache{dk.t, dv.t};
  // In order: block 5 becomes block 1, then block 7 becomes (the new) block 5, so block 1's rows.
  const std::vector<int32_t> pairs = {1, 5, 2, 6, 5, 7};
  b.copy_kv_blocks(cache, pairs.data(), 3, block_size);
  auto apply = [&](std::vector<float> t) {
    const size_t block = size_t(block_size * cols);
    for (size_t i = 0; i < pairs.size(); i += 2)
      std::copy_n(t.begin() + pairs[i] * block, block, t.begin() + pairs[i + 1] * block);
    return t;
  };
  expect_close(dk.download(b), apply(k), 0.0, 0.0, "copy_kv_blocks K");
  expect_close(dv.download(b), apply(v), 0.0, 0.0, "copy_kv_blocks V");
}

// feed_tokens against the CPU backend's, at awkward sizes, with some ids fed and some kept.
TEST_F(CudaGather, FeedTokensMatchesTheCpuBackend) {
  Backend& b = cuda_backend();
  const std::unique_ptr<Backend> cpu = make_cpu_backend(1);
  std::mt19937 rng(53);
  for (int num_sampled : {1, 3, 255}) {
    std::vector<int32_t> sampled(static_cast<size_t>(num_sampled));
    for (int32_t& t : sampled) t = int32_t(rng() % 128000);
    for (int n : {1, 3, 17, 255, 4099}) {
      std::vector<int32_t> ids(static_cast<size_t>(n)), sources(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        ids[size_t(i)] = int32_t(rng() % 1000);
        sources[size_t(i)] = rng() % 3 == 0 ? -1 : int32_t(rng() % uint32_t(num_sampled));
      }
      std::vector<int32_t> expected = ids;
      cpu->feed_tokens(expected.data(), sources.data(), n, sampled.data(), num_sampled);
      DeviceBuffer d_ids = upload_ints(b, ids), d_sources = upload_ints(b, sources), d_sampled = upload_ints(b, sampled);
      b.feed_tokens(static_cast<int32_t*>(d_ids.data()), static_cast<const int32_t*>(d_sources.data()), n,
                    static_cast<const int32_t*>(d_sampled.data()), num_sampled);
      std::vector<int32_t> got(static_cast<size_t>(n));
      b.copy_to_host(got.data(), d_ids.data(), got.size() * sizeof(int32_t));
      EXPECT_EQ(got, expected) << "feed_tokens n=" << n << " from " << num_sampled;
    }
  }
}

// Two samples in flight (a step scheduled ahead): each collect returns its own call's results,
// the same as a sample on its own, and the device copy of the ids holds the latest call's.
TEST_F(CudaGather, SampleAsyncKeepsTwoCallsApart) {
  Backend& b = cuda_backend();
  std::mt19937 rng(54);
  const int64_t vocab = 1000;
  auto make_logits = [&](int rows) {
    std::vector<float> v = random_floats(rng, rows * vocab, -4.0f, 4.0f);
    for (int r = 0; r < rows; ++r) v[size_t(r * vocab + (r * 37) % vocab)] = 10.0f;  // a clear argmax per row
    return v;
  };
  const std::vector<float> a = make_logits(3), c = make_logits(17);
  auto greedy_rows = [](int rows) {
    SamplingRow r;
    r.temperature = 0.0f;
    r.num_logprobs = 2;
    return std::vector<SamplingRow>(size_t(rows), r);
  };
  const std::vector<SamplingRow> rows_a = greedy_rows(3), rows_c = greedy_rows(17);
  DeviceTensor la(b, DType::kF32, 3, vocab, a), lc(b, DType::kF32, 17, vocab, c);
  const int32_t* ids_a = b.sample_async({la.t, rows_a, {}, {}});
  ASSERT_NE(ids_a, nullptr);
  const int32_t* ids_c = b.sample_async({lc.t, rows_c, {}, {}});
  const DeviceSamplingResult ra = b.collect_sampled();
  std::vector<int32_t> got_a(ra.tokens.begin(), ra.tokens.end());
  const DeviceSamplingResult rc = b.collect_sampled();
  std::vector<int32_t> got_c(rc.tokens.begin(), rc.tokens.end());
  for (int r = 0; r < 3; ++r) EXPECT_EQ(got_a[size_t(r)], (r * 37) % vocab) << "first call, row " << r;
  for (int r = 0; r < 17; ++r) EXPECT_EQ(got_c[size_t(r)], (r * 37) % vocab) << "second call, row " << r;
  EXPECT_EQ(ra.top_ids.size(), size_t(3) * kMaxDeviceLogprobs);
  std::vector<int32_t> on_device(17);
  b.copy_to_host(on_device.data(), ids_c, on_device.size() * sizeof(int32_t));
  EXPECT_EQ(on_device, got_c);
  // An empty sample still makes a round (it marks a step with nothing to sample).
  EXPECT_EQ(b.sample_async({Tensor{lc.t.data, DType::kF32, 0, vocab}, {}, {}, {}}), nullptr);
  EXPECT_TRUE(b.collect_sampled().tokens.empty());
}

using CudaIndexChecksDeathTest = CudaDeathTest;

TEST_F(CudaIndexChecksDeathTest, BadIndicesAbortWithTheOpsMessage) {
  const auto bad_embedding_id = [] {
    Backend& b = cuda_backend();
    const DeviceTensor table(b, DType::kBF16, 10, 8, std::vector<float>(80, 1.0f));
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 2, 8);
    DeviceBuffer ids = upload_ints(b, {3, 10});
    b.embedding(table.t, static_cast<const int32_t*>(ids.data()), out.t);
    b.synchronize();
  };
  EXPECT_DEATH(bad_embedding_id(), "embedding: id 10 at 1 is outside");
  const auto bad_slot = [] {
    Backend& b = cuda_backend();
    const DeviceTensor k(b, DType::kBF16, 2, 16, std::vector<float>(32, 1.0f));
    DeviceTensor kc(b, DType::kBF16, 32, 16, std::vector<float>(512, 0.0f));
    DeviceTensor vc(b, DType::kBF16, 32, 16, std::vector<float>(512, 0.0f));
    KvCacheLayer cache{kc.t, vc.t};
    DeviceBuffer slots = upload_ints(b, {-1, 32});
    AttentionBatch batch;
    batch.num_tokens = 2;
    batch.slot_mapping = static_cast<const int32_t*>(slots.data());
    b.write_kv(k.t, k.t, batch, cache);
    b.synchronize();
  };
  EXPECT_DEATH(bad_slot(), "write_kv: slot 32 of token 1 is outside");
  const auto bad_feed = [] {
    Backend& b = cuda_backend();
    DeviceBuffer ids = upload_ints(b, {0, 0}), sources = upload_ints(b, {-1, 5}), sampled = upload_ints(b, {1, 2, 3});
    b.feed_tokens(static_cast<int32_t*>(ids.data()), static_cast<const int32_t*>(sources.data()), 2,
                  static_cast<const int32_t*>(sampled.data()), 3);
    b.synchronize();
  };
  EXPECT_DEATH(bad_feed(), "feed_tokens: source 5 of id 1 is outside 3 sampled tokens");
}

// Host-side argument checks of the Gemma ops.
using CudaElementwiseDeathTest = CudaDeathTest;

TEST_F(CudaElementwiseDeathTest, BadArgumentsAbort) {
  const auto zero_cap = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kF32, 1, 8, std::vector<float>(8, 1.0f));
    b.softcap(x.t, 0.0f);
  };
  EXPECT_DEATH(zero_cap(), "softcap: cap 0 must be finite and > 0");
  const auto f16_scale = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kF16, 1, 8, std::vector<float>(8, 1.0f));
    b.scale(x.t, 2.0f);
  };
  EXPECT_DEATH(f16_scale(), "scale: x must be BF16 or F32");
  const auto overlapping = [] {
    Backend& b = cuda_backend();
    DeviceTensor gate_up(b, DType::kBF16, 2, 16, std::vector<float>(32, 1.0f));
    Tensor out{static_cast<char*>(gate_up.t.data) + 16, DType::kBF16, 2, 8};
    b.gelu_tanh_mul_fused(gate_up.t, out);
  };
  EXPECT_DEATH(overlapping(), "gelu_tanh_mul_fused: out overlaps gate_up");
}

using CudaFused = CudaTest;

using GatedMulFusedReference = void (*)(const Tensor& gate_up, Tensor& out);
using GatedMulFusedOp = void (Backend::*)(const Tensor& gate_up, Tensor& out);

// A stacked-projection op (silu_mul_fused, gelu_tanh_mul_fused) against its reference, aligned and
// from misaligned rows (the element path).
void check_gated_mul_fused(Backend& b, const char* name, GatedMulFusedReference reference_op, GatedMulFusedOp op,
                           int64_t rows, int64_t n, std::vector<float> gate_up) {
  std::vector<float> expected(size_t(rows * n));
  Tensor ro = f32_view(expected, rows, n);
  reference_op(f32_view(gate_up, rows, 2 * n), ro);
  DeviceTensor dgu(b, DType::kBF16, rows, 2 * n, gate_up);
  DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, n);
  (b.*op)(dgu.t, out.t);
  expect_close(out.download(b), expected, kBf16Rel, 1e-6, shape_name(name, rows, n));
  DeviceTensor mgu(b, DType::kBF16, rows, 2 * n, gate_up, 2);
  DeviceTensor mout = DeviceTensor::poisoned(b, DType::kBF16, rows, n, 2);
  (b.*op)(mgu.t, mout.t);
  expect_close(mout.download(b), expected, kBf16Rel, 1e-6, shape_name(name, rows, n) + " misaligned");
}

TEST_F(CudaFused, SiluMulFusedMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(47);
  for (auto [rows, n] : kElementwiseShapes) {
    std::vector<float> gate_up = random_bf16(rng, rows * 2 * n, -6.0f, 6.0f);
    check_gated_mul_fused(b, "silu_mul_fused", reference::silu_mul_fused, &Backend::silu_mul_fused, rows, n, gate_up);
  }
}

TEST_F(CudaFused, GeluTanhMulFusedMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(48);
  for (auto [rows, n] : kElementwiseShapes) {
    const std::vector<float> gate = gelu_gates(rng, rows * n), up = random_bf16(rng, rows * n, -2.0f, 2.0f);
    std::vector<float> gate_up(size_t(rows * 2 * n));
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(gate.begin() + r * n, n, gate_up.begin() + r * 2 * n);
      std::copy_n(up.begin() + r * n, n, gate_up.begin() + r * 2 * n + n);
    }
    check_gated_mul_fused(b, "gelu_tanh_mul_fused", reference::gelu_tanh_mul_fused, &Backend::gelu_tanh_mul_fused,
                          rows, n, gate_up);
  }
}

TEST_F(CudaFused, QkvRopeWriteKvMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(53);
  // Each shape without and with Qwen3's per-head q/k norm; full rotary (partial rotary is in
  // cuda_neox_ops_test.cc).
  for (const bool with_norm : {false, true}) {
    for (const QkvRopeShape s : {QkvRopeShape{32, 8, 128, 128, 3}, QkvRopeShape{4, 4, 64, 64, 17},
                                 QkvRopeShape{14, 2, 64, 64, 255}, QkvRopeShape{8, 1, 16, 16, 5}})
      check_qkv_rope_write_kv(b, rng, s, with_norm);
  }
}

using CudaWriteKv = CudaTest;

TEST_F(CudaWriteKv, NegativeSlotsAreSkipped) {
  Backend& b = cuda_backend();
  const DeviceTensor k(b, DType::kBF16, 2, 16, std::vector<float>(32, 1.0f));
  DeviceTensor kc(b, DType::kBF16, 32, 16, std::vector<float>(512, 0.0f));
  DeviceTensor vc(b, DType::kBF16, 32, 16, std::vector<float>(512, 0.0f));
  KvCacheLayer cache{kc.t, vc.t};
  DeviceBuffer slots = upload_ints(b, {-1, 5});
  AttentionBatch batch;
  batch.num_tokens = 2;
  batch.slot_mapping = static_cast<const int32_t*>(slots.data());
  b.write_kv(k.t, k.t, batch, cache);
  const std::vector<float> got = kc.download(b);
  for (int64_t r = 0; r < 32; ++r)
    for (int c = 0; c < 16; ++c) ASSERT_EQ(got[size_t(r * 16 + c)], r == 5 ? 1.0f : 0.0f) << r << "," << c;
}

}  // namespace
}  // namespace turbine::test
