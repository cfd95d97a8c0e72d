// Filters, as Python Jinja2 (plus transformers' tojson) computes them.
#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

TEST(ChatTemplateFilters, Strings) {
  EXPECT_EQ(render("{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}"), "hi|hi|ABC|abc");
  EXPECT_EQ(render("{{ 'hELLO world' | capitalize }}|{{ \"they're bill's-friends (from the UK)\" | title }}"),
            "Hello world|They're Bill's-Friends (From The Uk)");
  EXPECT_EQ(render("{{ 'a-b-c' | replace('-', '+') }}|{{ 'aaa' | replace('a', 'b', 2) }}"), "a+b+c|bba");
  EXPECT_EQ(render("{{ 'one two  three' | wordcount }}|{{ 'abc' | center(7) }}|{{ 'abcdefghij' | truncate(9, leeway=0) }}"),
            "3|  abc  |abcdef...");
  EXPECT_EQ(render("{{ '<a href=\"x\">&</a>' | e }}"), "&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(render("{{ '%s is %d years, %.2f%%' | format('Ann', 30, 99.5) }}|{{ '%(a)s-%(b)03d' | format(a='x', b=7) }}"),
            "Ann is 30 years, 99.50%|x-007");
}

TEST(ChatTemplateFilters, Indent) {
  EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent }}"), "a\n    b\n\n    c");
  EXPECT_EQ(render("{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(width='> ', blank=true) }}"), "  a\n  b|a\n> \n> b");
  EXPECT_EQ(render("{{ 'a\n' | indent }}|"), "a\n|");
}

TEST(ChatTemplateFilters, Conversions) {
  EXPECT_EQ(render("{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ true | int }} {{ '0x1A' | int(base=16) }}"),
            "42 4 0 7 3 1 26");
  EXPECT_EQ(render("{{ '2.5' | float }} {{ 3 | float }} {{ 'nope' | float }}"), "2.5 3.0 0.0");
  EXPECT_EQ(render("{{ 1 | string }}{{ none | string }}{{ [1, 'a'] | string }}{{ nope | string }}|{{ -3 | abs }}{{ -2.5 | abs }}"),
            "1None[1, 'a']|32.5");
  EXPECT_EQ(render("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 7 | round }}"),
            "2.0 4.0 2.67 3.0 2.0 7");
}

TEST(ChatTemplateFilters, Sequences) {
  const std::string context = R"({"l": [3, 1, 2], "w": ["b", "A", "a", "c"], "d": {"b": 2, "a": 1, "C": 0}})";
  EXPECT_EQ(render("{{ l | length }} {{ l | count }} {{ l | first }} {{ l | last }} {{ l | sum }} {{ l | min }} {{ l | max }}", context),
            "3 3 3 2 6 1 3");
  EXPECT_EQ(render("{{ l | sort }} {{ l | sort(reverse=true) }} {{ w | sort }} {{ w | sort(case_sensitive=true) }}", context),
            "[1, 2, 3] [3, 2, 1] ['A', 'a', 'b', 'c'] ['A', 'a', 'b', 'c']");
  EXPECT_EQ(render("{{ w | unique | list }} {{ w | unique(case_sensitive=true) | list }} {{ l | reverse | list }} {{ 'abc' | reverse }}", context),
            "['b', 'A', 'c'] ['b', 'A', 'a', 'c'] [2, 1, 3] cba");
  EXPECT_EQ(render("{{ l | join }} {{ l | join(', ') }} {{ 'abc' | list }} {{ d | list }}", context),
            "312 3, 1, 2 ['a', 'b', 'c'] ['b', 'a', 'C']");
  EXPECT_EQ(render("{{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ d | items | list }}", context),
            "[('a', 1), ('b', 2), ('C', 0)] [('b', 2), ('a', 1), ('C', 0)] [('b', 2), ('a', 1), ('C', 0)]");
  EXPECT_EQ(render("{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 0) | list }}"), "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]]");
  EXPECT_EQ(render("[{{ [] | first }}] {{ 'héllo' | length }} {{ d | length }}", context), "[] 5 3");
}

