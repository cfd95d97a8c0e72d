// Parsing JSON from model files, stricter than nlohmann's defaults.
//
// nlohmann keeps the last of repeated object keys silently; in a model file a repeated tensor
// name or field means the file is not what its writer meant, so parse_strict_json rejects it.
// It also bounds nesting depth, which keeps work on garbage input small. Failures throw
// turbine::Error starting with `file_label`.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace turbine {

nlohmann::json parse_strict_json(std::string_view text, std::string_view file_label, int max_depth);

}  // namespace turbine
