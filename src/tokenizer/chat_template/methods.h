// Python methods callable from templates: `content.strip('\n')`, `message.get('x')`, ...
//
// str: strip lstrip rstrip split rsplit splitlines startswith endswith upper lower title
//      capitalize swapcase casefold replace find rfind index rindex count join format
//      isdigit isdecimal isnumeric isalpha isalnum isspace islower isupper zfill center ljust
//      rjust partition rpartition removeprefix removesuffix
// dict: get items keys values copy
// list: append (mutates; Python's sandbox refuses it, accepted for templates written for other
//       engines), index count copy
#pragma once

#include <string_view>

#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

bool has_method(const Value& object, std::string_view name);
// precondition: has_method(object, name)
Value call_method(const Value& object, std::string_view name, CallArgs& args);
// The method as a callable value (for `x.strip` used without a call).
Value bind_method(const Value& object, std::string_view name);

}  // namespace turbine::chat_template
