// `is` tests and Python methods on strings, dicts and lists.
#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

TEST(ChatTemplateTests, TypeTests) {
  const std::string context = R"({"s": "x", "i": 1, "f": 1.5, "b": true, "n": null, "l": [], "d": {}})";
  const std::string t =
      "{% for name in ['s', 'i', 'f', 'b', 'n', 'l', 'd', 'u'] %}{% set v = {'s': s, 'i': i, 'f': f, 'b': b, 'n': n, 'l': l, 'd': d}[name] %}"
      "{{ name }}:{{ v is defined }}{{ v is none }}{{ v is string }}{{ v is number }}{{ v is integer }}{{ v is float }}"
      "{{ v is boolean }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }} {% endfor %}";
  EXPECT_EQ(render(t, context),
            "s:TrueFalseTrueFalseFalseFalseFalseFalseTrueTrue "
            "i:TrueFalseFalseTrueTrueFalseFalseFalseFalseFalse "
            "f:TrueFalseFalseTrueFalseTrueFalseFalseFalseFalse "
            "b:TrueFalseFalseTrueFalseFalseTrueFalseFalseFalse "
            "n:TrueTrueFalseFalseFalseFalseFalseFalseFalseFalse "
            "l:TrueFalseFalseFalseFalseFalseFalseFalseTrueTrue "
            "d:TrueFalseFalseFalseFalseFalseFalseTrueTrueTrue "
            "u:FalseFalseFalseFalseFalseFalseFalseFalseTrueTrue ");
}

TEST(ChatTemplateTests, ValueTests) {
  EXPECT_EQ(render("{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}{{ x is undefined }}{{ x is not defined }}"),
            "TrueFalseTrueFalseTrueTrue");
  EXPECT_EQ(render("{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}"), "TrueTrueTrueFalse");
  EXPECT_EQ(render("{{ 'a' is equalto 'a' }}{{ 1 is eq(2) }}{{ 1 is ne 2 }}{{ 2 is gt 1 }}{{ 2 is lessthan(1) }}{{ 'a' is in 'cat' }}"),
            "TrueFalseTrueTrueFalseTrue");
  EXPECT_EQ(render("{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'Abc' is lower }}{{ range is callable }}{{ 'x' is callable }}"),
            "TrueTrueFalseTrueFalse");
  EXPECT_EQ(render("{{ none is sameas none }}{{ 'upper' is filter }}{{ 'odd' is test }}{{ 'nope' is filter }}"), "TrueTrueTrueFalse");
  EXPECT_EQ(render("{{ not x is defined }}{{ x is defined and x }}", R"({"x": 0})"), "False0");
}

TEST(ChatTemplateMethods, StringMethods) {
  EXPECT_EQ(render("[{{ '\n a \n'.strip() }}][{{ '\n a \n'.strip('\n') }}][{{ 'xxaxx'.lstrip('x') }}][{{ '  a  '.rstrip() }}]"),
            "[a][ a ][axx][  a]");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a.b.c'.rsplit('.', 1) }}"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a.b', 'c']");
  EXPECT_EQ(render("{{ 'x</think>y'.split('</think>')[-1] }}|{{ 'a\nb\r\nc'.splitlines() }}"), "y|['a', 'b', 'c']");
  EXPECT_EQ(render("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}{{ 'hello'.startswith('lo', 3) }}"),
            "TrueTrueTrue");
  EXPECT_EQ(render("{{ 'hello world'.title() }}|{{ \"they're\".title() }}|{{ 'ab'.upper() }}{{ 'AB'.lower() }}|{{ 'aBc'.capitalize() }}|{{ 'aB'.swapcase() }}"),
            "Hello World|They'Re|ABab|Abc|Ab");
  EXPECT_EQ(render("{{ 'aaa'.replace('a', 'b') }}{{ 'aaa'.replace('a', 'b', 1) }}|{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.find('z') }}|{{ 'hello'.count('l') }}"),
            "bbbbaa|23-1|2");
  EXPECT_EQ(render("{{ ', '.join(['a', 'b']) }}|{{ '{} and {name}'.format(1, name='x') }}|{{ '{:>5}|{:.2f}|{!r}'.format('a', 3.14159, 'q') }}"),
            "a, b|1 and x|    a|3.14|'q'");
  EXPECT_EQ(render("{{ '42'.isdigit() }}{{ 'a1'.isalnum() }}{{ ' '.isspace() }}{{ '7'.zfill(3) }}{{ 'ab'.center(6, '*') }}{{ 'a=b=c'.partition('=') }}"),
            "TrueTrueTrue007**ab**('a', '=', 'b=c')");
  EXPECT_EQ(render("{{ 'prefix-x'.removeprefix('prefix-') }}{{ 'x.jinja'.removesuffix('.jinja') }}"), "xx");
}

TEST(ChatTemplateMethods, DictAndListMethods) {
  const std::string context = R"({"d": {"a": 1, "b": null}, "l": [1, 2, 1]})";
  EXPECT_EQ(render("{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 5) }}{{ d.get('b', 5) }}", context), "1None5None");
  EXPECT_EQ(render("{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}", context),
            "['a', 'b'] [1, None] [('a', 1), ('b', None)]");
  EXPECT_EQ(render("{{ l.index(2) }}{{ l.count(1) }}{% set c = l.copy() %}{% set _ = c.append(9) %}{{ c }}{{ l }}", context),
            "12[1, 2, 1, 9][1, 2, 1]");
  // Python's sandbox refuses mutating methods other than append.
  EXPECT_NE(render_error("{{ d.update({'x': 1}) }}", context).find("unsafe"), std::string::npos);
  EXPECT_NE(render_error("{{ l.pop() }}", context).find("unsafe"), std::string::npos);
}

}  // namespace
}  // namespace turbine::chat_template_test
