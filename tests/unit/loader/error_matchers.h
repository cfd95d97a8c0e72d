// Test helper: run code that must throw turbine::Error and check what the message names.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/error.h"

namespace turbine::testing {

// The message of the turbine::Error that `fn` throws; a test failure (and "") if it throws
// nothing or something else.
template <typename Fn>
std::string error_message(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-turbine exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

inline void expect_contains_all(std::string_view message,
                                std::initializer_list<std::string_view> parts) {
  for (const auto part : parts) {
    EXPECT_NE(message.find(part), std::string_view::npos)
        << "message does not mention \"" << part << "\": " << message;
  }
}

}  // namespace turbine::testing
