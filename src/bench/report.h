// The human-readable summaries `turbine bench` prints on stdout, in the layout of vLLM's
// benchmark scripts so the two can be read side by side.
#pragma once

#include <string>

#include "bench/serve_benchmark.h"

namespace turbine::bench {

std::string serve_report(const ServeBenchmarkResult& result, bool with_goodput);

}  // namespace turbine::bench
