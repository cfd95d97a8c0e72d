#include "server/tool_choice.h"

#include "server/api_error.h"

namespace turbine::server {
namespace {

const Json& function_of(const Json& tool) { return tool["function"]; }

void check_tools(const Json& tools) {
  if (tools.is_null()) return;
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string param = fmt::format("tools[{}]", i);
    const Json& tool = tools[i];
    if (!tool.is_object()) fail_param(param, "'{}' must be an object with \"type\" and \"function\"", param);
    if (!tool.contains("type") || tool["type"] != "function")
      fail_param(param + ".type", "'{}.type' must be \"function\"", param);
    if (!tool.contains("function") || !tool["function"].is_object())
      fail_param(param + ".function", "'{}.function' is required", param);
    const Json& f = tool["function"];
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
      fail_param(param + ".function.name", "'{}.function.name' must be a non-empty string", param);
    if (f.contains("parameters") && !f["parameters"].is_null() && !f["parameters"].is_object())
      fail_param(param + ".function.parameters", "'{}.function.parameters' must be a JSON Schema object", param);
  }
}

const Json* find_tool(const Json& tools, const std::string& name) {
  if (tools.is_null()) return nullptr;
  for (const Json& tool : tools)
    if (function_of(tool)["name"] == name) return &tool;
  return nullptr;
}

Json parameters_of(const Json& tool) {
  const Json& f = function_of(tool);
  if (f.contains("parameters") && f["parameters"].is_object()) return f["parameters"];
  return Json{{"type", "object"}, {"properties", Json::object()}};
}

}  // namespace

ToolChoice parse_tool_choice(const JsonObjectReader& body, const Json& tools) {
  check_tools(tools);
  ToolChoice choice;
  choice.parallel_tool_calls = body.boolean("parallel_tool_calls").value_or(true);
  const bool has_tools = !tools.is_null() && !tools.empty();
  const Json* value = body.find("tool_choice");
  if (!value) {
    choice.mode = has_tools ? ToolChoice::Mode::kAuto : ToolChoice::Mode::kNone;
    return choice;
  }
  if (value->is_string()) {
    const std::string s = value->get<std::string>();
    if (s == "none") choice.mode = ToolChoice::Mode::kNone;
    else if (s == "auto") choice.mode = ToolChoice::Mode::kAuto;
    else if (s == "required") choice.mode = ToolChoice::Mode::kRequired;
    else fail_param("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or a named function, got \"{}\"", s);
  } else if (value->is_object()) {
    const JsonObjectReader r(*value, "tool_choice");
    if (r.string("type").value_or("") != "function")
      fail_param("tool_choice.type", "'tool_choice.type' must be \"function\"");
    const Json* f = r.find("function");
    if (!f || !f->is_object() || !f->contains("name") || !(*f)["name"].is_string())
      fail_param("tool_choice.function.name", "'tool_choice.function.name' is required");
    choice.mode = ToolChoice::Mode::kNamed;
    choice.name = (*f)["name"].get<std::string>();
    if (!find_tool(tools, choice.name))
      fail_param("tool_choice.function.name", "tool_choice names the function '{}', which is not among the tools",
                 choice.name);
  } else {
    fail_param("tool_choice", "'tool_choice' must be a string or an object");
  }
  if ((choice.mode == ToolChoice::Mode::kRequired || choice.mode == ToolChoice::Mode::kAuto) && !has_tools)
    fail_param("tool_choice", "tool_choice \"{}\" needs a non-empty 'tools' list",
               choice.mode == ToolChoice::Mode::kRequired ? "required" : "auto");
  return choice;
}

std::optional<OutputConstraint> tool_choice_constraint(const ToolChoice& choice, const Json& tools) {
  if (choice.mode == ToolChoice::Mode::kNamed) {
    const Json* tool = find_tool(tools, choice.name);
    return OutputConstraint{structured::ConstraintSpec{structured::ConstraintKind::kJsonSchema, parameters_of(*tool).dump()},
                            "tools"};
  }
  if (choice.mode != ToolChoice::Mode::kRequired) return std::nullopt;
  // [{"name": N, "parameters": {...}}, ...]: one alternative per tool. A tool's $defs move to the
  // top, where its "#/$defs/..." references resolve (vLLM does the same); two tools defining one
  // name differently cannot both be satisfied there.
  Json options = Json::array();
  Json defs = Json::object();  // "$defs" / "definitions" -> name -> schema, kept under the key used
  for (const Json& tool : tools) {
    Json parameters = parameters_of(tool);
    for (const char* key : {"$defs", "definitions"}) {
      if (!parameters.contains(key)) continue;
      if (!parameters[key].is_object()) continue;
      Json& into = defs[key];
      if (into.is_null()) into = Json::object();
      for (const auto& [name, def] : parameters[key].items()) {
        if (into.contains(name) && into[name] != def)
          fail_param("tools", "two tools define '{}' in their {} differently; tool_choice \"required\" needs one "
                              "definition per name", name, key);
        into[name] = def;
      }
      parameters.erase(key);
    }
    options.push_back(Json{{"type", "object"},
                           {"properties",
                            {{"name", {{"type", "string"}, {"enum", Json::array({function_of(tool)["name"]})}}},
                             {"parameters", parameters}}},
                           {"required", Json::array({"name", "parameters"})},
                           {"additionalProperties", false}});
  }
  Json schema{{"type", "array"}, {"minItems", 1}, {"items", {{"anyOf", options}}}};
  if (!choice.parallel_tool_calls) schema["maxItems"] = 1;
  for (const auto& [key, named] : defs.items()) schema[key] = named;
  return OutputConstraint{structured::ConstraintSpec{structured::ConstraintKind::kJsonSchema, schema.dump()}, "tools"};
}

}  // namespace turbine::server
