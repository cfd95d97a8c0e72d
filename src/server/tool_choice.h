// tools / tool_choice / parallel_tool_calls: which tool calls a chat request allows or demands,
// and, for the demanding choices, the output constraint that enforces them (as vLLM does):
//  - "none": the tools reach the template only; the output is plain content;
//  - "auto" (the default when tools are given): the model decides; its output is parsed by the
//    server's --tool-call-parser (without --enable-auto-tool-choice this is a 400, as in vLLM);
//  - "required": the output must be a JSON array of one or more {"name", "parameters"} objects,
//    each naming a tool and matching its parameter schema (at most one when parallel_tool_calls
//    is false);
//  - {"type": "function", "function": {"name": N}}: the output is N's arguments, a JSON object
//    matching its parameter schema.
#pragma once

#include <optional>
#include <string>

#include "server/json_request.h"
#include "server/structured_output_fields.h"

namespace turbine::server {

struct ToolChoice {
  enum class Mode { kNone, kAuto, kRequired, kNamed };
  Mode mode = Mode::kNone;
  std::string name;              // kNamed: the tool
  bool parallel_tool_calls = true;
};

// Parses tool_choice and parallel_tool_calls against `tools` (null or the request's list, whose
// entries are checked here: {"type": "function", "function": {"name", "parameters"?}}). Throws
// ApiError 400 naming the field.
ToolChoice parse_tool_choice(const JsonObjectReader& body, const Json& tools);

// The constraint of a required or named choice (nullopt for none and auto).
std::optional<OutputConstraint> tool_choice_constraint(const ToolChoice& choice, const Json& tools);

}  // namespace turbine::server
