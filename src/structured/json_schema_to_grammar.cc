// JSON Schema to grammar: the schema walker. Strings, numbers and the shared JSON pieces are in
// json_string_grammar, json_number_ranges and json_grammar_common.
#include "structured/json_schema_to_grammar.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "structured/json_grammar_common.h"
#include "structured/json_number_ranges.h"
#include "structured/json_schema_merge.h"
#include "structured/json_string_grammar.h"

namespace turbine::structured {
namespace {

using Json = nlohmann::ordered_json;
using namespace json_grammar;

// Keywords that do not constrain the instance (or only hold definitions).
const std::set<std::string, std::less<>> kIgnored = {
    "title", "description", "examples", "example", "default", "$schema", "$id", "id", "$comment", "deprecated",
    "readOnly", "writeOnly", "$defs", "definitions", "$anchor", "$dynamicAnchor", "contentMediaType",
    "contentEncoding", "discriminator", "externalDocs", "xml"};

enum class Category { kAny, kObject, kArray, kString, kNumber };

const std::map<std::string, Category, std::less<>> kKeywords = {
    {"type", Category::kAny}, {"enum", Category::kAny}, {"const", Category::kAny}, {"anyOf", Category::kAny},
    {"oneOf", Category::kAny}, {"allOf", Category::kAny}, {"$ref", Category::kAny}, {"nullable", Category::kAny},
    {"properties", Category::kObject}, {"required", Category::kObject}, {"additionalProperties", Category::kObject},
    {"minProperties", Category::kObject}, {"maxProperties", Category::kObject},
    {"items", Category::kArray}, {"prefixItems", Category::kArray}, {"additionalItems", Category::kArray},
    {"minItems", Category::kArray}, {"maxItems", Category::kArray},
    {"minLength", Category::kString}, {"maxLength", Category::kString}, {"pattern", Category::kString},
    {"format", Category::kString},
    {"minimum", Category::kNumber}, {"maximum", Category::kNumber}, {"exclusiveMinimum", Category::kNumber},
    {"exclusiveMaximum", Category::kNumber}, {"multipleOf", Category::kNumber}};

bool ignored(const std::string& key) { return kIgnored.count(key) > 0 || key.starts_with("x-"); }

std::string where(const std::string& ptr) { return ptr.empty() ? "/" : ptr; }

std::string escape_token(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && std::isxdigit(uint8_t(s[i + 1])) && std::isxdigit(uint8_t(s[i + 2]))) {
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A schema's number bounds, as written (draft-04 boolean exclusive* folded in).
struct Limit {
  long double value = 0;
  bool inclusive = true;
};
struct Bounds {
  std::optional<Limit> lo, hi;
};

size_t codepoint_count(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

class Converter {
 public:
  Converter(const Json& root, const JsonSchemaOptions& options)
      : root_(root), options_(options), t_(make_tokens(g_, options.any_whitespace, options.max_whitespace)), any_(g_, t_) {}

  Grammar run() {
    const RuleId root = rule_for_pointer("");
    g_.set_root(root);
    if (is_nothing(g_, g_.rule_body(root))) fail("json schema: the schema accepts no value");
    return std::move(g_);
  }

  Grammar run_object() {
    g_.set_root(any_.object());
    return std::move(g_);
  }

 private:
  // ---- Keywords and references.

  void check_keywords(const Json& s, const std::string& ptr) const {
    for (const auto& [key, value] : s.items()) {
      if (ignored(key) || kKeywords.count(key)) continue;
      fail("json schema: unsupported keyword '{}' at {}", key, where(ptr));
    }
  }

  // Whether `s` has a keyword that constrains the instance, other than those in `except`.
  static bool constrains(const Json& s, std::initializer_list<std::string_view> except = {}) {
    for (const auto& [key, value] : s.items()) {
      if (ignored(key) || std::find(except.begin(), except.end(), key) != except.end()) continue;
      return true;
    }
    return false;
  }

  // The document location a "$ref" names: its JSON pointer (unescaped later by json_pointer).
  std::string ref_pointer(const Json& ref, const std::string& ptr) const {
    if (!ref.is_string()) fail("json schema: '$ref' at {} is not a string", where(ptr));
    const std::string r = ref.get<std::string>();
    if (r.empty() || r[0] != '#')
      fail("json schema: $ref '{}' at {} is not a reference within the document ('#/...'); unsupported keyword use", r,
           where(ptr));
    std::string frag = percent_decode(r.substr(1));
    if (!frag.empty() && frag[0] != '/')
      fail("json schema: $ref '{}' at {} names an anchor; only JSON pointers are supported", r, where(ptr));
    return frag;
  }

  const Json& at_pointer(const std::string& frag, const std::string& ptr) const {
    try {
      const Json::json_pointer jp(frag);
      if (!root_.contains(jp)) fail("json schema: $ref '#{}' at {} does not name anything in the schema", frag, where(ptr));
      return root_.at(jp);
    } catch (const Json::exception& e) {
      fail("json schema: $ref '#{}' at {} is not a valid JSON pointer ({})", frag, where(ptr), e.what());
    }
  }

  RuleId rule_for_pointer(const std::string& frag, const std::string& from = "") {
    if (auto it = rules_.find(frag); it != rules_.end()) return it->second;
    const Json& target = frag.empty() ? root_ : at_pointer(frag, from);
    const RuleId rule = g_.declare_rule(frag.empty() ? "root" : "def " + frag);
    rules_[frag] = rule;
    g_.define_rule(rule, compile(target, frag));
    return rule;
  }

  // ---- Merging (allOf, and $ref / anyOf with sibling keywords).

  // `s` with its $ref and allOf folded in and annotations dropped.
  Json flatten(const Json& s, const std::string& ptr, int depth) {
    if (depth > 32) fail("json schema: $ref at {} is recursive through allOf or sibling keywords (unsupported)", where(ptr));
    if (s.is_boolean()) {
      if (s.get<bool>()) return Json::object();
      fail("json schema: 'false' inside allOf at {} accepts no value", where(ptr));
    }
    if (!s.is_object()) fail("json schema: expected a schema (object or boolean) at {}", where(ptr));
    check_keywords(s, ptr);
    Json out = Json::object();
    for (const auto& [key, value] : s.items())
      if (!ignored(key) && key != "$ref" && key != "allOf") out[key] = value;
    if (s.contains("$ref")) {
      const std::string frag = ref_pointer(s["$ref"], ptr);
      out = merge_schemas(out, flatten(at_pointer(frag, ptr), frag, depth + 1), ptr);
    }
    if (s.contains("allOf")) {
      const Json& all = s["allOf"];
      if (!all.is_array() || all.empty()) fail("json schema: 'allOf' at {} is not a non-empty array", where(ptr));
      for (size_t i = 0; i < all.size(); ++i) {
        const std::string p = ptr + "/allOf/" + std::to_string(i);
        out = merge_schemas(out, flatten(all[i], p, depth + 1), p);
      }
    }
    return out;
  }

  // ---- Schemas.

  ExprId compile(const Json& s, const std::string& ptr) {
    if (s.is_boolean()) return s.get<bool>() ? g_.ref(any_.value()) : g_.nothing();
    if (!s.is_object()) fail("json schema: expected a schema (object or boolean) at {}", where(ptr));
    check_keywords(s, ptr);
    if (s.contains("allOf")) return compile(flatten(s, ptr, 0), ptr);
    if (s.contains("nullable")) {
      if (!s["nullable"].is_boolean()) fail("json schema: 'nullable' at {} is not a boolean", where(ptr));
      Json rest = s;
      rest.erase("nullable");
      if (!s["nullable"].get<bool>()) return compile(rest, ptr);
      // OpenAPI 3.0.3: an enum (or const) that does not list null still excludes it.
      const bool listed_values_exclude_null =
          (rest.contains("enum") && rest["enum"].is_array() &&
           std::none_of(rest["enum"].begin(), rest["enum"].end(), [](const Json& v) { return v.is_null(); })) ||
          (rest.contains("const") && !rest["const"].is_null());
      if (listed_values_exclude_null) return compile(rest, ptr);
      return alt(g_, {compile(rest, ptr), g_.literal("null")});
    }
    if (s.contains("$ref")) {
      const std::string frag = ref_pointer(s["$ref"], ptr);
      if (constrains(s, {"$ref"})) return compile(flatten(s, ptr, 0), ptr);
      return g_.ref(rule_for_pointer(frag, ptr));
    }
    if (s.contains("anyOf") || s.contains("oneOf")) return compile_any_of(s, ptr);
    if (s.contains("enum") || s.contains("const")) return compile_enum(s, ptr);
    return compile_types(s, ptr);
  }

  ExprId compile_any_of(const Json& s, const std::string& ptr) {
    if (s.contains("anyOf") && s.contains("oneOf"))
      fail("json schema: 'anyOf' together with 'oneOf' at {} is not supported", where(ptr));
    const std::string key = s.contains("anyOf") ? "anyOf" : "oneOf";
    const Json& branches = s[key];
    if (!branches.is_array() || branches.empty()) fail("json schema: '{}' at {} is not a non-empty array", key, where(ptr));
    Json siblings = s;
    siblings.erase(key);
    const bool merge_siblings = constrains(siblings);
    std::vector<ExprId> options;
    for (size_t i = 0; i < branches.size(); ++i) {
      const std::string p = ptr + "/" + key + "/" + std::to_string(i);
      if (!merge_siblings) {
        options.push_back(compile(branches[i], p));
      } else {
        if (branches[i] == Json(false)) continue;
        options.push_back(compile(merge_schemas(flatten(siblings, ptr, 0), flatten(branches[i], p, 0), p), p));
      }
    }
    const ExprId out = alt(g_, std::move(options));
    if (is_nothing(g_, out)) fail("json schema: no alternative of '{}' at {} accepts a value", key, where(ptr));
    return out;
  }

  // The instance types a schema allows: "type", or the types its keywords constrain, or all.
  std::vector<std::string> types(const Json& s, const std::string& ptr) const {
    std::vector<std::string> out;
    if (s.contains("type")) {
      const Json& t = s["type"];
      if (t.is_string()) out.push_back(t.get<std::string>());
      else if (t.is_array())
        for (const Json& x : t) {
          if (!x.is_string()) fail("json schema: 'type' at {} lists a non-string", where(ptr));
          out.push_back(x.get<std::string>());
        }
      else fail("json schema: 'type' at {} is not a string or an array", where(ptr));
      for (const std::string& x : out)
        if (x != "object" && x != "array" && x != "string" && x != "integer" && x != "number" && x != "boolean" && x != "null")
          fail("json schema: unknown type '{}' at {}", x, where(ptr));
      if (out.empty()) fail("json schema: 'type' at {} allows no type", where(ptr));
      return out;
    }
    std::set<Category> cats;
    for (const auto& [key, value] : s.items())
      if (auto it = kKeywords.find(key); it != kKeywords.end() && it->second != Category::kAny) cats.insert(it->second);
    if (cats.empty()) return {"object", "array", "string", "number", "boolean", "null"};
    if (cats.count(Category::kObject)) out.push_back("object");
    if (cats.count(Category::kArray)) out.push_back("array");
    if (cats.count(Category::kString)) out.push_back("string");
    if (cats.count(Category::kNumber)) out.push_back("number");
    return out;
  }

  ExprId compile_types(const Json& s, const std::string& ptr) {
    const std::vector<std::string> ts = types(s, ptr);
    if (!s.contains("type") && ts.size() == 6) return g_.ref(any_.value());
    const bool has_number = std::find(ts.begin(), ts.end(), "number") != ts.end();
    std::vector<ExprId> options;
    for (const std::string& t : ts) {
      if (t == "object") options.push_back(compile_object(s, ptr));
      else if (t == "array") options.push_back(compile_array(s, ptr));
      else if (t == "string") options.push_back(compile_string(s, ptr));
      else if (t == "integer" && !has_number) options.push_back(compile_integer(s, ptr));
      else if (t == "number") options.push_back(compile_number(s, ptr));
      else if (t == "boolean") options.push_back(g_.choice({g_.literal("true"), g_.literal("false")}));
      else if (t == "null") options.push_back(g_.literal("null"));
    }
    const ExprId out = alt(g_, std::move(options));
    if (is_nothing(g_, out)) fail("json schema: the schema at {} accepts no value", where(ptr));
    return out;
  }

  // ---- enum / const.

  bool value_matches(const Json& v, const Json& s, const std::string& ptr) const {
    const std::vector<std::string> ts = types(s, ptr);
    auto allows = [&](const char* t) { return std::find(ts.begin(), ts.end(), t) != ts.end(); };
    if (v.is_string()) {
      if (!allows("string")) return false;
      const size_t n = codepoint_count(v.get<std::string>());
      if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return false;
      if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return false;
      return true;
    }
    if (v.is_number()) {
      const long double x = v.get<long double>();
      const bool integral = std::floor(x) == x;
      if (!allows("number") && !(allows("integer") && integral)) return false;
      const Bounds b = bounds(s, ptr);
      if (b.lo && (x < b.lo->value || (x == b.lo->value && !b.lo->inclusive))) return false;
      if (b.hi && (x > b.hi->value || (x == b.hi->value && !b.hi->inclusive))) return false;
      return true;
    }
    if (v.is_boolean()) return allows("boolean");
    if (v.is_null()) return allows("null");
    if (v.is_object()) return allows("object");
    return allows("array");
  }

  ExprId compile_enum(const Json& s, const std::string& ptr) {
    for (const char* k : {"properties", "required", "additionalProperties", "minProperties", "maxProperties", "items",
                          "prefixItems", "additionalItems", "minItems", "maxItems", "pattern", "format", "multipleOf"})
      if (s.contains(k)) fail("json schema: '{}' together with 'enum'/'const' at {} is not supported", k, where(ptr));
    Json values = Json::array();
    if (s.contains("enum")) {
      if (!s["enum"].is_array()) fail("json schema: 'enum' at {} is not an array", where(ptr));
      values = s["enum"];
    }
    if (s.contains("const")) {
      if (!s.contains("enum")) values = Json::array({s["const"]});
      else if (std::find(values.begin(), values.end(), s["const"]) != values.end()) values = Json::array({s["const"]});
      else values = Json::array();
    }
    std::vector<ExprId> options;
    for (const Json& v : values)
      if (value_matches(v, s, ptr)) options.push_back(literal_value(g_, t_, v));
    if (options.empty()) fail("json schema: no value of 'enum'/'const' at {} satisfies the schema", where(ptr));
    return g_.choice(std::move(options));
  }

  // ---- Objects.

  int count_keyword(const Json& s, const char* key, const std::string& ptr) const {
    const Json& v = s[key];
    if (!v.is_number() || v.get<long double>() < 0 || std::floor(v.get<long double>()) != v.get<long double>())
      fail("json schema: '{}' at {} is not a non-negative integer", key, where(ptr));
    if (v.get<long double>() > kMaxCount)
      fail("json schema: '{}' {} at {} is larger than {} (refused: too large to compile)", key, v.dump(), where(ptr), kMaxCount);
    return v.get<int>();
  }

  ExprId compile_object(const Json& s, const std::string& ptr) {
    struct Prop {
      std::string name;
      bool required;
      ExprId kv;
    };
    const Json empty_props = Json::object();
    const Json& props = s.contains("properties") ? s["properties"] : empty_props;
    if (!props.is_object()) fail("json schema: 'properties' at {} is not an object", where(ptr));
    std::vector<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) fail("json schema: 'required' at {} is not an array", where(ptr));
      for (const Json& r : s["required"]) {
        if (!r.is_string()) fail("json schema: 'required' at {} lists a non-string", where(ptr));
        if (std::find(required.begin(), required.end(), r.get<std::string>()) == required.end())
          required.push_back(r.get<std::string>());
      }
    }
    const Json additional = s.contains("additionalProperties") ? s["additionalProperties"]
                                                              : Json(options_.allow_additional_properties_by_default);
    const ExprId add_value = compile(additional, ptr + "/additionalProperties");
    const bool allow_additional = !is_nothing(g_, add_value);

    std::vector<Prop> list;
    std::vector<std::string> names;
    auto key = [&](const std::string& name) { return g_.literal(Json(name).dump()); };
    for (const auto& [name, sub] : props.items()) {
      names.push_back(name);
      const bool req = std::find(required.begin(), required.end(), name) != required.end();
      const std::string p = ptr + "/properties/" + escape_token(name);
      const ExprId value = compile(sub, p);
      if (is_nothing(g_, value)) {
        if (req) fail("json schema: required property '{}' at {} accepts no value", name, where(ptr));
        continue;
      }
      list.push_back({name, req, g_.sequence({key(name), t_.colon, value})});
    }
    for (const std::string& name : required) {
      if (props.contains(name)) continue;
      if (!allow_additional)
        fail("json schema: required property '{}' at {} is not in 'properties' and additional properties are not allowed",
             name, where(ptr));
      names.push_back(name);
      list.push_back({name, true, g_.sequence({key(name), t_.colon, add_value})});
    }
    const ExprId kv_add = allow_additional ? g_.sequence({json_key_except(g_, names), t_.colon, add_value}) : g_.nothing();
    const ExprId open = g_.sequence({g_.byte('{'), t_.ws});
    const ExprId close = g_.sequence({t_.ws, g_.byte('}')});
    const ExprId empty_object = g_.sequence({g_.byte('{'), t_.ws, g_.byte('}')});

    const int min_p = s.contains("minProperties") ? count_keyword(s, "minProperties", ptr) : 0;
    std::optional<int> max_p;
    if (s.contains("maxProperties")) max_p.emplace(count_keyword(s, "maxProperties", ptr));
    const int n = int(list.size());
    const int n_required = int(std::count_if(list.begin(), list.end(), [](const Prop& p) { return p.required; }));
    if (n == 0 && allow_additional && (min_p > 0 || max_p)) {
      if (max_p && min_p > *max_p) fail("json schema: minProperties > maxProperties at {}", where(ptr));
      const ExprId more = g_.ref(g_.add_rule("object_member " + where(ptr), g_.sequence({t_.comma, kv_add})));
      const ExprId members = g_.sequence({kv_add, counted_repeat(g_, more, std::max(min_p - 1, 0),
                                                                 max_p ? std::optional<int>(*max_p - 1) : std::nullopt,
                                                                 "object_members " + where(ptr))});
      return alt(g_, {min_p == 0 ? empty_object : g_.nothing(),
                      max_p == 0 ? g_.nothing() : g_.sequence({open, members, close})});
    }
    if (min_p > n_required || (max_p && (allow_additional || *max_p < n)))
      fail("json schema: 'minProperties'/'maxProperties' at {} can't be compiled exactly with these properties (unsupported)",
           where(ptr));

    // Members from index i on, each after a comma (r[i]); the first member present is any
    // optional one up to and including the first required one (k), or an additional one.
    int k = n;
    for (int i = 0; i < n; ++i)
      if (list[size_t(i)].required) { k = i; break; }
    const int last_first = std::min(k, n - 1);  // first-member options j = 0..last_first
    std::vector<ExprId> r(size_t(n) + 1);
    r[size_t(n)] = allow_additional ? g_.star(g_.sequence({t_.comma, kv_add})) : g_.empty();
    for (int i = n; i >= 1; --i) {
      if (i < n) {
        const ExprId step = g_.sequence({t_.comma, list[size_t(i)].kv});
        r[size_t(i)] = g_.sequence({list[size_t(i)].required ? step : g_.optional(step), r[size_t(i) + 1]});
      }
      // Shared: referenced by r[i-1] and by a first-member option; give it a rule.
      int refs = (i - 1 >= 1 ? 1 : 0) + (i - 1 <= last_first ? 1 : 0) + (i == n && k == n && allow_additional ? 1 : 0);
      if (refs > 1) r[size_t(i)] = g_.ref(g_.add_rule("object " + where(ptr) + " after " + list[size_t(i) - 1].name, r[size_t(i)]));
    }
    std::vector<ExprId> firsts;
    for (int j = 0; j <= last_first; ++j) firsts.push_back(g_.sequence({list[size_t(j)].kv, r[size_t(j) + 1]}));
    if (k == n && allow_additional) firsts.push_back(g_.sequence({kv_add, r[size_t(n)]}));
    const ExprId nonempty = firsts.empty() ? g_.nothing() : g_.sequence({open, g_.choice(firsts), close});
    return alt(g_, {k == n ? empty_object : g_.nothing(), nonempty});
  }

  // ---- Arrays.

  ExprId compile_array(const Json& s, const std::string& ptr) {
    std::vector<ExprId> prefix;
    ExprId rest = -1;
    auto compile_list = [&](const char* key) {
      const Json& list = s[key];
      for (size_t i = 0; i < list.size(); ++i) prefix.push_back(compile(list[i], ptr + "/" + key + "/" + std::to_string(i)));
    };
    if (s.contains("prefixItems")) {
      if (!s["prefixItems"].is_array()) fail("json schema: 'prefixItems' at {} is not an array", where(ptr));
      if (s.contains("additionalItems"))
        fail("json schema: 'additionalItems' together with 'prefixItems' at {} is not supported", where(ptr));
      compile_list("prefixItems");
      rest = s.contains("items") ? compile(s["items"], ptr + "/items") : g_.ref(any_.value());
    } else if (s.contains("items") && s["items"].is_array()) {
      compile_list("items");
      rest = s.contains("additionalItems") ? compile(s["additionalItems"], ptr + "/additionalItems") : g_.ref(any_.value());
    } else {
      rest = s.contains("items") ? compile(s["items"], ptr + "/items") : g_.ref(any_.value());
    }
    const int m = int(prefix.size());
    const int a = s.contains("minItems") ? count_keyword(s, "minItems", ptr) : 0;
    std::optional<int> b = s.contains("maxItems") ? std::optional<int>(count_keyword(s, "maxItems", ptr)) : std::nullopt;
    for (int i = 0; i < m; ++i)
      if (is_nothing(g_, prefix[size_t(i)])) { b = std::min(b.value_or(i), i); break; }
    if (is_nothing(g_, rest)) b = std::min(b.value_or(m), m);
    if (b && a > *b) fail("json schema: the array at {} can't have between {} and {} items", where(ptr), a, *b);

    const ExprId comma_rest_plain = g_.sequence({t_.comma, rest});
    ExprId comma_rest = comma_rest_plain;
    if (b && *b - m > 4) comma_rest = g_.ref(g_.add_rule("array_item " + where(ptr), comma_rest_plain));
    // Elements from position i on, each after a comma.
    auto tail = [&](auto&& self, int i) -> ExprId {
      if (b && i >= *b) return g_.empty();
      if (i >= m)
        return counted_repeat(g_, comma_rest, std::max(0, a - i), b ? std::optional<int>(*b - i) : std::nullopt,
                              "array_items " + where(ptr));
      const ExprId step = g_.sequence({t_.comma, prefix[size_t(i)], self(self, i + 1)});
      return i < a ? step : g_.optional(step);
    };
    std::vector<ExprId> options;
    if (a == 0) options.push_back(g_.sequence({g_.byte('['), t_.ws, g_.byte(']')}));
    if (!b || *b > 0) {
      const ExprId first = m > 0 ? prefix[0] : rest;
      options.push_back(seq(g_, {g_.byte('['), t_.ws, first, tail(tail, 1), t_.ws, g_.byte(']')}));
    }
    return alt(g_, std::move(options));
  }

  // ---- Strings.

  ExprId compile_string(const Json& s, const std::string& ptr) {
    const bool lengths = s.contains("minLength") || s.contains("maxLength");
    if (s.contains("pattern")) {
      if (!s["pattern"].is_string()) fail("json schema: 'pattern' at {} is not a string", where(ptr));
      for (const char* k : {"format", "minLength", "maxLength"})
        if (s.contains(k)) fail("json schema: '{}' together with 'pattern' at {} is not supported", k, where(ptr));
      try {
        return json_string_matching(g_, pattern_as_full_match(s["pattern"].get<std::string>()));
      } catch (const Error& e) {
        fail("json schema: 'pattern' at {}: {}", where(ptr), e.what());
      }
    }
    if (s.contains("format")) {
      if (!s["format"].is_string()) fail("json schema: 'format' at {} is not a string", where(ptr));
      const std::string f = s["format"].get<std::string>();
      const std::optional<std::string> re = format_regex(f);
      if (!re) fail("json schema: unsupported format '{}' at {}", f, where(ptr));
      if (lengths) fail("json schema: 'minLength'/'maxLength' together with 'format' at {} is not supported", where(ptr));
      return json_string_matching(g_, *re);
    }
    const int lo = s.contains("minLength") ? count_keyword(s, "minLength", ptr) : 0;
    const std::optional<int> hi = s.contains("maxLength") ? std::optional<int>(count_keyword(s, "maxLength", ptr)) : std::nullopt;
    if (hi && lo > *hi) fail("json schema: minLength {} > maxLength {} at {}", lo, *hi, where(ptr));
    return json_string(g_, lo, hi);
  }

  // ---- Numbers.

  Bounds bounds(const Json& s, const std::string& ptr) const {
    Bounds b;
    auto num = [&](const char* key) -> long double {
      if (!s[key].is_number()) fail("json schema: '{}' at {} is not a number", key, where(ptr));
      return s[key].get<long double>();
    };
    auto tighten = [](std::optional<Limit>& cur, Limit l, bool lower) {
      if (!cur || (lower ? l.value > cur->value : l.value < cur->value)) cur = l;
      else if (l.value == cur->value && !l.inclusive) cur->inclusive = false;
    };
    for (const auto& [key, ex_key, lower] : {std::tuple{"minimum", "exclusiveMinimum", true}, std::tuple{"maximum", "exclusiveMaximum", false}}) {
      std::optional<Limit>& cur = lower ? b.lo : b.hi;
      const bool draft4 = s.contains(ex_key) && s[ex_key].is_boolean();
      if (s.contains(key)) tighten(cur, {num(key), !(draft4 && s[ex_key].get<bool>())}, lower);
      if (s.contains(ex_key) && !draft4) tighten(cur, {num(ex_key), false}, lower);
    }
    return b;
  }

  void check_multiple_of(const Json& s, const std::string& ptr) const {
    if (s.contains("multipleOf") && !(s["multipleOf"].is_number() && s["multipleOf"].get<long double>() == 1))
      fail("json schema: 'multipleOf' {} at {} is not supported (only 1)", s["multipleOf"].dump(), where(ptr));
  }

  static constexpr long double kLimit = 9.0e18L;

  ExprId compile_integer(const Json& s, const std::string& ptr) {
    check_multiple_of(s, ptr);
    const Bounds b = bounds(s, ptr);
    std::optional<int64_t> lo, hi;
    if (b.lo) {
      const long double v = b.lo->inclusive ? std::ceil(b.lo->value) : std::floor(b.lo->value) + 1;
      if (std::fabs(v) > kLimit) fail("json schema: integer lower bound at {} is out of the supported range", where(ptr));
      lo = int64_t(v);
    }
    if (b.hi) {
      const long double v = b.hi->inclusive ? std::floor(b.hi->value) : std::ceil(b.hi->value) - 1;
      if (std::fabs(v) > kLimit) fail("json schema: integer upper bound at {} is out of the supported range", where(ptr));
      hi = int64_t(v);
    }
    if (lo && hi && *lo > *hi) fail("json schema: no integer satisfies the bounds at {}", where(ptr));
    return integer_range(g_, lo, hi);
  }

  ExprId compile_number(const Json& s, const std::string& ptr) {
    if (s.contains("multipleOf")) {
      check_multiple_of(s, ptr);
      return compile_integer(s, ptr);
    }
    const Bounds b = bounds(s, ptr);
    if (!b.lo && !b.hi) return any_number(g_);
    auto to_bound = [&](const std::optional<Limit>& l) -> std::optional<Bound> {
      if (!l) return std::nullopt;
      if (std::floor(l->value) != l->value || std::fabs(l->value) > kLimit)
        fail("json schema: a non-integer bound on a number at {} is not supported (only integer bounds are compiled exactly)",
             where(ptr));
      return Bound{int64_t(l->value), l->inclusive};
    };
    const ExprId out = number_range(g_, to_bound(b.lo), to_bound(b.hi));
    if (is_nothing(g_, out)) fail("json schema: no number satisfies the bounds at {}", where(ptr));
    return out;
  }

  const Json& root_;
  JsonSchemaOptions options_;
  Grammar g_;
  Tokens t_;
  AnyValue any_;
  std::map<std::string, RuleId> rules_;
};

}  // namespace

Grammar json_schema_grammar(const nlohmann::ordered_json& schema, const JsonSchemaOptions& options) {
  Converter c(schema, options);
  Grammar g = c.run();
  g.validate();
  return g;
}

Grammar json_schema_grammar(const nlohmann::json& schema, const JsonSchemaOptions& options) {
  return json_schema_grammar(nlohmann::ordered_json(schema), options);
}

Grammar json_object_grammar(const JsonSchemaOptions& options) {
  const Json empty = Json::object();
  Converter c(empty, options);
  return c.run_object();
}

}  // namespace turbine::structured
