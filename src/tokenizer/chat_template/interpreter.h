// Renders a parsed Program against a JSON context.
//
// Scoping follows Jinja2: `set` at top level or inside `if` assigns in the enclosing scope; each
// for-loop iteration, macro call, `with`, filter block and block `set` gets a fresh child scope,
// so assignments inside a loop body neither leak out nor survive into the next iteration (that is
// what namespace() is for). Runtime failures throw turbine::Error naming the template line and
// column; raise_exception() throws turbine::Error with exactly its message.
//
// One render_template() call owns all the values it creates, so concurrent calls on the same
// Program are safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "tokenizer/chat_template/ast.h"

namespace turbine::chat_template {

// Every top-level key of `context` (a JSON object) becomes a template variable.
std::string render_template(const Program& program, const nlohmann::ordered_json& context);

}  // namespace turbine::chat_template
