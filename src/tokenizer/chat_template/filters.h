// Jinja2's built-in filters, with transformers' `tojson`, as Python renders them.
//
// abs attr batch capitalize center count d default dictsort e escape first float forceescape
// format indent int items join last length list lower map max min pprint reject rejectattr
// replace reverse round safe select selectattr sort string sum title tojson trim truncate
// unique upper wordcount.
// Python returns generators from map/select/reject/unique/...; these return lists, which render
// the same through join/list/for but also allow |length.
#pragma once

#include <string_view>

#include "tokenizer/chat_template/ast.h"

namespace turbine::chat_template {

// nullptr when no filter has that name.
FilterFn find_filter(std::string_view name);

// Looks up `attribute` the way Jinja2's filters do: "a.b.0" walks item["a"]["b"][0].
Value lookup_attribute_path(const Value& item, const Value& attribute);

}  // namespace turbine::chat_template
