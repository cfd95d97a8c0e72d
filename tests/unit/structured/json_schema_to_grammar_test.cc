// JSON Schema to grammar, checked with the brute-force oracle: for a table of schemas,
// hand-written valid instances (compact and pretty-printed) must be accepted and invalid ones
// rejected; instances JSON Schema allows but the grammar deliberately does not generate (other
// property orders, "-0", duplicate keys) are rejected too. Integer and number ranges are checked
// exhaustively over a window around their bounds. Strings sampled from each grammar (a random
// walk of its expressions) must parse as JSON and be accepted by the oracle; with
// TURBINE_JSON_SCHEMA_DUMP=<file> the schemas, samples and hand-written instances are written
// there for json_schema_ajv.mjs, which validates them with ajv (the ctest json_schema_ajv).
// Finally, unsupported keywords and unsatisfiable schemas must be Errors naming the keyword and
// the JSON pointer.
#include "structured/json_schema_to_grammar.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "grammar_oracle.h"

namespace turbine::structured {
namespace {

using testing::grammar_accepts;
using Json = nlohmann::ordered_json;

struct Case {
  std::string name;
  std::string schema;
  std::vector<std::string> valid;          // JSON Schema (ajv) and the grammar accept
  std::vector<std::string> invalid;        // neither accepts (or not JSON at all)
  std::vector<std::string> not_generated;  // JSON Schema accepts, the grammar (on purpose) does not
  std::string draft = "2020";              // which ajv class json_schema_ajv.mjs uses ("07", "none")
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"simple_object",
       R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]})",
       {R"({"name":"Ann","age":30})", R"({"name":"A\"n\\n\/\b\f\n\r\t\u00e9\ud83d\ude00","age":-7})", R"({"name":"","age":0})"},
       {R"({"name":"Ann"})", R"({"name":"Ann","age":"30"})", R"({"name":"Ann","age":30,})", R"({"name":"Ann","age":030})",
        R"({"name":"A\qb","age":1})", "{\"name\":\"a\x01\",\"age\":1}", R"({"name":"Ann","age":3.5})",
        R"({"name":"Ann" "age":30})", R"({"name":"\u12","age":1})", R"([])", R"("x")"},
       {R"({"age":30,"name":"Ann"})", R"({"name":"Ann","age":30,"x":1})", R"({"name":"Ann","age":-0})",
        R"({"name":"Ann","age":30.0})"}},
      {"nested",
       R"({"type":"object","properties":{"user":{"type":"object","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["id","tags"]},"ok":{"type":"boolean"}},"required":["user","ok"]})",
       {R"({"user":{"id":1,"tags":[]},"ok":true})", R"({"user":{"id":1,"tags":["a","b"]},"ok":false})"},
       {R"({"user":{"id":1},"ok":true})", R"({"user":{"id":1,"tags":["a",]},"ok":true})", R"({"user":{"id":1,"tags":[1]},"ok":true})",
        R"({"user":{"id":1,"tags":[]},"ok":null})"},
       {}},
      {"optional_mix",
       R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"},"d":{"type":"integer"},"e":{"type":"integer"}},"required":["b","d"]})",
       {R"({"b":1,"d":2})", R"({"a":0,"b":1,"d":2})", R"({"b":1,"c":3,"d":2,"e":4})", R"({"a":0,"b":1,"c":2,"d":3,"e":4})",
        R"({"b":1,"d":2,"e":5})"},
       {R"({"a":0,"d":2})", R"({"b":1})", R"({})", R"({"b":1,"d":2,})", R"({,"b":1,"d":2})", R"({"b":1,,"d":2})"},
       {R"({"d":2,"b":1})", R"({"b":1,"d":2,"f":1})"}},
      {"all_optional",
       R"({"type":"object","properties":{"a":{"type":"string"},"b":{"type":"null"},"c":{"type":"boolean"}}})",
       {R"({})", R"({"a":"x"})", R"({"b":null})", R"({"c":true})", R"({"a":"x","c":false})", R"({"a":"","b":null,"c":true})"},
       {R"({"a":1})", R"({"b":false})", R"({,})", R"({"a":"x",})"},
       {R"({"c":true,"a":"x"})", R"({"z":1})"}},
      {"additional_true",
       R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":true})",
       {R"({"a":1})", R"({"a":1,"x":[1,{"y":null}],"z":"w"})", R"({"a":1,"ab":2,"":3,"é":4})"},
       {R"({"x":1})", R"({"a":"s","x":1})", R"({"a":1,"x":})"},
       {R"({"x":1,"a":1})", R"({"a":1,"a":2})", R"({"a":1,"\u0078":1})"}},
      {"additional_schema",
       R"({"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":{"type":"string"}})",
       {R"({})", R"({"id":1})", R"({"id":1,"k":"v"})", R"({"k":"v","k2":"w"})", R"({"i":"x","idx":"y"})"},
       {R"({"k":1})", R"({"id":1,"k":2})", R"({"id":"x"})"},
       {R"({"k":"v","id":1})"}},
      {"additional_false",
       R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false})",
       {R"({})", R"({"a":1})"},
       {R"({"a":1,"b":2})", R"({"b":2})"},
       {}},
      {"property_counts",
       R"({"type":"object","additionalProperties":{"type":"integer"},"minProperties":1,"maxProperties":2})",
       {R"({"a":1})", R"({"a":1,"b":2})"},
       {R"({})", R"({"a":1,"b":2,"c":3})", R"({"a":"x"})"},
       {}},
      {"escaped_names",
       R"({"type":"object","properties":{"a\"b":{"type":"integer"},"c\\d":{"type":"integer"},"e/f":{"type":"integer"}},"required":["a\"b","c\\d","e/f"]})",
       {R"({"a\"b":1,"c\\d":2,"e/f":3})"},
       {R"({"ab":1,"c\\d":2,"e/f":3})"},
       {}},
      {"array_bounds",
       R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3})",
       {R"([1])", R"([1,2,3])", R"([-1,0])"},
       {R"([])", R"([1,2,3,4])", R"([1,])", R"([1 2])", R"(["a"])", R"([01])"},
       {}},
      {"array_many",
       R"({"type":"array","items":{"type":"boolean"},"minItems":70,"maxItems":100})",
       {"[" + [] { std::string s = "true"; for (int i = 1; i < 70; ++i) s += ",false"; return s; }() + "]",
        "[" + [] { std::string s = "true"; for (int i = 1; i < 100; ++i) s += ",true"; return s; }() + "]"},
       {"[" + [] { std::string s = "true"; for (int i = 1; i < 69; ++i) s += ",false"; return s; }() + "]",
        "[" + [] { std::string s = "true"; for (int i = 1; i < 101; ++i) s += ",true"; return s; }() + "]"},
       {}},
      {"prefix_items",
       R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})",
       {R"([])", R"(["a"])", R"(["a",1])"},
       {R"(["a",1,2])", R"([1])", R"(["a","b"])"},
       {}},
      {"prefix_items_min",
       R"({"type":"array","prefixItems":[{"type":"string"}],"items":{"type":"boolean"},"minItems":2})",
       {R"(["a",true])", R"(["a",true,false,true])"},
       {R"(["a"])", R"([])", R"(["a",1])", R"([true,true])"},
       {}},
      {"draft07_items_array",
       R"({"type":"array","items":[{"type":"integer"}],"additionalItems":{"type":"string"}})",
       {R"([])", R"([1])", R"([1,"a","b"])"},
       {R"(["a"])", R"([1,2])"},
       {},
       "07"},
      {"enum_mixed",
       R"({"enum":["red","green",null,1,{"a":[1,2]},[true]]})",
       {R"("red")", R"("green")", R"(null)", R"(1)", R"({"a":[1,2]})", R"([true])"},
       {R"("blue")", R"(2)", R"({"a":[1]})", R"("Red")", R"(true)"},
       {R"(1.0)"}},
      {"enum_typed",
       R"({"type":"string","enum":["a",1,"bb"],"maxLength":1})",
       {R"("a")"},
       {R"(1)", R"("bb")", R"("c")"},
       {}},
      {"const_object",
       R"({"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"]})",
       {R"({"kind":"circle","r":1.5})", R"({"kind":"circle","r":-2e10})"},
       {R"({"kind":"square","r":1})", R"({"kind":"circle"})", R"({"kind":"circle","r":.5})", R"({"kind":"circle","r":1.})"},
       {}},
      {"any_of",
       R"({"anyOf":[{"type":"string","maxLength":2},{"type":"integer","minimum":10}]})",
       {R"("ab")", R"("")", R"(10)", R"(99)"},
       {R"("abc")", R"(9)", R"(1.5)", R"(null)"},
       {}},
      {"any_of_required",
       R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"anyOf":[{"required":["a"]},{"required":["b"]}]})",
       {R"({"a":1})", R"({"b":2})", R"({"a":1,"b":2})"},
       {R"({})", R"({"a":"x"})"},
       {}},
      {"one_of_tagged",
       R"({"oneOf":[{"type":"object","properties":{"t":{"const":"a"},"x":{"type":"integer"}},"required":["t","x"],"additionalProperties":false},{"type":"object","properties":{"t":{"const":"b"},"y":{"type":"string"}},"required":["t","y"],"additionalProperties":false}]})",
       {R"({"t":"a","x":1})", R"({"t":"b","y":"s"})"},
       {R"({"t":"a","y":"s"})", R"({"t":"c","x":1})"},
       {}},
      {"all_of",
       R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":0}},"required":["a"]},{"properties":{"b":{"type":"string"},"a":{"maximum":5}},"required":["b"]}]})",
       {R"({"a":0,"b":"x"})", R"({"a":5,"b":""})"},
       {R"({"a":1})", R"({"a":6,"b":"x"})", R"({"a":-1,"b":"x"})"},
       {}},
      {"ref_linked_list",
       R"({"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}},"required":["value","next"]}},"$ref":"#/$defs/node"})",
       {R"({"value":1,"next":null})", R"({"value":1,"next":{"value":2,"next":{"value":3,"next":null}}})"},
       {R"({"value":1})", R"({"value":1,"next":{"value":"x","next":null}})", R"({"value":1,"next":{}})"},
       {}},
      {"ref_root_tree",
       R"({"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name"]})",
       {R"({"name":"r"})", R"({"name":"r","children":[{"name":"a"},{"name":"b","children":[{"name":"c","children":[]}]}]})"},
       {R"({"name":"r","children":[{}]})", R"({"name":"r","children":[{"name":1}]})"},
       {}},
      {"ref_escaped_pointer",
       R"({"definitions":{"a/b":{"type":"integer"},"c~d":{"type":"boolean"},"e f":{"type":"null"}},"type":"object","properties":{"x":{"$ref":"#/definitions/a~1b"},"y":{"$ref":"#/definitions/c~0d"},"z":{"$ref":"#/definitions/e%20f"}},"required":["x","y","z"]})",
       {R"({"x":1,"y":true,"z":null})"},
       {R"({"x":true,"y":1,"z":null})"},
       {}},
      {"ref_with_siblings",
       R"({"$defs":{"pos":{"type":"integer","minimum":1}},"type":"object","properties":{"n":{"$ref":"#/$defs/pos","maximum":3,"description":"d"}},"required":["n"]})",
       {R"({"n":1})", R"({"n":3})"},
       {R"({"n":0})", R"({"n":4})"},
       {}},
      {"int_0_255", R"({"type":"integer","minimum":0,"maximum":255})",
       {"0", "9", "10", "99", "100", "199", "200", "249", "250", "255"},
       {"256", "-1", "00", "01", "1000", "2550", "+1"},
       {"-0", "1.0", "1e2"}},
      {"int_neg5_1200", R"({"type":"integer","minimum":-5,"maximum":1200})",
       {"-5", "-1", "0", "7", "999", "1199", "1200"}, {"-6", "1201", "-10", "12000", "-05"}, {}},
      {"int_min1", R"({"type":"integer","minimum":1})", {"1", "9", "10", "123456789012"}, {"0", "-1", "01"}, {}},
      {"int_exclusive", R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})", {"1", "9"}, {"0", "10"}, {}},
      {"int_draft4_exclusive", R"({"type":"integer","minimum":0,"exclusiveMinimum":true,"maximum":10,"exclusiveMaximum":true})",
       {"1", "9"}, {"0", "10"}, {}, "none"},
      {"number_nonnegative", R"({"type":"number","minimum":0})", {"0", "0.5", "12.25", "7"}, {"-1", "-0.5"}, {"1e3"}},
      {"number_interval", R"({"type":"number","exclusiveMinimum":0,"maximum":1})",
       {"0.5", "1", "1.0", "0.001", "1.000"}, {"0", "0.0", "1.5", "1.01", "-0.5", "2"}, {"1e-3"}},
      {"number_any", R"({"type":"number"})", {"1.5e10", "-0.25", "0", "1E-7", "-0", "3e+2"},
       {"01.5", "1.", ".5", "+1", "1e", "NaN", "-"}, {}},
      {"string_lengths", R"({"type":"string","minLength":2,"maxLength":4})",
       {R"("ab")", R"("abcd")", "\"\xC3\xA9\xC3\xA9\"", R"("\u00e9x")", R"("a\"b")", "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"",
        R"("\ud83d\ude00a")"},
       {R"("a")", R"("abcde")", "\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"", R"("\ud83d")", "\"a\tb\""}, {}},
      {"string_long", R"({"type":"string","minLength":65,"maxLength":5000})",
       {"\"" + std::string(65, 'a') + "\"", "\"" + std::string(5000, 'b') + "\""},
       {"\"" + std::string(64, 'a') + "\"", "\"" + std::string(5001, 'b') + "\""}, {}},
      {"format_date", R"({"type":"string","format":"date"})", {R"("2024-02-29")", R"("2023-12-31")", R"("2000-02-29")"},
       {R"("2023-02-29")", R"("1900-02-29")", R"("2023-13-01")", R"("2023-1-01")", R"("2023-04-31")"}, {}},
      {"format_date_time", R"({"type":"string","format":"date-time"})",
       {R"("2024-01-02T03:04:05Z")", R"("2024-01-02T03:04:05.123+05:30")"},
       {R"("2024-01-02T24:00:00Z")", R"("2024-01-02")"}, {R"("2024-01-02 03:04:05Z")"}},
      {"format_time", R"({"type":"string","format":"time"})", {R"("12:34:56Z")", R"("23:59:59-08:00")"}, {R"("12:60:00Z")"}, {}},
      {"format_email", R"({"type":"string","format":"email"})", {R"("a.b@example.com")", R"("x+y@mail.example.org")"},
       {R"("a..b@example.com")", R"("ab@")", R"("@example.com")"}, {}},
      {"format_uuid", R"({"type":"string","format":"uuid"})", {R"("123e4567-e89b-12d3-a456-426614174000")"},
       {R"("123e4567-e89b-12d3-a456-42661417400")", R"("123e4567e89b12d3a456426614174000")"}, {}},
      {"format_ipv4", R"({"type":"string","format":"ipv4"})", {R"("192.168.0.1")", R"("0.0.0.0")", R"("255.255.255.255")"},
       {R"("256.1.1.1")", R"("1.2.3")", R"("01.2.3.4")"}, {}},
      {"format_ipv6", R"({"type":"string","format":"ipv6"})",
       {R"("::1")", R"("2001:db8::8a2e:370:7334")", R"("1:2:3:4:5:6:7:8")", R"("::")", R"("fe80::")"},
       {R"("1:::2")", R"("1:2:3:4:5:6:7:8:9")", R"("12345::")"}, {}},
      {"format_hostname", R"({"type":"string","format":"hostname"})", {R"("example.com")", R"("a-b.c")", R"("localhost")"},
       {R"("-bad.com")", R"("bad-.com")", R"("a..b")"}, {}},
      {"format_uri", R"({"type":"string","format":"uri"})", {R"("https://example.com/a?b=c#d")", R"("http://x.org")"},
       {R"("not a uri")", R"("example.com")"}, {}},
      {"format_duration", R"({"type":"string","format":"duration"})", {R"("P3Y6M4DT12H30M5S")", R"("PT5M")", R"("P2W")", R"("P1D")"},
       {R"("P")", R"("PT")", R"("P1H")"}, {}},
      {"pattern_anchored", R"({"type":"string","pattern":"^[a-z]+\\d{2}$"})", {R"("abc12")", R"("z00")"},
       {R"("abc1")", R"("ABC12")", R"("abc123")"}, {}},
      {"pattern_unanchored", R"({"type":"string","pattern":"ab"})", {R"("ab")", R"("xxabyy")", R"("ab\"\n")"}, {R"("a")", R"("ba")"}, {}},
      {"pattern_specials", R"({"type":"string","pattern":"^a[\"\\\\]\\n$"})", {R"("a\"\n")", R"("a\\\n")"}, {R"("a\n")", R"("a\"n")"}, {}},
      {"nullable", R"({"type":"string","nullable":true})", {R"("x")", "null"}, {"1"}, {}, "none"},
      // OpenAPI 3.0.3: nullable does not add null to an enum that does not list it.
      {"nullable_enum", R"({"type":"string","nullable":true,"enum":["a","b"]})", {R"("a")"}, {"null", R"("c")"}, {}, "none"},
      {"nullable_enum_with_null", R"({"nullable":true,"enum":["a",null]})", {R"("a")", "null"}, {R"("b")"}, {}, "none"},
      {"type_list", R"({"type":["string","null","boolean"]})", {R"("x")", "null", "true", "false"}, {"1", "{}", "[]"}, {}},
      {"inferred_type", R"({"properties":{"a":{"type":"integer"}},"required":["a"]})", {R"({"a":1})"}, {R"({})", R"({"a":"x"})"}, {R"("x")"}},
      {"any_value", R"({})", {"1", R"("x")", "null", R"({"a":[1,{"b":[]}],"c":"\u00e9"})", "[]", "{}"}, {"[1,]", "{a:1}", "tru"}, {}},
  };
  return kCases;
}

