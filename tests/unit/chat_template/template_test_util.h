// Helpers for chat template unit tests: render a template string against a JSON context.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace turbine::chat_template_test {

// Renders `source` with `context` (a JSON object given as text, default empty).
std::string render(const std::string& source, const std::string& context = "{}");

// The turbine::Error message of compiling + rendering, or "" if it succeeded.
std::string render_error(const std::string& source, const std::string& context = "{}");

}  // namespace turbine::chat_template_test
