// Statements: if, for (loop variables, filters, else, unpacking, break/continue), set (scoping,
// tuples, namespaces, blocks), macros, call blocks, filter blocks, with, raw, generation.
#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

TEST(ChatTemplateStatements, IfElifElse) {
  const std::string t = "{% if x == 1 %}one{% elif x == 2 %}two{% elif x == 3 %}three{% else %}other{% endif %}";
  EXPECT_EQ(render(t, R"({"x": 1})"), "one");
  EXPECT_EQ(render(t, R"({"x": 3})"), "three");
  EXPECT_EQ(render(t, R"({"x": 9})"), "other");
  EXPECT_EQ(render("{% if x %}yes{% endif %}", R"({"x": []})"), "");
}

TEST(ChatTemplateStatements, LoopVariables) {
  EXPECT_EQ(render("{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
                   "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.previtem }}>{{ loop.nextitem }} {% endfor %}"), ">2 1>3 2> ");
  EXPECT_EQ(render("{% for x in range(4) %}{{ loop.cycle('a', 'b') }}{% endfor %}"), "abab");
}

TEST(ChatTemplateStatements, LoopOverDictsStringsAndUnpacking) {
  const std::string context = R"({"d": {"b": 1, "a": 2}})";
  EXPECT_EQ(render("{% for k in d %}{{ k }}{% endfor %}", context), "ba");  // insertion order
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", context), "b=1;a=2;");
  EXPECT_EQ(render("{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}", context), "b1a2");
  EXPECT_EQ(render("{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}"), "37");
  EXPECT_EQ(render("{% for c in 'hé' %}[{{ c }}]{% endfor %}"), "[h][é]");
}

TEST(ChatTemplateStatements, LoopFilterAndElse) {
  EXPECT_EQ(render("{% for x in range(10) if x is odd %}{{ x }}{{ '' if loop.last else ',' }}{% endfor %}"), "1,3,5,7,9");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for x in [1, 2] if x > 5 %}x{% else %}filtered{% endfor %}"), "filtered");
  EXPECT_EQ(render("{% for k, v in {'a': 1, 'return': 2, 'b': 3}.items() if k != 'return' %}{{ k }}{{ loop.index }}{% endfor %}"),
            "a1b2");
}

TEST(ChatTemplateStatements, BreakAndContinue) {
  EXPECT_EQ(render("{% for x in range(10) %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"), "0123");
  EXPECT_EQ(render("{% for x in range(6) %}{% if x is even %}{% continue %}{% endif %}{{ x }}{% endfor %}"), "135");
  EXPECT_EQ(render("{% for x in [1, 2] %}{% for y in [1, 2, 3] %}{% if y == 2 %}{% break %}{% endif %}{{ x }}{{ y }} {% endfor %}{% endfor %}"),
            "11 21 ");
}

TEST(ChatTemplateStatements, SetScopingFollowsJinja2) {
  // Top-level and if-level assignments are visible afterwards.
  EXPECT_EQ(render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  // Assignments in a loop body neither leak out nor carry over to the next iteration.
  EXPECT_EQ(render("{% set x = 0 %}{% for i in range(3) %}{% set x = x + 1 %}{{ x }}{% endfor %}|{{ x }}"), "111|0");
  // A namespace carries state across iterations.
  EXPECT_EQ(render("{% set ns = namespace(total=0, seen=[]) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}"
                   "{% endfor %}{{ ns.total }}"),
            "6");
  EXPECT_EQ(render("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns['a'] }}"), "121");
  EXPECT_EQ(render("{% set a, b = 1, 'x' %}{{ b }}{{ a }}{% set c = 1, 2 %}{{ c }}"), "x1(1, 2)");
}

TEST(ChatTemplateStatements, BlockSet) {
  EXPECT_EQ(render("{% set greeting %}Hello {{ name }}!{% endset %}[{{ greeting }}]", R"({"name": "Ann"})"), "[Hello Ann!]");
  EXPECT_EQ(render("{% set shout | upper | trim %}  hi there {% endset %}[{{ shout }}]"), "[HI THERE]");
}

// Python's sandbox refuses list.append; it is accepted here for templates written for other engines.
TEST(ChatTemplateStatements, ListAppendThroughNamespace) {
  EXPECT_EQ(render("{% set ns = namespace(items=[]) %}{% for x in [3, 1] %}{% set _ = ns.items.append(x * 2) %}{% endfor %}"
                   "{{ ns.items }}"),
            "[6, 2]");
}

TEST(ChatTemplateStatements, Macros) {
  const std::string macro =
      "{% macro tag(name, value='none', upper=false) %}<{{ name | upper if upper else name }}:{{ value }}>{% endmacro %}";
  EXPECT_EQ(render(macro + "{{ tag('a') }}{{ tag('b', 1) }}{{ tag('c', upper=true, value=2) }}"), "<a:none><b:1><C:2>");
  EXPECT_EQ(render("{% macro f(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ f('x') }}"), "x!");
  EXPECT_EQ(render("{% macro f() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, k=3) }}"), "(1, 2){'k': 3}");
  // Recursion, and macros see template-level variables.
  EXPECT_EQ(render("{% set sep = '-' %}{% macro count(n) %}{{ n }}{% if n > 0 %}{{ sep }}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(3) }}"),
            "3-2-1-0");
  EXPECT_EQ(render("{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m() }}"), "[]");
}

TEST(ChatTemplateStatements, CallBlocks) {
  EXPECT_EQ(render("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                   "{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}"),
            "<b>bold 2</b>");
  EXPECT_EQ(render("{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}"
                   "{% call(item) each([1, 2]) %}({{ item }}){% endcall %}"),
            "(1)(2)");
}

TEST(ChatTemplateStatements, FilterBlocksWithAndRaw) {
  EXPECT_EQ(render("{% filter upper %}abc {{ 'd' }}{% endfilter %}"), "ABC D");
  EXPECT_EQ(render("{% filter replace('a', 'o') | title %}banana split{% endfilter %}"), "Bonono Split");
  EXPECT_EQ(render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"), "3[]");
  EXPECT_EQ(render("{% raw %}{{ not rendered }} {% if %}{% endraw %}"), "{{ not rendered }} {% if %}");
}

TEST(ChatTemplateStatements, GenerationTagRendersItsBody) {
  EXPECT_EQ(render("A{% generation %}B{{ 1 }}{% endgeneration %}C"), "AB1C");
}

TEST(ChatTemplateStatements, Comments) {
  EXPECT_EQ(render("a{# a comment {{ x }} #}b{#- trimmed -#}   c"), "abc");
}

}  // namespace
}  // namespace turbine::chat_template_test