TEST(ChatTemplateFilters, DefaultFilter) {
  EXPECT_EQ(render("{{ x | default('d') }}|{{ y | default('d') }}|{{ y | d('d', true) }}|{{ z | default }}", R"({"y": ""})"), "d||d|");
  EXPECT_EQ(render("{{ none | default('d') }}|{{ none | default('d', boolean=true) }}"), "None|d");
}

TEST(ChatTemplateFilters, SelectRejectMap) {
  const std::string context = R"({"messages": [
      {"role": "system", "content": "S"}, {"role": "user", "content": "U1"},
      {"role": "assistant", "content": "A", "tool_calls": [1]}, {"role": "user", "content": "U2"}]})";
  EXPECT_EQ(render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", context), "U1,U2");
  EXPECT_EQ(render("{{ messages | rejectattr('role', '==', 'user') | map(attribute='role') | list }}", context),
            "['system', 'assistant']");
  EXPECT_EQ(render("{{ messages | selectattr('tool_calls', 'undefined') | map(attribute='content') | list }}", context),
            "['S', 'U1', 'U2']");
  EXPECT_EQ(render("{{ messages | selectattr('tool_calls') | list | length }}", context), "1");
  EXPECT_EQ(render("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }}"),
            "[1, 3] [2, 4] [1, 'a']");
  EXPECT_EQ(render("{{ ['a', 'B'] | map('upper') | list }} {{ [[1, 2]] | map('join', '-') | list }} {{ [1, 2, 3] | select('in', [2, 3]) | list }}"),
            "['A', 'B'] ['1-2'] [2, 3]");
  EXPECT_EQ(render("{{ messages | map(attribute='name', default='-') | join }} {{ [{'a': {'b': 5}}] | map(attribute='a.b') | list }}", context),
            "---- [5]");
  EXPECT_EQ(render("{{ ['code_interpreter', 'brave_search'] | reject('equalto', 'code_interpreter') | join(', ') }}"), "brave_search");
  EXPECT_EQ(render("{{ messages | sort(attribute='content') | map(attribute='content') | join }}", context), "ASU1U2");
  EXPECT_EQ(render("{{ [[1], [2, 3]] | sum(start=[]) }} {{ [{'n': 2}, {'n': 3}] | sum(attribute='n') }}", context), "[1, 2, 3] 5");
  EXPECT_NE(render_error("{{ ['a'] | sum(start='') }}").find("can't sum strings"), std::string::npos);
}

TEST(ChatTemplateFilters, ToJsonMatchesPythonJsonDumps) {
  const std::string context = R"({"t": {"name": "f", "n": 1, "x": 1.0, "ok": true, "none": null, "list": [], "obj": {},
                                       "nested": {"a": [1, "é\n\"q\"\t<&>"]}}})";
  EXPECT_EQ(render("{{ t | tojson }}", context),
            "{\"name\": \"f\", \"n\": 1, \"x\": 1.0, \"ok\": true, \"none\": null, \"list\": [], \"obj\": {}, "
            "\"nested\": {\"a\": [1, \"é\\n\\\"q\\\"\\t<&>\"]}}");
  EXPECT_EQ(render("{{ t.nested | tojson(indent=2) }}", context), "{\n  \"a\": [\n    1,\n    \"é\\n\\\"q\\\"\\t<&>\"\n  ]\n}");
  EXPECT_EQ(render("{{ {'b': 1, 'a': [1, 2]} | tojson(separators=(',', ':'), sort_keys=true) }}"), "{\"a\":[1,2],\"b\":1}");
  EXPECT_EQ(render("{{ 'é\x01' | tojson(ensure_ascii=true) }}|{{ '😀' | tojson(true) }}"), "\"\\u00e9\\u0001\"|\"\\ud83d\\ude00\"");
  EXPECT_EQ(render("{{ {'e': [], 'o': {}} | tojson(indent=4) }}"), "{\n    \"e\": [],\n    \"o\": {}\n}");
  EXPECT_EQ(render("{{ (1, 'a') | tojson }} {{ 'x' | tojson }} {{ 2.50 | tojson }}"), "[1, \"a\"] \"x\" 2.5");
}

}  // namespace
}  // namespace turbine::chat_template_test
