#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace turbine {

void check_failed(const char* condition, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "turbine: internal check failed at %s:%d: %s%s%s\n", file, line, condition,
               message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace turbine