// Pretty-printed (two-space indent, newlines) form of a JSON text.
std::string pretty(const std::string& text) { return Json::parse(text).dump(2); }

TEST(JsonSchemaToGrammar, TableOfSchemas) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    Grammar g;
    try {
      g = json_schema_grammar(Json::parse(c.schema));
    } catch (const Error& e) {
      ADD_FAILURE() << c.name << ": " << e.what();
      continue;
    }
    for (const std::string& v : c.valid) {
      EXPECT_TRUE(grammar_accepts(g, v)) << c.name << " rejects " << v;
      EXPECT_TRUE(grammar_accepts(g, pretty(v))) << c.name << " rejects pretty " << pretty(v);
    }
    for (const std::string& v : c.invalid) EXPECT_FALSE(grammar_accepts(g, v)) << c.name << " accepts " << v;
    for (const std::string& v : c.not_generated) EXPECT_FALSE(grammar_accepts(g, v)) << c.name << " accepts " << v;
  }
}

TEST(JsonSchemaToGrammar, CompactAndBoundedWhitespace) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"a":{"type":"array","items":{"type":"integer"}}},"required":["a"]})");
  const Grammar compact = json_schema_grammar(schema, {.any_whitespace = false});
  EXPECT_TRUE(grammar_accepts(compact, R"({"a":[1,2]})"));
  EXPECT_FALSE(grammar_accepts(compact, R"({"a": [1,2]})"));
  EXPECT_FALSE(grammar_accepts(compact, "{\"a\":[1,\n2]}"));
  // Each gap: nothing, one space, or one newline and up to max_whitespace spaces of indentation.
  const Grammar spaced = json_schema_grammar(schema, {.max_whitespace = 3});
  EXPECT_TRUE(grammar_accepts(spaced, "{ \"a\": [ 1, 2 ] }"));
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\" :[1,2]}"));      // nothing before ':'
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":[1 ,2]}"));      // nothing before ','
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":\n[1,2]}"));     // only a space after ':'
  EXPECT_TRUE(grammar_accepts(spaced, "{\n   \"a\": [1,\n   2]\n}"));
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":[1,  2]}"));       // two spaces without a newline
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":[1,\n    2]}"));   // an indentation of 4
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":[1,\n\n2]}"));     // a blank line
  EXPECT_FALSE(grammar_accepts(spaced, "{\"a\":[1,\t2]}"));       // tab is not in the set
  EXPECT_FALSE(grammar_accepts(spaced, " {\"a\":[]}"));           // nothing around the value
  // Empty object / array: one gap between the brackets, not two.
  const Grammar empty = json_schema_grammar(Json::parse(R"({"type":"object","properties":{"a":{}}})"), {.max_whitespace = 2});
  EXPECT_TRUE(grammar_accepts(empty, "{\n  }"));
  EXPECT_FALSE(grammar_accepts(empty, "{  }"));
  EXPECT_FALSE(grammar_accepts(empty, "{\n \n}"));
}

