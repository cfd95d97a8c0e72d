// Expressions: literals, operators, precedence, attribute/item access, slicing, Python printing.
// Expected values were checked against Python Jinja2 set up as transformers sets it up.
#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

TEST(ChatTemplateExpressions, LiteralsPrintLikePython) {
  EXPECT_EQ(render("{{ 1 }}|{{ 1.0 }}|{{ 2.5 }}|{{ -3 }}|{{ 1e3 }}|{{ 0x1F }}"), "1|1.0|2.5|-3|1000.0|31");
  EXPECT_EQ(render("{{ true }}|{{ False }}|{{ none }}|{{ None }}"), "True|False|None|None");
  EXPECT_EQ(render("{{ 'a' \"b\" }}|{{ 'it\\'s' }}|{{ \"tab\\tnew\\nline\" }}"), "ab|it's|tab\tnew\nline");
  EXPECT_EQ(render("{{ '\\u00e9\\x41\\d' }}"), "\xc3\xa9" "A\\d");  // unknown escapes stay as written
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5] }}|{{ {'a': 1, 'b': [2]} }}|{{ (1,) }}|{{ (1, 2) }}"),
            "[1, 'a', None, True, 1.5]|{'a': 1, 'b': [2]}|(1,)|(1, 2)");
  EXPECT_EQ(render("{{ [\"it's\", 'say \"hi\"', 'both \\' \"'] }}"),
            "[\"it's\", 'say \"hi\"', 'both \\' \"']");
}

TEST(ChatTemplateExpressions, FloatsUsePythonRepr) {
  EXPECT_EQ(render("{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.0001 }}|{{ 0.00001 }}|{{ -0.0 }}|{{ 1.5e-7 }}"),
            "0.30000000000000004|1e+16|1000000000000000.0|0.0001|1e-05|-0.0|1.5e-07");
  EXPECT_EQ(render("{{ x }}|{{ y }}", R"({"x": 1.0, "y": 123456789012.5})"), "1.0|123456789012.5");
}

TEST(ChatTemplateExpressions, Arithmetic) {
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }}"),
            "3 -4 1 2 3.5 2.0 1024 0.5");
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1 + 2.0 }} {{ true + 1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}"),
            "7 9 3.0 2 3.0 0.5");
  EXPECT_EQ(render("{{ 'ab' * 3 }}|{{ [1] * 2 }}|{{ 'a' + 'b' }}|{{ [1] + [2] }}"), "ababab|[1, 1]|ab|[1, 2]");
  EXPECT_EQ(render("{{ 'n=' ~ 5 ~ none ~ true ~ undefined_thing }}"), "n=5NoneTrue");
  // Jinja2's ** is left-associative and binds a leading minus first.
  EXPECT_EQ(render("{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"), "64 4");
}

TEST(ChatTemplateExpressions, ComparisonsAndLogic) {
  EXPECT_EQ(render("{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}"),
            "True True True True True False");
  EXPECT_EQ(render("{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'x' not in ['y'] }} {{ 'a' in undefined_thing }}"),
            "True True True True False");
  EXPECT_EQ(render("{{ 0 or 'x' }}|{{ 'a' and 'b' }}|{{ [] and 1 }}|{{ not [] }}|{{ not 0 and 1 }}"), "x|b|[]|True|1");
  EXPECT_EQ(render("{{ {'a': [1, {'b': 2}]} == {'a': [1, {'b': 2}]} }} {{ (1, 2) == [1, 2] }}"), "True False");
  EXPECT_EQ(render("{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }}"), "True");  // dict equality ignores order
}

TEST(ChatTemplateExpressions, Conditional) {
  EXPECT_EQ(render("{{ 'y' if x else 'n' }}{{ 'y' if not x else 'n' }}", R"({"x": true})"), "yn");
  EXPECT_EQ(render("[{{ 'y' if false }}]"), "[]");
  EXPECT_EQ(render("{{ 'a' if x == 1 else 'b' if x == 2 else 'c' }}", R"({"x": 2})"), "b");
}

