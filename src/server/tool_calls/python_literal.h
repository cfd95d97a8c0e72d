// Python literals (what ast.literal_eval reads) to the JSON json.dumps would write for them.
//
// vLLM's qwen3_coder parser types a parameter's text by the tool's schema; for object, array and
// unknown types it tries json.loads and then ast.literal_eval, so a model that writes
// {'city': 'Paris', 'days': (1, 2), 'ok': True} still passes a dict. This reads the literals that
// map to JSON: numbers (decimal, 0x/0o/0b, floats, underscores between digits, unary signs),
// strings ('...', "...", triple-quoted, r/u prefixes, adjacent ones joined, Python's escapes),
// True, False, None, lists, tuples (as lists) and dicts (int, float, bool and None keys become
// strings as json.dumps makes them). Anything else - sets, bytes, complex numbers, \N{...}
// escapes, expressions - is refused, and the caller keeps the text as a string (where Python
// would refuse too, or fail later in json.dumps).
#pragma once

#include <string>
#include <string_view>

namespace turbine::server {

// Appends the json.dumps text of the literal `text` to `out`; false (with `out` unspecified) if
// `text` is not such a literal.
bool python_literal_to_json(std::string_view text, std::string& out);

}  // namespace turbine::server