TEST(JsonSchemaToGrammar, AdditionalPropertiesDefaultOption) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"a":{"type":"integer"}}})");
  const Grammar closed = json_schema_grammar(schema);
  EXPECT_FALSE(grammar_accepts(closed, R"({"a":1,"z":2})"));
  const Grammar open = json_schema_grammar(schema, {.allow_additional_properties_by_default = true});
  EXPECT_TRUE(grammar_accepts(open, R"({"a":1,"z":[2]})"));
  EXPECT_TRUE(grammar_accepts(open, R"({"z":2})"));
  EXPECT_FALSE(grammar_accepts(open, R"({"a":1,"a":2})"));
}

TEST(JsonSchemaToGrammar, PropertiesFollowTheSchemaOrder) {
  const std::string text = R"({"type":"object","properties":{"zeta":{"type":"integer"},"alpha":{"type":"integer"}},"required":["zeta","alpha"]})";
  EXPECT_TRUE(grammar_accepts(json_schema_grammar(Json::parse(text)), R"({"zeta":1,"alpha":2})"));
  EXPECT_FALSE(grammar_accepts(json_schema_grammar(Json::parse(text)), R"({"alpha":2,"zeta":1})"));
  // nlohmann::json sorts keys: that overload can only keep the sorted order.
  EXPECT_TRUE(grammar_accepts(json_schema_grammar(nlohmann::json::parse(text)), R"({"alpha":2,"zeta":1})"));
}

