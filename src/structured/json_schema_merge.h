// allOf for JSON Schema to grammar: two schemas merged into one that accepts exactly what both
// accept (type intersection, required union, properties merged as allOf, the tighter of each
// bound, enum / const intersection), or a turbine::Error "allOf at <pointer> combines '<keyword>'
// ..." where that can't be done exactly (two different patterns or formats, additionalProperties
// facing properties only the other side lists, ...).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace turbine::structured {

// Both schemas flattened: objects without $ref, allOf or annotation keywords. `ptr` locates the
// allOf for error messages.
nlohmann::ordered_json merge_schemas(nlohmann::ordered_json a, const nlohmann::ordered_json& b, const std::string& ptr);

}  // namespace turbine::structured
