// Checks of one rank's own collective arguments, shared by the Communicator implementations.
//
// Each returns an empty string when the arguments are fine, or a message that names the
// collective, the rank and what is wrong, for the caller to abort its group with.
#pragma once

#include <cstddef>
#include <string>

#include "common/tensor.h"

namespace turbine {

// "BF16 [7, 13]": a tensor's dtype and shape, for messages.
std::string describe_tensor(const Tensor& t);

// True when the byte ranges [a, a + a_bytes) and [b, b + b_bytes) share a byte.
bool byte_ranges_overlap(const void* a, size_t a_bytes, const void* b, size_t b_bytes);

std::string all_reduce_args_problem(const Tensor& x, int rank);
std::string all_gather_args_problem(const Tensor& in, const Tensor& out, int rank, int world_size);
std::string broadcast_args_problem(const void* data, size_t bytes, int root, int rank, int world_size);

}  // namespace turbine