TEST(JsonSchemaToGrammar, ManyOptionalPropertiesStayLinear) {
  for (int n : {10, 40}) {
    Json props = Json::object();
    for (int i = 0; i < n; ++i) props[fmt::format("p{}", i)] = Json{{"type", "object"}, {"properties", {{"x", {{"type", "integer"}}}}}};
    const Grammar g = json_schema_grammar(Json{{"type", "object"}, {"properties", props}});
    EXPECT_LT(g.num_exprs(), size_t(n) * 120) << n;
    EXPECT_TRUE(grammar_accepts(g, "{}"));
    EXPECT_TRUE(grammar_accepts(g, R"({"p3":{},"p7":{"x":1}})"));
    EXPECT_TRUE(grammar_accepts(g, "{\"p" + std::to_string(n - 1) + "\":{}}"));
    EXPECT_FALSE(grammar_accepts(g, R"({"p7":{},"p3":{}})"));
  }
}

TEST(JsonSchemaToGrammar, IntegerRangesExactlyOverAWindow) {
  struct R {
    std::optional<int64_t> lo, hi;
  };
  for (R r : std::vector<R>{{0, 255}, {-5, 1200}, {-1234, -7}, {7, 7}, {99, 101}, {1, std::nullopt}, {std::nullopt, -3},
                            {-20, std::nullopt}, {std::nullopt, 105}, {-100, 100}, {10, 19}, {1000, 99999}}) {
    Json schema = {{"type", "integer"}};
    if (r.lo) schema["minimum"] = *r.lo;
    if (r.hi) schema["maximum"] = *r.hi;
    const Grammar g = json_schema_grammar(schema);
    auto inside = [&](int64_t v) { return (!r.lo || v >= *r.lo) && (!r.hi || v <= *r.hi); };
    std::vector<int64_t> probes;
    for (int64_t base : {int64_t(0), r.lo.value_or(0), r.hi.value_or(0)})
      for (int64_t d = -130; d <= 130; ++d) probes.push_back(base + d);
    for (int64_t v : {int64_t(100000), int64_t(-100000), int64_t(1) << 40, -(int64_t(1) << 40)}) probes.push_back(v);
    for (int64_t v : probes)
      EXPECT_EQ(grammar_accepts(g, std::to_string(v)), inside(v)) << schema.dump() << " " << v;
  }
  // Bounds at the ends of int64 and non-integer bounds on integers.
  EXPECT_TRUE(grammar_accepts(json_schema_grammar(Json{{"type", "integer"}, {"minimum", 1.5}}), "2"));
  EXPECT_FALSE(grammar_accepts(json_schema_grammar(Json{{"type", "integer"}, {"minimum", 1.5}}), "1"));
  EXPECT_TRUE(grammar_accepts(json_schema_grammar(Json{{"type", "integer"}, {"maximum", -8999999999999999999LL}}), "-9000000000000000000"));
}

