// Errors name the construct and where it is (line, column); raise_exception passes its message
// through untouched.
#include <gmock/gmock.h>

#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

using ::testing::HasSubstr;

TEST(ChatTemplateErrors, RaiseExceptionCarriesTheMessage) {
  EXPECT_EQ(render_error("{{ raise_exception('Conversation roles must alternate!') }}"), "Conversation roles must alternate!");
  EXPECT_EQ(render_error("{% if true %}\n  {{ raise_exception('bad ' ~ 1) }}\n{% endif %}"), "bad 1");
}

TEST(ChatTemplateErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_THAT(render_error("line one\n{% if x %}\nno end"), HasSubstr("line 2"));
  EXPECT_THAT(render_error("line one\n{% if x %}\nno end"), HasSubstr("'if' block is never closed"));
  EXPECT_THAT(render_error("a\nb {{ 1 + }}"), HasSubstr("line 2, column 10"));
  EXPECT_THAT(render_error("{{ 'unterminated }}"), HasSubstr("unterminated string"));
  EXPECT_THAT(render_error("{% for x in y %}{% endif %}"), HasSubstr("endif"));
  EXPECT_THAT(render_error("{{ x"), HasSubstr("unterminated expression"));
  EXPECT_THAT(render_error("{# never closed"), HasSubstr("unterminated comment"));
  EXPECT_THAT(render_error("{% break %}"), HasSubstr("'break' outside of a for loop"));
}

TEST(ChatTemplateErrors, UnsupportedConstructsAreNamed) {
  EXPECT_THAT(render_error("\n\n{% extends 'base.html' %}"), HasSubstr("line 3"));
  EXPECT_THAT(render_error("{% include 'x' %}"), HasSubstr("'{% include %}' statement is not supported"));
  EXPECT_THAT(render_error("{% frobnicate %}"), HasSubstr("unknown statement '{% frobnicate %}'"));
  EXPECT_THAT(render_error("\n{{ x | no_such_filter }}"), HasSubstr("line 2, column 8: no filter named 'no_such_filter'"));
  EXPECT_THAT(render_error("{{ x is no_such_test }}"), HasSubstr("no test named 'no_such_test'"));
  EXPECT_THAT(render_error("{% for x in y recursive %}{% endfor %}"), HasSubstr("recursive for loops are not supported"));
}

TEST(ChatTemplateErrors, RuntimeErrorsNameTheLine) {
  EXPECT_THAT(render_error("ok\n{{ 'a' + 1 }}"), HasSubstr("line 2"));
  EXPECT_THAT(render_error("ok\n{{ 'a' + 1 }}"), HasSubstr("unsupported operand type(s) for +: 'str' and 'int'"));
  EXPECT_THAT(render_error("{{ missing + 1 }}"), HasSubstr("'missing' is undefined"));
  EXPECT_THAT(render_error("{{ m.content + 'x' }}", R"({"m": {"role": "user"}})"), HasSubstr("has no attribute 'content'"));
  EXPECT_THAT(render_error("{% for x in 5 %}{% endfor %}"), HasSubstr("'int' object is not iterable"));
  EXPECT_THAT(render_error("{{ 1 / 0 }}"), HasSubstr("division by zero"));
  EXPECT_THAT(render_error("{{ nope() }}"), HasSubstr("'nope' is undefined"));
  EXPECT_THAT(render_error("{{ 'a' < 1 }}"), HasSubstr("'<' not supported between instances of 'str' and 'int'"));
  EXPECT_THAT(render_error("{{ x | tojson }}"), HasSubstr("not JSON serializable"));
  EXPECT_THAT(render_error("{% set x = 1 %}{% set x.y = 2 %}"), HasSubstr("non-namespace"));
  EXPECT_THAT(render_error("{{ range(1000000) }}"), HasSubstr("Range too big"));
  EXPECT_THAT(render_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"), HasSubstr("maximum call depth"));
  EXPECT_THAT(render_error("{% for a, b in [[1, 2, 3]] %}{% endfor %}"), HasSubstr("too many values to unpack"));
  EXPECT_THAT(render_error("{{ x | indent(y) }}", R"({"x": "a", "y": "b"})"), ::testing::IsEmpty());
  EXPECT_THAT(render_error("{{ 'x'.split('') }}"), HasSubstr("empty separator"));
}

TEST(ChatTemplateErrors, HostileNestingFailsCleanly) {
  EXPECT_THAT(render_error("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}"), HasSubstr("nests more than"));
  EXPECT_THAT(render_error(std::string(3000, '[') + "{% if true %}" + "{{ " + std::string(3000, '-') + "1 }}"), HasSubstr("nests more than"));
  // Reference cycles are refused (they would never be freed).
  EXPECT_THAT(render_error("{% set l = [] %}{% set _ = l.append([1, l]) %}"), HasSubstr("reference cycle"));
  EXPECT_THAT(render_error("{% set ns = namespace() %}{% set ns.me = {'x': [ns]} %}"), HasSubstr("reference cycle"));
  // A very deep (non-cyclic) chain is destroyed without recursion, and refuses to print.
  const std::string chain =
      "{% set ns = namespace(tail=[]) %}{% set head = ns.tail %}"
      "{% for i in range(100000) %}{% set next = [] %}{% set _ = ns.tail.append(next) %}{% set ns.tail = next %}{% endfor %}";
  EXPECT_EQ(render(chain + "{{ head | length }}"), "1");
  EXPECT_THAT(render_error(chain + "{{ head }}"), HasSubstr("nested too deeply"));
}

TEST(ChatTemplateErrors, ContextMustBeAnObject) {
  EXPECT_THAT(render_error("x", "[1]"), HasSubstr("JSON object"));
}

}  // namespace
}  // namespace turbine::chat_template_test
