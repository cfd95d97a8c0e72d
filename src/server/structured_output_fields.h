// The request fields that constrain the output's form, as OpenAI and vLLM spell them, turned into
// one structured::ConstraintSpec:
//  - response_format: {"type": "text"} (none), {"type": "json_object"}, {"type": "json_schema",
//    "json_schema": {"name", "schema", "strict", "description"}} (OpenAI);
//  - structured_outputs: {"json" | "regex" | "choice" | "grammar" | "json_object"} with the
//    options disable_any_whitespace, disable_additional_properties (vLLM);
//  - guided_json, guided_regex, guided_choice, guided_grammar (vLLM's older spelling), with
//    guided_decoding_backend accepted and ignored (there is one backend here).
// At most one constraint per request (vLLM's rule). Anything unsupported (structural tags, a
// whitespace pattern, an unknown response_format type) is a 400 naming the field. Whether the
// constraint itself is valid (the schema, the regex, the grammar) is decided when it is compiled
// (generation_plan.cc), also a 400 naming the field.
#pragma once

#include <optional>
#include <string>

#include "server/json_request.h"
#include "structured/constraint_spec.h"

namespace turbine::server {

struct OutputConstraint {
  structured::ConstraintSpec spec;
  std::string param;  // the field it came from, for error messages ("response_format", "guided_json", ...)
};

std::optional<OutputConstraint> parse_output_constraint(const JsonObjectReader& body);

}  // namespace turbine::server
