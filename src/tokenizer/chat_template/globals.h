// Functions every chat template can call: Jinja2's globals (range, dict, namespace, joiner)
// and transformers' (raise_exception, strftime_now).
//
// raise_exception(msg) throws turbine::Error carrying exactly `msg` (as transformers raises
// TemplateError(msg)), so a server can return it to the client verbatim. strftime_now(fmt) formats
// the current local time like Python's datetime.now().strftime(fmt). range() refuses more than
// 100000 items, as Jinja2's sandbox does.
#pragma once

#include <string_view>

#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

// nullptr when `name` is not a global. Immutable and shared by all renders.
const Value* find_global(std::string_view name);

}  // namespace turbine::chat_template
