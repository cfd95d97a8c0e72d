#include "structured/json_schema_merge.h"

#include <algorithm>
#include <set>

#include "common/error.h"

namespace turbine::structured {

nlohmann::ordered_json merge_schemas(nlohmann::ordered_json a, const nlohmann::ordered_json& b, const std::string& ptr) {
  using Json = nlohmann::ordered_json;
  const std::string where = ptr.empty() ? "/" : ptr;
  auto cannot = [&](const std::string& key) -> Json {
    fail("json schema: allOf at {} combines '{}' in a way that can't be compiled exactly (unsupported)", where, key);
  };
  auto types_of = [](const Json& t) {
    std::set<std::string> out;
    if (t.is_string()) out.insert(t.get<std::string>());
    else if (t.is_array()) for (const Json& x : t) if (x.is_string()) out.insert(x.get<std::string>());
    return out;
  };
  // additionalProperties on one side forbids (or constrains) names only the other side lists.
  auto check_additional = [&](const Json& x, const Json& y) {
    if (!x.contains("additionalProperties") || x["additionalProperties"] == Json(true) || !y.contains("properties")) return;
    const Json empty = Json::object();
    const Json& xp = x.contains("properties") ? x["properties"] : empty;
    for (const auto& [name, sub] : y["properties"].items())
      if (!xp.contains(name)) cannot("additionalProperties");
  };
  check_additional(a, b);
  check_additional(b, a);
  for (const auto& [key, v] : b.items()) {
    if (!a.contains(key)) { a[key] = v; continue; }
    Json& x = a[key];
    if (x == v) continue;
    if (key == "type") {
      std::set<std::string> ta = types_of(x), tb = types_of(v), both;
      for (const std::string& t : ta)
        if (tb.count(t) || (t == "integer" && tb.count("number"))) both.insert(t);
      for (const std::string& t : tb)
        if (t == "integer" && ta.count("number")) both.insert(t);
      x = Json::array();
      for (const std::string& t : both) x.push_back(t);
    } else if (key == "required") {
      for (const Json& r : v)
        if (std::find(x.begin(), x.end(), r) == x.end()) x.push_back(r);
    } else if (key == "properties") {
      for (const auto& [name, sub] : v.items()) {
        if (!x.contains(name)) x[name] = sub;
        else if (x[name] != sub) x[name] = Json{{"allOf", Json::array({x[name], sub})}};
      }
    } else if (key == "additionalProperties" || key == "items") {
      x = Json{{"allOf", Json::array({x, v})}};
    } else if (key == "minimum" || key == "minLength" || key == "minItems" || key == "minProperties") {
      if (!x.is_number() || !v.is_number()) cannot(key);
      if (v > x) x = v;
    } else if (key == "maximum" || key == "maxLength" || key == "maxItems" || key == "maxProperties") {
      if (!x.is_number() || !v.is_number()) cannot(key);
      if (v < x) x = v;
    } else if ((key == "exclusiveMinimum" || key == "exclusiveMaximum") && x.is_number() && v.is_number()) {
      if ((key == "exclusiveMinimum") == (v > x)) x = v;
    } else if (key == "enum" || key == "const") {
      const Json xs = key == "enum" ? x : Json::array({x});
      const Json vs = key == "enum" ? v : Json::array({v});
      Json common = Json::array();
      for (const Json& e : xs)
        if (std::find(vs.begin(), vs.end(), e) != vs.end()) common.push_back(e);
      a.erase(key);
      if (a.contains("enum")) {
        Json both = Json::array();
        for (const Json& e : a["enum"])
          if (std::find(common.begin(), common.end(), e) != common.end()) both.push_back(e);
        common = both;
      }
      a["enum"] = common;
    } else if (key == "nullable") {
      x = x == Json(true) && v == Json(true);
    } else {
      cannot(key);
    }
  }
  return a;
}

}  // namespace turbine::structured
