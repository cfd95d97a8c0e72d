// JSON Schema to grammar: response_format json_schema, structured_outputs.json, guided_json and
// tool parameter schemas; also the schema-free json_object mode.
//
// The output is JSON text that validates against the schema (checked in tests with ajv). The
// keywords real schemas use are compiled: type (one or a list), properties, required,
// additionalProperties (false, true or a schema; the default as JsonSchemaOptions says),
// items / prefixItems (and draft-4 array `items`), enum, const, anyOf, oneOf (as anyOf: the
// alternatives real schemas write are disjoint), allOf (merged where decidable), $ref / $defs /
// definitions (JSON pointers within the document; recursion allowed), string minLength /
// maxLength / pattern / format (date, time, date-time, email, uuid, uri, ipv4, ipv6, hostname,
// duration), integer and number minimum / maximum / exclusiveMinimum / exclusiveMaximum (ranges
// of integers compiled exactly; numbers bounded where expressible), array minItems / maxItems,
// object minProperties / maxProperties where expressible, nullable (OpenAPI). Annotation keywords
// (title, description, examples, default, $schema, $id, $comment, deprecated, readOnly, ...)
// are ignored. Any other keyword, or a combination that cannot be compiled exactly, is a
// turbine::Error that names the keyword and its JSON pointer: never silently dropped.
#pragma once

#include <nlohmann/json.hpp>

#include "structured/grammar.h"

namespace turbine::structured {

struct JsonSchemaOptions {
  // Whitespace allowed between tokens. Compact JSON only when false (`{"a":1}`); otherwise the
  // gaps after '{', '[' and ',' and before '}' and ']' may hold one space, or one newline and an
  // indentation, and ':' may be followed by one space (nothing goes before ',' or ':'): compact
  // and pretty-printed JSON both fit, but a model cannot emit whitespace without end.
  bool any_whitespace = true;
  int max_whitespace = 20;  // longest indentation after a newline when any_whitespace
  // Objects without "additionalProperties" may carry other properties (the JSON Schema default)
  // when true; when false they get only the listed ones (what OpenAI's strict mode and most
  // clients mean). vLLM's default is false, as ours.
  bool allow_additional_properties_by_default = false;
  // strict=true (OpenAI's json_schema.strict): all of the above, plus every keyword must be
  // supported (the same as false here: we never drop one).
  bool strict = false;
};

// The grammar of JSON texts valid under `schema` (a JSON Schema document, draft 2020-12 with the
// draft-07 / draft-04 spellings real schemas still use). Throws turbine::Error naming the
// offending keyword and its location.
//
// Object properties are generated in the order `properties` lists them, so pass the schema as
// nlohmann::ordered_json (as the server parses requests); nlohmann::json keeps keys sorted, and the
// overload taking it can only generate them in that sorted order.
Grammar json_schema_grammar(const nlohmann::ordered_json& schema, const JsonSchemaOptions& options = {});
Grammar json_schema_grammar(const nlohmann::json& schema, const JsonSchemaOptions& options = {});

// Any JSON object (response_format {"type": "json_object"}): a top-level object whose values are
// any JSON.
Grammar json_object_grammar(const JsonSchemaOptions& options = {});

}  // namespace turbine::structured
