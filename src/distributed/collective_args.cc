#include "distributed/collective_args.h"

#include <fmt/format.h>

#include <cstdint>
#include <functional>

namespace turbine {

std::string describe_tensor(const Tensor& t) {
  return fmt::format("{} [{}, {}]", dtype_name(t.dtype), t.rows, t.cols);
}

bool byte_ranges_overlap(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  // std::less gives a total order over unrelated pointers, where < would not.
  const auto* a_begin = static_cast<const char*>(a);
  const auto* b_begin = static_cast<const char*>(b);
  std::less<const char*> before;
  return before(a_begin, b_begin + b_bytes) && before(b_begin, a_begin + a_bytes);
}

namespace {

// A tensor that a collective can read or write: a real shape, and memory behind any elements.
std::string tensor_problem(const Tensor& t, const char* collective, const char* name, int rank) {
  if (t.rows < 0 || t.cols < 0)
    return fmt::format("{} on rank {}: {} has a negative shape {}", collective, rank, name, describe_tensor(t));
  if (t.numel() > 0 && t.data == nullptr)
    return fmt::format("{} on rank {}: {} is {} with no memory (null data)", collective, rank, name,
                       describe_tensor(t));
  return {};
}

}  // namespace

std::string all_reduce_args_problem(const Tensor& x, int rank) {
  return tensor_problem(x, "all_reduce_sum", "x", rank);
}

std::string all_gather_args_problem(const Tensor& in, const Tensor& out, int rank, int world_size) {
  if (auto problem = tensor_problem(in, "all_gather", "in", rank); !problem.empty()) return problem;
  if (auto problem = tensor_problem(out, "all_gather", "out", rank); !problem.empty()) return problem;
  if (out.dtype != in.dtype || out.cols != in.cols || out.rows != int64_t(world_size) * in.rows)
    return fmt::format("all_gather on rank {}: out is {}, expected {} [{} x {}, {}] for in {}", rank,
                       describe_tensor(out), dtype_name(in.dtype), world_size, in.rows, in.cols,
                       describe_tensor(in));
  const Tensor own_block = out.slice_rows(int64_t(rank) * in.rows, in.rows);
  if (in.data != own_block.data && byte_ranges_overlap(in.data, in.nbytes(), out.data, out.nbytes()))
    return fmt::format("all_gather on rank {}: in overlaps out without being rank {}'s block of it", rank, rank);
  return {};
}

std::string broadcast_args_problem(const void* data, size_t bytes, int root, int rank, int world_size) {
  if (root < 0 || root >= world_size)
    return fmt::format("broadcast on rank {}: root {} is not a rank of a group of {}", rank, root, world_size);
  if (bytes > 0 && data == nullptr)
    return fmt::format("broadcast on rank {}: {} bytes from a null pointer", rank, bytes);
  return {};
}

}  // namespace turbine
