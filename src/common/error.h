// Errors and checks.
//
// Two kinds of failure, kept apart on purpose:
//  - `turbine::Error` is thrown for anything a user can cause (a bad model folder, a bad flag, a
//    malformed file). Its message must say what is wrong and where (file, tensor, field), because
//    it is printed to the user as-is.
//  - TURBINE_CHECK guards internal invariants: a failure is a bug in Turbine, so it prints the
//    condition and location and aborts.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace turbine {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Formats with fmt and throws turbine::Error.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void check_failed(const char* condition, const char* file, int line,
                               const std::string& message);

}  // namespace turbine

#define TURBINE_CHECK(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) [[unlikely]]                                                             \
      ::turbine::check_failed(#cond, __FILE__, __LINE__, ::fmt::format("" __VA_ARGS__)); \
  } while (0)