TEST(ChatTemplateExpressions, AttributeAndItemAccess) {
  const std::string context = R"({"m": {"role": "user", "items": [1], "n": {"k": "v"}}, "l": [10, 20, 30]})";
  EXPECT_EQ(render("{{ m.role }}{{ m['role'] }}{{ m.n.k }}{{ m['n']['k'] }}", context), "useruservv");
  EXPECT_EQ(render("{{ l[0] }} {{ l[-1] }} {{ l.1 }} [{{ l[5] }}] [{{ m.missing }}]", context), "10 30 20 [] []");
  // An attribute of Undefined raises, as in Python (@huggingface/jinja yields Undefined).
  EXPECT_EQ(render_error("{{ m.missing.deeper }}", context), "chat template error at line 1, column 13: 'dict object' has no attribute 'missing'");
  EXPECT_EQ(render_error("{{ l[7].x }}", context), "chat template error at line 1, column 8: list object has no element 7");
  // Python semantics: `.items` is the dict method, `['items']` the key.
  EXPECT_EQ(render("{{ m['items'] }} {{ m.items is callable }}", context), "[1] True");
  EXPECT_EQ(render("{{ 'héllo'[1] }}{{ 'abc'[-1] }}", context), "éc");
}

TEST(ChatTemplateExpressions, Slicing) {
  const std::string context = R"({"l": [1, 2, 3, 4, 5], "s": "héllo"})";
  EXPECT_EQ(render("{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ l[-2:] }} {{ l[3:1] }} {{ l[10:] }}", context),
            "[2, 3, 4, 5] [1, 2, 3, 4] [5, 4, 3, 2, 1] [1, 3, 5] [4, 5] [] []");
  EXPECT_EQ(render("{{ s[1:3] }}|{{ s[::-1] }}|{{ s[-3:] }}", context), "él|olléh|llo");
}

TEST(ChatTemplateExpressions, ListDictTupleLiterals) {
  EXPECT_EQ(render("{% set d = {'a': 1, 'b': [1, 2], 'c': {'d': none}} %}{{ d.c }}{{ d['b'][1] }}"), "{'d': None}2");
  EXPECT_EQ(render("{% set t = (1, 'x') %}{{ t[1] }}{{ t | length }}{% set e = () %}{{ e }}"), "x2()");
  EXPECT_EQ(render("{{ [1, 2,] }}{{ {'a': 1,} }}"), "[1, 2]{'a': 1}");
}

TEST(ChatTemplateExpressions, UndefinedIsFalsyAndEmpty) {
  EXPECT_EQ(render("[{{ nope }}]{% if not nope %}falsy{% endif %}"), "[]falsy");
  EXPECT_NE(render_error("{{ nope.attr }}").find("'nope' is undefined"), std::string::npos);
  EXPECT_NE(render_error("{{ nope['x'] }}").find("'nope' is undefined"), std::string::npos);
  EXPECT_EQ(render("{{ nope | length }} {{ nope | default('d') }} [{{ nope | trim }}] {{ nope is defined }}"), "0 d [] False");
  EXPECT_EQ(render("{% for x in nope %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{{ nope == nope2 }} {{ nope == none }}"), "True False");
}

TEST(ChatTemplateExpressions, Calls) {
  EXPECT_EQ(render("{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }}"), "[0, 1, 2] [1, 3, 5] [3, 2, 1]");
  EXPECT_EQ(render("{{ dict(a=1, b='x') }} {{ dict([('k', 2)]) }}"), "{'a': 1, 'b': 'x'} {'k': 2}");
  EXPECT_EQ(render("{% set j = joiner(', ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}"), "1, 2, 3");
  EXPECT_EQ(render("{% set args = [1, 2] %}{{ range(*args) | list }} {{ dict(**{'a': 1}) }}"), "[1] {'a': 1}");
}

TEST(ChatTemplateExpressions, StrftimeNowAndContextKeys) {
  const std::string year = render("{{ strftime_now('%Y') }}");
  EXPECT_EQ(year.size(), 4u);
  EXPECT_EQ(render("{{ strftime_now is defined }}"), "True");
  EXPECT_EQ(render("{{ a }}-{{ b.c[0] }}", R"({"a": "x", "b": {"c": [true]}})"), "x-True");
}

}  // namespace
}  // namespace turbine::chat_template_test