TEST(JsonSchemaToGrammar, NumberIntervalsOverAWindow) {
  struct R {
    const char* schema;
    double lo, hi;
    bool lo_incl, hi_incl;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (R r : std::vector<R>{{R"({"type":"number","minimum":0})", 0, inf, true, true},
                            {R"({"type":"number","exclusiveMinimum":0,"maximum":1})", 0, 1, false, true},
                            {R"({"type":"number","minimum":-2,"exclusiveMaximum":3})", -2, 3, true, false},
                            {R"({"type":"number","exclusiveMinimum":-3,"exclusiveMaximum":-1})", -3, -1, false, false},
                            {R"({"type":"number","maximum":0})", -inf, 0, true, true},
                            {R"({"type":"number","exclusiveMaximum":0})", -inf, 0, true, false},
                            {R"({"type":"number","minimum":2,"maximum":2})", 2, 2, true, true}}) {
    const Grammar g = json_schema_grammar(Json::parse(r.schema));
    for (int q = -20; q <= 20; ++q) {
      const double v = q / 4.0;
      const bool inside = (v > r.lo || (v == r.lo && r.lo_incl)) && (v < r.hi || (v == r.hi && r.hi_incl));
      const std::string text = fmt::format("{:.2f}", v);  // e.g. "-0.25", "1.00", "0.00"
      if (text == "-0.00") continue;
      EXPECT_EQ(grammar_accepts(g, text), inside) << r.schema << " " << text;
      if (q % 4 == 0) {
        const std::string integer = std::to_string(q / 4);
        EXPECT_EQ(grammar_accepts(g, integer), inside) << r.schema << " " << integer;
      }
    }
  }
}

TEST(JsonSchemaToGrammar, JsonObjectMode) {
  const Grammar g = json_object_grammar();
  for (const char* ok : {"{}", R"({"a":[1,{"b":null}],"c":"\u00e9","d":-1.5e3,"e":true})", "{ \"a\": { } }"})
    EXPECT_TRUE(grammar_accepts(g, ok)) << ok;
  for (const char* bad : {"[]", "\"x\"", R"({"a":})", R"({"a":1,})", "{'a':1}", "1", R"({"a":01})"})
    EXPECT_FALSE(grammar_accepts(g, bad)) << bad;
  EXPECT_FALSE(grammar_accepts(json_object_grammar({.any_whitespace = false}), "{ }"));
}

// Errors: (schema, expected substrings of the message).
TEST(JsonSchemaToGrammar, RefusalsNameKeywordAndPointer) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> refusals = {
      {R"({"type":"object","properties":{"a":{"type":"object","patternProperties":{"x":{}}}}})", {"unsupported keyword 'patternProperties' at /properties/a"}},
      {R"({"not":{"type":"string"}})", {"'not'", "at /"}},
      {R"({"type":"array","items":{"type":"integer"},"uniqueItems":true})", {"'uniqueItems'"}},
      {R"({"if":{},"then":{}})", {"'if'"}},
      {R"({"$defs":{"a~b":{"contains":{}}},"$ref":"#/$defs/a~0b"})", {"'contains'", "/$defs/a~0b"}},
      {R"({"type":"integer","enum":["a","b"]})", {"enum", "at /"}},
      {R"({"type":"object","properties":{"a":{}},"required":["b"],"additionalProperties":false})", {"'b'", "not in 'properties'"}},
      {R"({"$ref":"http://example.com/schema"})", {"http://example.com/schema"}},
      {R"({"$ref":"#/$defs/missing"})", {"/$defs/missing", "does not name"}},
      {R"({"type":"integer","minimum":5,"maximum":4})", {"no integer", "at /"}},
      {R"({"type":"string","minLength":5,"maxLength":4})", {"minLength"}},
      {R"({"type":"number","minimum":0.5})", {"non-integer bound"}},
      {R"({"type":"number","multipleOf":3})", {"'multipleOf'"}},
      {R"({"type":"string","maxLength":2000000})", {"'maxLength'", "2000000"}},
      {R"({"type":"object","properties":{"d":{"type":"string","format":"phone"}}})", {"format 'phone'", "/properties/d"}},
      {R"({"type":"string","pattern":"(?=a)b"})", {"'pattern' at /", "regex"}},
      {R"({"type":"string","pattern":"^a|b$"})", {"pattern"}},
      {R"({"allOf":[{"type":"string","pattern":"a"},{"pattern":"b"}]})", {"allOf", "'pattern'"}},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"maxProperties":0})", {"maxProperties"}},
      {R"({"type":["string"],"minLength":1,"pattern":"a"})", {"'pattern'", "minLength"}},
      {R"({"anyOf":[]})", {"anyOf"}},
      {"false", {"accepts no value"}},
      {R"({"type":"object","properties":{"a":false},"required":["a"]})", {"'a'", "accepts no value"}},
      {R"({"type":"strin"})", {"unknown type 'strin'"}},
      {R"({"type":"array","prefixItems":[{"type":"integer"}],"minItems":2,"items":false})", {"array at /", "2"}},
  };
  for (const auto& [schema, needles] : refusals) {
    try {
      json_schema_grammar(Json::parse(schema));
      ADD_FAILURE() << "accepted " << schema;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(msg.starts_with("json schema: ")) << msg;
      for (const std::string& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << schema << " -> " << msg << " (wanted " << n << ")";
    }
  }
}

// ---- Sampling: a random walk of the grammar, falling back to the cheapest way out when deep.

class Sampler {
 public:
  explicit Sampler(const Grammar& g) : g_(g), cost_(g.num_exprs(), kInf) {
    // Fixpoint of the shortest output length of each expression.
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < g.num_exprs(); ++i) {
        const int64_t c = compute(ExprId(i));
        if (c < cost_[i]) { cost_[i] = c; changed = true; }
      }
    }
  }

  std::string sample(std::mt19937& rng) {
    std::string out;
    walk(g_.rule_body(g_.root()), 0, rng, out);
    return out;
  }

 private:
  static constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;

  int64_t compute(ExprId id) const {
    const Expr& e = g_.expr(id);
    switch (e.kind) {
      case Expr::Kind::kEmpty: return 0;
      case Expr::Kind::kNothing: return kInf;
      case Expr::Kind::kBytes: return 1;
      case Expr::Kind::kRule: return cost_[size_t(g_.rule_body(e.rule))];
      case Expr::Kind::kSequence: {
        int64_t s = 0;
        for (ExprId c : e.children) s = std::min(kInf, s + cost_[size_t(c)]);
        return s;
      }
      case Expr::Kind::kChoice: {
        int64_t m = kInf;
        for (ExprId c : e.children) m = std::min(m, cost_[size_t(c)]);
        return m;
      }
      case Expr::Kind::kRepeat: return e.min == 0 ? 0 : std::min(kInf, cost_[size_t(e.children[0])] * e.min);
    }
    return kInf;
  }

  void walk(ExprId id, int depth, std::mt19937& rng, std::string& out) {
    const Expr& e = g_.expr(id);
    const bool cheap = depth > 12 || out.size() > 3000;
    switch (e.kind) {
      case Expr::Kind::kEmpty: return;
      case Expr::Kind::kNothing: FAIL() << "sampler reached nothing"; return;
      case Expr::Kind::kBytes: {
        std::vector<uint8_t> bytes;
        for (int b = 0; b < 256; ++b)
          if (e.bytes.contains(uint8_t(b))) bytes.push_back(uint8_t(b));
        out += char(bytes[rng() % bytes.size()]);
        return;
      }
      case Expr::Kind::kRule: walk(g_.rule_body(e.rule), depth + 1, rng, out); return;
      case Expr::Kind::kSequence:
        for (ExprId c : e.children) walk(c, depth, rng, out);
        return;
      case Expr::Kind::kChoice: {
        std::vector<ExprId> ok;
        ExprId best = e.children[0];
        for (ExprId c : e.children) {
          if (cost_[size_t(c)] < kInf) ok.push_back(c);
          if (cost_[size_t(c)] < cost_[size_t(best)]) best = c;
        }
        walk(cheap ? best : ok[rng() % ok.size()], depth + 1, rng, out);
        return;
      }
      case Expr::Kind::kRepeat: {
        int n = e.min;
        if (!cheap) n += int(rng() % 4);
        if (e.max != kUnbounded) n = std::min(n, e.max);
        for (int i = 0; i < n; ++i) walk(e.children[0], depth + 1, rng, out);
        return;
      }
    }
  }

  const Grammar& g_;
  std::vector<int64_t> cost_;
};

