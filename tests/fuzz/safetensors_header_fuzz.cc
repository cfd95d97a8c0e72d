// libFuzzer target: the safetensors header parser on arbitrary file bytes.
//
// Only turbine::Error may come out of the parser (caught here); anything else escaping, a
// sanitizer report, or a broken invariant below (TURBINE_CHECK aborts) is a bug. When the parse
// succeeds, the invariants every reader relies on are checked, so the fuzzer also hunts for
// headers that validate but lie.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "model/safetensors_header.h"

namespace {

void check_invariants(const turbine::SafetensorsHeader& header, size_t file_size) {
  TURBINE_CHECK(header.data_start + header.data_size == file_size);
  uint64_t covered = 0;
  for (size_t i = 0; i < header.tensors.size(); ++i) {
    const auto& t = header.tensors[i];
    TURBINE_CHECK(i == 0 || header.tensors[i - 1].name < t.name, "not sorted: '{}'", t.name);
    TURBINE_CHECK(header.find(t.name) == &t, "find('{}')", t.name);
    TURBINE_CHECK(t.begin <= t.end && t.end <= header.data_size, "'{}' out of range", t.name);
    TURBINE_CHECK(t.nbytes() == uint64_t(t.numel()) * turbine::dtype_size(t.dtype), "'{}'", t.name);
    for (const int64_t d : t.shape) TURBINE_CHECK(d >= 0, "'{}'", t.name);
    covered += t.nbytes();
  }
  // No overlaps and no holes means the sizes add up to the data region exactly.
  TURBINE_CHECK(covered == header.data_size, "covered {} of {}", covered, header.data_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  try {
    const turbine::SafetensorsHeader header = turbine::parse_safetensors(file, "fuzz.safetensors");
    check_invariants(header, size);
  } catch (const turbine::Error&) {
    // Rejecting bad input with a message is the expected outcome.
  }
  return 0;
}
