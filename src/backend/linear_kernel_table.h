// A backend's linear kernels by weight format, and how each format's weights are prepared at load.
//
// Every backend fills one LinearKernelTable at construction; each format gets one of:
//  - run(format, kernel): linear() runs weights of this format as they are (read in place from
//    the mapped checkpoint on a host-memory backend, copied byte for byte to a device);
//  - convert(format, target): the weights are converted once, at load, into `target`, which has a
//    kernel (the CUDA GEMMs read dense BF16, so dense F32 and F16 checkpoints become dense BF16);
//  - nothing: the backend cannot run the format, and loading a model that has it fails with an
//    error naming the tensor, the format and the backend (model/linear_loader.h).
// The loader and model/device_weights read the preparation rule through LinearFormatSupport
// (Backend::linear_formats()); only the backend itself sees its kernels. linear() costs one array
// read (kernel(format)) and one indirect call on top of the kernel: nothing is decided per call.
// vLLM's QuantizeMethodBase is the model: `create_weights` is the loader, `apply` the kernel,
// `process_weights_after_loading` the preparation (today only dense conversions; a format whose
// backend wants another memory layout, such as Marlin's for INT4, adds its repacking here).
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "backend/linear_weights.h"
#include "backend/weight_format.h"
#include "common/error.h"

namespace turbine {

// What a backend does with each weight format at load (the kernels stay private to it).
class LinearFormatSupport {
 public:
  // The format that weights stored in `format` are in when linear() runs them: `format` itself,
  // the format they are converted to at load, or nullopt when the backend cannot run `format`.
  std::optional<WeightFormat> prepared_as(WeightFormat format) const { return prepared_as_[index(format)]; }
  bool supports(WeightFormat format) const { return prepared_as(format).has_value(); }

  // Sets `format`'s rule (LinearKernelTable does; tests may build a support table directly).
  void set(WeightFormat format, WeightFormat prepared_as) { prepared_as_[index(format)] = prepared_as; }

 private:
  static size_t index(WeightFormat format) { return size_t(format); }
  std::array<std::optional<WeightFormat>, kNumWeightFormats> prepared_as_{};
};

// `Kernel` is whatever the backend calls: a pointer to one of its member functions, typically.
template <typename Kernel>
class LinearKernelTable {
 public:
  // Weights in `format` run as they are, by `kernel`.
  LinearKernelTable& run(WeightFormat format, Kernel kernel) {
    TURBINE_CHECK(kernel != nullptr, "linear kernel table: null kernel for {}", weight_format_name(format));
    kernels_[size_t(format)] = kernel;
    support_.set(format, format);
    return *this;
  }
  // Weights in `format` are converted to `target` at load; `target` must already have a kernel.
  LinearKernelTable& convert(WeightFormat format, WeightFormat target) {
    TURBINE_CHECK(kernels_[size_t(target)] != nullptr && is_dense(format) && is_dense(target),
                  "linear kernel table: {} converts to {}, which has no kernel or is not dense (only dense "
                  "conversions exist)",
                  weight_format_name(format), weight_format_name(target));
    support_.set(format, target);
    return *this;
  }

  // The kernel that runs weights in `format` as they are; null when none does (the hot path).
  Kernel kernel(WeightFormat format) const { return kernels_[size_t(format)]; }
  const LinearFormatSupport& support() const { return support_; }

  // The error for linear() called with a format that has no kernel here: weights that skipped
  // their loader's preparation (the loader itself refuses unsupported formats before this).
  [[noreturn]] void fail_no_kernel(std::string_view backend, const LinearWeights& w) const {
    const auto prepared = support_.prepared_as(w.format);
    if (prepared) {
      fail("linear: the {} backend runs weight format {} only after converting it to {} at load; this weight is {} "
           "[{}, {}]",
           backend, weight_format_name(w.format), weight_format_name(*prepared), dtype_name(w.weight.dtype),
           w.weight.rows, w.weight.cols);
    }
    fail("linear: weight format {} is not supported by the {} backend (weight [{}, {}])", weight_format_name(w.format),
         backend, w.weight.rows, w.weight.cols);
  }

 private:
  std::array<Kernel, kNumWeightFormats> kernels_{};
  LinearFormatSupport support_;
};

}  // namespace turbine