// JSON syntax per nlohmann's parser, except that numbers past double's range (1e999: valid JSON
// syntax that nlohmann refuses as "number overflow" while JavaScript reads Infinity) pass.
bool is_json(const std::string& s) {
  try {
    (void)Json::parse(s);
    return true;
  } catch (const Json::out_of_range& e) {
    return e.id == 406;
  } catch (const Json::exception&) {
    return false;
  }
}

TEST(JsonSchemaSamples, SampledTextsAreJsonAndInTheGrammar) {
  const char* dump_path = std::getenv("TURBINE_JSON_SCHEMA_DUMP");
  Json dump = Json::array();
  std::mt19937 rng(1234);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Json schema = Json::parse(c.schema);
    const Grammar g = json_schema_grammar(schema);
    Sampler sampler(g);
    Json samples = Json::array();
    for (int i = 0; i < 100; ++i) {
      const std::string s = sampler.sample(rng);
      EXPECT_TRUE(is_json(s)) << c.name << ": sampled text is not JSON: " << s;
      if (s.size() < 600) EXPECT_TRUE(grammar_accepts(g, s)) << c.name << ": " << s;
      samples.push_back(s);
    }
    Json entry = {{"name", c.name}, {"draft", c.draft}, {"schema", schema}, {"samples", samples},
                  {"valid", c.valid}, {"invalid", c.invalid}, {"not_generated", c.not_generated}};
    dump.push_back(entry);
  }
  if (dump_path) {
    std::ofstream(dump_path) << dump.dump(1) << "\n";
  }
}

}  // namespace
}  // namespace turbine::structured
