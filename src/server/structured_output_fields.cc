#include "server/structured_output_fields.h"

#include "server/api_error.h"

namespace turbine::server {
namespace {

using structured::ConstraintKind;

// A JSON Schema given as an object, or as a string holding one (vLLM accepts both).
std::string schema_text(const Json& value, const std::string& param) {
  if (value.is_object() || value.is_boolean()) return value.dump();
  if (value.is_string()) {
    Json parsed;
    try {
      parsed = Json::parse(value.get<std::string>());
    } catch (const Json::parse_error& e) {
      fail_param(param, "'{}' is not valid JSON: {}", param, e.what());
    }
    if (!parsed.is_object() && !parsed.is_boolean()) fail_param(param, "'{}' must be a JSON Schema object", param);
    return parsed.dump();
  }
  fail_param(param, "'{}' must be a JSON Schema (an object)", param);
}

std::string choice_text(const Json& value, const std::string& param) {
  if (!value.is_array() || value.empty()) fail_param(param, "'{}' must be a non-empty list of strings", param);
  for (const Json& c : value)
    if (!c.is_string()) fail_param(param, "'{}' must be a non-empty list of strings", param);
  return value.dump();
}

std::string string_field(const Json& value, const std::string& param) {
  if (!value.is_string() || value.get<std::string>().empty()) fail_param(param, "'{}' must be a non-empty string", param);
  return value.get<std::string>();
}

void set_once(std::optional<OutputConstraint>& out, ConstraintKind kind, std::string source, std::string param) {
  if (out)
    fail_param(param, "only one output constraint may be given per request, got '{}' and '{}'", out->param, param);
  out = OutputConstraint{structured::ConstraintSpec{kind, std::move(source)}, std::move(param)};
}

void parse_response_format(const Json& format, std::optional<OutputConstraint>& out) {
  if (!format.is_object()) fail_param("response_format", "'response_format' must be an object with a \"type\"");
  const JsonObjectReader reader(format, "response_format");
  const std::optional<std::string> type = reader.string("type");
  if (!type) fail_param("response_format.type", "'response_format.type' is required");
  if (*type == "text") return;
  if (*type == "json_object") {
    set_once(out, ConstraintKind::kJsonObject, "", "response_format");
    return;
  }
  if (*type == "json_schema") {
    const Json* spec = reader.find("json_schema");
    if (!spec || !spec->is_object())
      fail_param("response_format.json_schema", "'response_format.json_schema' is required for type json_schema");
    const JsonObjectReader s(*spec, "response_format.json_schema");
    if (!s.string("name")) fail_param("response_format.json_schema.name", "'response_format.json_schema.name' is required");
    (void)s.boolean("strict");  // type-checked; the schema is enforced exactly either way
    (void)s.string("description");
    const Json* schema = s.find("schema");
    // OpenAI lets the schema be left out; the output is then any JSON object.
    if (!schema) {
      set_once(out, ConstraintKind::kJsonObject, "", "response_format");
      return;
    }
    set_once(out, ConstraintKind::kJsonSchema, schema_text(*schema, "response_format.json_schema.schema"),
             "response_format.json_schema.schema");
    return;
  }
  fail_param("response_format.type",
             "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\", got \"{}\"{}", *type,
             *type == "structural_tag" ? " (structural tags are not supported)" : "");
}

void parse_structured_outputs(const Json& value, std::optional<OutputConstraint>& out, bool& compact) {
  if (!value.is_object()) fail_param("structured_outputs", "'structured_outputs' must be an object");
  const JsonObjectReader r(value, "structured_outputs");
  if (const Json* v = r.find("json")) set_once(out, ConstraintKind::kJsonSchema, schema_text(*v, r.param("json")), r.param("json"));
  if (const Json* v = r.find("regex")) set_once(out, ConstraintKind::kRegex, string_field(*v, r.param("regex")), r.param("regex"));
  if (const Json* v = r.find("choice")) set_once(out, ConstraintKind::kChoice, choice_text(*v, r.param("choice")), r.param("choice"));
  if (const Json* v = r.find("grammar"))
    set_once(out, ConstraintKind::kGrammar, string_field(*v, r.param("grammar")), r.param("grammar"));
  if (r.boolean("json_object").value_or(false)) set_once(out, ConstraintKind::kJsonObject, "", r.param("json_object"));
  if (r.find("structural_tag")) fail_param(r.param("structural_tag"), "structural tags are not supported");
  if (r.find("whitespace_pattern"))
    fail_param(r.param("whitespace_pattern"),
               "'whitespace_pattern' is not supported (use disable_any_whitespace for compact JSON)");
  compact = r.boolean("disable_any_whitespace").value_or(false);
  // Objects never get properties their schema does not list unless it says additionalProperties:
  // this is already the behaviour, so the option is accepted and changes nothing.
  (void)r.boolean("disable_additional_properties");
  (void)r.boolean("disable_fallback");  // there is no fallback backend
  (void)r.string("backend");
}

}  // namespace

std::optional<OutputConstraint> parse_output_constraint(const JsonObjectReader& body) {
  std::optional<OutputConstraint> out;
  bool compact = false;
  if (const Json* format = body.find("response_format")) parse_response_format(*format, out);
  if (const Json* so = body.find("structured_outputs")) parse_structured_outputs(*so, out, compact);
  if (const Json* v = body.find("guided_json")) set_once(out, ConstraintKind::kJsonSchema, schema_text(*v, "guided_json"), "guided_json");
  if (const Json* v = body.find("guided_regex")) set_once(out, ConstraintKind::kRegex, string_field(*v, "guided_regex"), "guided_regex");
  if (const Json* v = body.find("guided_choice")) set_once(out, ConstraintKind::kChoice, choice_text(*v, "guided_choice"), "guided_choice");
  if (const Json* v = body.find("guided_grammar"))
    set_once(out, ConstraintKind::kGrammar, string_field(*v, "guided_grammar"), "guided_grammar");
  if (body.find("guided_whitespace_pattern"))
    fail_param("guided_whitespace_pattern", "'guided_whitespace_pattern' is not supported");
  (void)body.string("guided_decoding_backend");  // one backend here: accepted, type-checked, no effect
  if (out) out->spec.any_whitespace = !compact;
  return out;
}

}  // namespace turbine::server
