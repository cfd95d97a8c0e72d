#include "structured/ebnf_to_grammar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "grammar_oracle.h"

namespace turbine::structured {
namespace {

using ::testing::HasSubstr;
using testing::grammar_accepts;

Grammar gbnf(std::string_view text, std::string root = "") {
  return ebnf_grammar(text, {.dialect = EbnfDialect::kGbnf, .root_rule = std::move(root)});
}
Grammar lark(std::string_view text, std::string root = "") {
  return ebnf_grammar(text, {.dialect = EbnfDialect::kLark, .root_rule = std::move(root)});
}

// The error message ebnf_grammar gives, or "(no error)".
std::string error_of(std::string_view text, EbnfDialect dialect, std::string root = "") {
  try {
    ebnf_grammar(text, {.dialect = dialect, .root_rule = std::move(root)});
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
std::string gbnf_error(std::string_view text, std::string root = "") { return error_of(text, EbnfDialect::kGbnf, root); }
std::string lark_error(std::string_view text, std::string root = "") { return error_of(text, EbnfDialect::kLark, root); }

void expect_language(const Grammar& g, const std::vector<std::string>& accepted, const std::vector<std::string>& rejected) {
  for (const std::string& s : accepted) EXPECT_TRUE(grammar_accepts(g, s)) << "should accept: " << s << "\n" << g.to_string();
  for (const std::string& s : rejected) EXPECT_FALSE(grammar_accepts(g, s)) << "should reject: " << s << "\n" << g.to_string();
}

// ---------------------------------------------------------------- GBNF

TEST(Gbnf, ArithmeticRightRecursive) {
  const Grammar g = gbnf(R"g(
root   ::= expr
expr   ::= term ([-+] expr)?
term   ::= factor ([*/] term)?
factor ::= number | "(" expr ")"
number ::= [0-9]+
)g");
  expect_language(g, {"42", "1+2*3", "(1+2)*3", "((7))", "10/2-3"},
                  {"", "1+", "(1", "+1", "1++2", "()", "1 + 2", "a"});
}

// A JSON grammar in the style of llama.cpp's grammars/json.gbnf.
constexpr std::string_view kJsonGbnf = R"g(# JSON values, with optional whitespace after each token
root    ::= ws value
value   ::= object | array | string | number | ("true" | "false" | "null") ws

object  ::= "{" ws (
              member ("," ws member)*
            )? "}" ws
member  ::= string ":" ws value
array   ::= "[" ws (
              value ("," ws value)*   # elements
            )? "]" ws

string  ::= "\"" (
              [^"\\\x00-\x1F\x7F] |
              "\\" (["\\/bfnrt] | "u" hex{4})
            )* "\"" ws
hex     ::= [0-9a-fA-F]
number  ::= "-"? ("0" | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? ws
ws      ::= [ \t\n\r]*
)g";

TEST(Gbnf, Json) {
  const Grammar g = gbnf(kJsonGbnf);
  expect_language(g,
                  {R"({"a": [1, 2.5e3, true, null], "b": "x\"y\u00e9"})", "[]", "{}", " [ -0.5 , {} ] ",
                   "\"h\xC3\xA9llo \xF0\x9F\x98\x80\"", "1E+9", "\"\\/\""},
                  {R"({"a" 1})", "[1,]", R"("\x")", "01", "\"a", "{\"a\":1,}", "\"tab\there\"", "tru", "\"\x7F\""});
}

TEST(Gbnf, ListOfChoices) {
  const Grammar g = gbnf(R"(root ::= item ("," " "? item)*
item ::= "red" | "green" | "blue")");
  expect_language(g, {"red", "red,green", "blue, red, green"}, {"", "red,", "yellow", "red green", "red,,blue"});
}

TEST(Gbnf, ClassesEscapesAndNegation) {
  const Grammar g = gbnf(R"(root ::= [a-z\-_] [^\n\]a] [\x41-\x43] [\u00e9] [\U0001F600-\U0001F64F] . "\t\\\"\[\]")");
  const std::string tail = "\t\\\"[]";
  expect_language(g,
                  {"a-A\xC3\xA9\xF0\x9F\x98\x80x" + tail, "-bC\xC3\xA9\xF0\x9F\x99\x8F\xE2\x82\xAC" + tail,
                   "_\xC3\xA9" "B\xC3\xA9\xF0\x9F\x98\x80\n" + tail},
                  {"Ab" "A\xC3\xA9\xF0\x9F\x98\x80x" + tail,     // A not in [a-z\-_]
                   "a\nA\xC3\xA9\xF0\x9F\x98\x80x" + tail,      // \n excluded
                   "a]A\xC3\xA9\xF0\x9F\x98\x80x" + tail,       // ] excluded
                   "aaA\xC3\xA9\xF0\x9F\x98\x80x" + tail,       // a excluded
                   "abD\xC3\xA9\xF0\x9F\x98\x80x" + tail,       // D past C
                   "abA\xC3\xA8\xF0\x9F\x98\x80x" + tail,       // e-grave, not e-acute
                   "abA\xC3\xA9\xF0\x9F\x9A\x80x" + tail,       // U+1F680 past the range
                   "abA\xC3\xA9\xF0\x9F\x98\x80" + tail,        // . missing
                   "abA\xC3\xA9\xF0\x9F\x98\x80\xC3" + tail});  // . is a whole code point
  // A negated class matches any other code point, multi-byte ones included.
  const Grammar neg = gbnf(R"(root ::= [^a-z]+)");
  expect_language(neg, {"A", "\xE4\xB8\xAD\xE6\x96\x87", "\xF0\x9F\x98\x80!"}, {"", "a", "Ab", "\xC3"});
  // '-' first or last in a class is literal.
  expect_language(gbnf("root ::= [-a] [b-]"), {"-b", "a-", "ab"}, {"bb", "a"});
}

TEST(Gbnf, RepetitionBounds) {
  const Grammar g = gbnf(R"(root ::= "a"{2} "b"{1,3} "c"{2,} "d"{ 0 , 1 } ("xy"){0,2})");
  expect_language(g, {"aabcc", "aabbbccccd", "aabccxyxy", "aabbccdxy"},
                  {"abcc", "aaabcc", "aacc", "aabbbbcc", "aabc", "aabccdd", "aabccxyxyxy", "aabccx"});
  // Quantifiers stack: (x{2})? and ("a"+)*.
  expect_language(gbnf(R"(root ::= "x"{2}? "y")"), {"y", "xxy"}, {"xy", "xxxy"});
}

TEST(Gbnf, CommentsMultilineRulesAndNames) {
  const Grammar g = gbnf("# leading comment\r\n"
                         "root ::= greeting-1 # trailing comment\r\n"
                         "  \r\n"
                         "greeting-1 ::= (   # a group spans lines\n"
                         "    \"hello\"   # comment inside\n"
                         "  | \"hi\"\n"
                         "  ) sp-2 name_x\n"
                         "sp-2 ::= \" \" |\n"
                         "         \"  \"\n"
                         "name_x ::= \"bob\"\n"
                         "  | \"ann\"   # a line starting with '|' continues the rule\n");
  expect_language(g, {"hello bob", "hi  ann", "hi ann"}, {"hello", "hellobob", "hi   bob", "hey bob"});
}

TEST(Gbnf, RootSelection) {
  // "root" wins wherever it is; otherwise the first rule; options.root_rule overrides both.
  expect_language(gbnf("a ::= \"a\"\nroot ::= \"r\""), {"r"}, {"a"});
  expect_language(gbnf("first ::= \"1\"\nsecond ::= \"2\""), {"1"}, {"2"});
  expect_language(gbnf("first ::= \"1\"\nsecond ::= \"2\"", "second"), {"2"}, {"1"});
  EXPECT_EQ(gbnf_error("first ::= \"1\"\n", "other"),
            "grammar: no root rule: rule 'other' is not defined at line 2 column 1");
}

TEST(Gbnf, EmptyAlternativesAndLiterals) {
  expect_language(gbnf(R"(root ::= "a" ( | "b") "" "c" |)"), {"ac", "abc", ""}, {"a", "bc"});
}

TEST(Gbnf, Errors) {
  EXPECT_EQ(gbnf_error(R"(root ::= "a" ))"), "grammar: expected the end of the rule (a newline), found ')' at line 1 column 14");
  // A literal may span lines (as in llama.cpp), so this one ends at the second quote.
  EXPECT_EQ(gbnf_error("root ::= \"abc\nx ::= \"y\""), "grammar: unterminated string literal at line 2 column 9");
  EXPECT_EQ(gbnf_error("root ::= \"abc"), "grammar: unterminated string literal at line 1 column 10");
  EXPECT_EQ(gbnf_error("root ::= [abc"), "grammar: unterminated character class at line 1 column 10");
  EXPECT_THAT(gbnf_error(R"(root ::= "a\qb")"), HasSubstr("unknown escape '\\q'"));
  EXPECT_THAT(gbnf_error(R"(root ::= "a\qb")"), HasSubstr("at line 1 column 12"));
  EXPECT_EQ(gbnf_error("root ::= a\na ::= b c\nb ::= \"x\""), "grammar: undefined rule 'c' at line 2 column 9");
  EXPECT_EQ(gbnf_error("root ::= \"x\"\nroot ::= \"y\""),
            "grammar: duplicate definition of rule 'root' (first defined at line 1 column 1) at line 2 column 1");
  EXPECT_EQ(gbnf_error(""), "grammar: empty grammar (no rules) at line 1 column 1");
  EXPECT_EQ(gbnf_error("# only a comment\n\n"), "grammar: empty grammar (no rules) at line 3 column 1");
  EXPECT_EQ(gbnf_error("root = \"a\""), "grammar: expected '::=' after rule name 'root', found '=' at line 1 column 6");
  EXPECT_EQ(gbnf_error("root ::= (\"a\" \"b\""), "grammar: expected ')' to close the '(' at line 1 column 10, found end of input at line 1 column 18");
  EXPECT_EQ(gbnf_error("root ::= * \"a\""), "grammar: '*' has no item before it to repeat at line 1 column 10");
  EXPECT_EQ(gbnf_error("root ::= \"a\"{3,2}"), "grammar: repetition {3,2} has its maximum below its minimum at line 1 column 13");
  EXPECT_EQ(gbnf_error("root ::= \"a\"{0,20000}"), "grammar: repetition count 20000 is above the limit of 10000 at line 1 column 16");
  EXPECT_EQ(gbnf_error("root ::= \"a\"{x}"), "grammar: expected a number in the repetition, found 'x' at line 1 column 14");
  EXPECT_EQ(gbnf_error("root ::= \"a\"{2"), "grammar: expected ',' or '}' in a repetition, found end of input at line 1 column 15");
  EXPECT_EQ(gbnf_error("root ::= [z-a]"), "grammar: character range U+007A-U+0061 is reversed at line 1 column 11");
  EXPECT_EQ(gbnf_error(R"(root ::= "\uD800")"),
            "grammar: escape U+D800 is not a Unicode scalar value (no UTF-8 for it) at line 1 column 11");
  EXPECT_EQ(gbnf_error(R"(root ::= "\x4")"), "grammar: escape needs 2 hex digits at line 1 column 11");
  EXPECT_EQ(gbnf_error("root ::= \"\xC3(\""), "grammar: invalid UTF-8 at line 1 column 11");
  EXPECT_EQ(gbnf_error("root ::= <think> \"a\""), "grammar: token references (<...>) are not supported at line 1 column 10");
  EXPECT_EQ(gbnf_error("root ::= \"a\"\n  \"b\""), "grammar: expected a rule name, found '\"' at line 2 column 3");
}

TEST(Gbnf, LeftRecursionIsRefusedNamingTheRule) {
  EXPECT_THAT(gbnf_error("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]"),
              HasSubstr("grammar: rule 'expr' is left-recursive (expr -> expr)"));
  EXPECT_THAT(gbnf_error("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]"),
              HasSubstr("at line 2 column 1"));
  // Through another rule, and behind a prefix that can be empty.
  EXPECT_THAT(gbnf_error("root ::= a\na ::= b \"x\"\nb ::= \"y\" | a \"z\""),
              HasSubstr("rule 'a' is left-recursive (a -> b -> a)"));
  EXPECT_THAT(gbnf_error("root ::= \"-\"? ws root \"x\" | \"y\"\nws ::= \" \"*"),
              HasSubstr("rule 'root' is left-recursive (root -> root)"));
  // Recursion after a byte is fine.
  expect_language(gbnf("root ::= \"(\" root \")\" | \"\""), {"", "(())"}, {"(()"});
}

TEST(Ebnf, DialectDetection) {
  expect_language(ebnf_grammar("root ::= \"a\" | \"b\"\n"), {"a", "b"}, {"c"});
  expect_language(ebnf_grammar("start: \"a\" | \"b\"\n"), {"a", "b"}, {"c"});
  expect_language(ebnf_grammar("// lark\n?start: x\nx.2: \"x\"\n"), {"x"}, {"xx"});
  expect_language(ebnf_grammar("root ::= \"a:\" b\nb ::= \"b\""), {"a:b"}, {"a"});
  EXPECT_THAT(error_of("", EbnfDialect::kAuto), HasSubstr("empty grammar"));
}

// ---------------------------------------------------------------- Lark

TEST(Lark, ArithmeticWithIgnoredWhitespace) {
  const Grammar g = lark(R"g(
?start: sum
?sum: product
    | product "+" sum  -> add
    | product "-" sum  -> sub
?product: atom (("*" | "/") atom)*
?atom: NUMBER | "-" atom | "(" sum ")"

%import common.NUMBER
%import common.WS_INLINE
%ignore WS_INLINE
)g");
  expect_language(g, {"1+2*3", " 1 + 2 * 3 ", "(1.5e3 - -2) / 4", "-(7)", "\t8\t"},
                  {"", "1 +", "1 2", "1\n+2", "(1", "1.5 e3", "()"});
}

constexpr std::string_view kJsonLark = R"g(start: value

value: object
     | array
     | ESCAPED_STRING
     | SIGNED_NUMBER
     | "true" | "false" | "null"

array  : "[" [value ("," value)*] "]"
object : "{" [pair ("," pair)*] "}"
pair   : ESCAPED_STRING ":" value

%import common.ESCAPED_STRING
%import common.SIGNED_NUMBER
%import common.WS
%ignore WS
)g";

TEST(Lark, Json) {
  const Grammar g = lark(kJsonLark);
  expect_language(g,
                  {R"( { "a" : [1, -2.5, true] , "b\"c": null } )", "[]", "{}", "\n[\n  \"x\",\n  {}\n]\n", "-1e5",
                   "\"\xC3\xA9\""},
                  {R"({"a":1,})", R"(["x])", R"("a"b")", "[1 2]", "nul l", "tr ue", "\"a\nb\""});
}

TEST(Lark, ChoicesOptionalsRangesAndRepeats) {
  const Grammar g = lark(R"g(
start: greeting ["," name] "!"~1..3 _tail
greeting: "hello"i | "hi"   // "i": case-insensitive
name: LETTER_LOW+ | CAP
_tail: "#"~2
CAP.2: "A".."Z" LETTER_LOW*
LETTER_LOW: "a".."z"
)g");
  expect_language(g, {"hello!##", "HeLLo,bob!!!##", "hi,Ann!##", "hi,abc!!##"},
                  {"hello##", "Hi!##", "hello!!!!##", "hello!#", "hello,!##", "hello,aB!##", "hi ,a!##"});
}

TEST(Lark, IgnoreAppliesToRulesDefinedBeforeIt) {
  // %ignore at the end (where Lark grammars put it) still lets whitespace in between tokens,
  // at the start and at the end; never inside a terminal.
  const Grammar g = lark("start: \"a\" WORD \"b\"\nWORD: \"xy\"\n%ignore \" \"\n%ignore \"\\t\"");
  expect_language(g, {"axyb", " a \txy b\t ", "a xyb"}, {"ax yb", "a\nxyb", "axy"});
}

TEST(Lark, RegexTerminals) {
  const Grammar g = lark(R"g(
start: call (";" call)*
call: NAME "(" [arg ("," arg)*] ")"
arg: NAME | NUM | PATH
NAME: /[a-z_][a-z0-9_]*/
NUM: /-?\d+(\.\d+)?/
PATH: /\/[a-z]+(\/[a-z]+)*/
%ignore /[ \t]+/
)g");
  expect_language(g, {"f()", "f(x, 1.5)", " go ( /usr/bin , -3 ) ; g(a)", "h(/a)"},
                  {"F()", "f(1.)", "f(x y)", "f(/)", "f(usr/)", "f()g()"});
  EXPECT_THAT(lark_error("start: /a(?=b)/"), HasSubstr("grammar: in regular expression /a(?=b)/: "));
  EXPECT_THAT(lark_error("start: /a(?=b)/"), HasSubstr(" at line 1 column 10"));
  EXPECT_THAT(lark_error("start: \"x\"\n  | /[a-/"), HasSubstr("at line 2 column"));
}

TEST(Lark, CommonTerminals) {
  struct Case {
    const char* name;
    std::vector<std::string> accepted, rejected;
  };
  const std::vector<Case> cases = {
      {"DIGIT", {"0", "9"}, {"", "a", "10"}},
      {"INT", {"0", "007", "123"}, {"", "-1", "1.0"}},
      {"SIGNED_INT", {"-3", "+3", "3"}, {"", "--3", "3-"}},
      {"DECIMAL", {"1.", ".5", "1.5"}, {"1", ".", "1.5e3"}},
      {"NUMBER", {"1", "1.5", "1e5", "1.5E-3", ".5e+2", "2."}, {"e5", "1e", "-1", "1.5.3"}},
      {"SIGNED_NUMBER", {"-.5", "+1e3", "7"}, {"-", "+-1"}},
      {"LETTER", {"a", "Z"}, {"1", "ab", "\xC3\xA9"}},
      {"WORD", {"abc", "aBc"}, {"", "ab1", "a b"}},
      {"CNAME", {"_a1", "x", "__"}, {"1a", "", "a-b"}},
      {"ESCAPED_STRING", {"\"\"", R"("a\"b")", R"("a\\")", "\"\xC3\xA9\"", R"("\q")"},
       {R"("a"b")", R"("a\")", "\"a\nb\"", "\"a", "a\""}},
      {"WS", {" ", " \t\n\r\f"}, {"", "x"}},
      {"WS_INLINE", {" ", "\t "}, {"", "\n"}},
      {"NEWLINE", {"\n", "\r\n\n"}, {"", "\r", " \n"}},
      {"C_COMMENT", {"/**/", "/* a * b */", "/***/", "/* x\n*/"}, {"/*/", "/* */ */", "/* a"}},
      {"SH_COMMENT", {"#", "# x"}, {"# x\n"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Grammar g = lark(fmt::format("start: {}\n%import common.{}\n", c.name, c.name));
    expect_language(g, c.accepted, c.rejected);
  }
  // The other import forms.
  expect_language(lark("start: N LETTER\n%import common (INT, LETTER)\n%import common.INT -> N\n"), {"12a"}, {"12"});
  expect_language(lark("start: INT\n%import common (INT,\n    LETTER)\n"), {"12"}, {"a"});
}

TEST(Lark, Errors) {
  EXPECT_EQ(lark_error("start: sep{x}\nsep{a}: a"), "grammar: templates (sep{...}) are not supported at line 1 column 11");
  EXPECT_EQ(lark_error("start: X\n%declare X"), "grammar: %declare is not supported (only %import common.* and %ignore are) at line 2 column 1");
  EXPECT_EQ(lark_error("start: X\n%import python.X"),
            "grammar: %import from 'python' is not supported (only common.* is) at line 2 column 9");
  EXPECT_THAT(lark_error("start: X\n%import common.FOO"),
              HasSubstr("common.FOO is not a terminal this supports"));
  EXPECT_THAT(lark_error("start: X\n%import common.FOO"), HasSubstr("at line 2 column 16"));
  EXPECT_EQ(lark_error("start: a\na: b \"x\""), "grammar: undefined rule 'b' at line 2 column 4");
  EXPECT_EQ(lark_error("start: A"), "grammar: undefined terminal 'A' at line 1 column 8");
  EXPECT_EQ(lark_error("start: \"a\"\nstart: \"b\""),
            "grammar: duplicate definition of rule 'start' (first defined at line 1 column 1) at line 2 column 1");
  EXPECT_EQ(lark_error("start: WS\nWS: \" \"\n%import common.WS"),
            "grammar: duplicate definition of terminal 'WS' (first defined at line 2 column 1) at line 3 column 16");
  EXPECT_EQ(lark_error("value: \"a\"\n"), "grammar: no root rule: rule 'start' is not defined at line 2 column 1");
  expect_language(lark("value: \"a\"\n", "value"), {"a"}, {""});
  EXPECT_EQ(lark_error("// nothing\n"), "grammar: empty grammar (no rules) at line 2 column 1");
  EXPECT_EQ(lark_error("start: A\nA: \"a\" b\nb: \"b\""),
            "grammar: terminal 'A' refers to rule 'b' (terminals can only use terminals) at line 2 column 8");
  EXPECT_EQ(lark_error("start: A\nA: \"a\" B?\nB: \"b\" A"),
            "grammar: terminal 'A' is recursive (A -> B -> A); terminals must be regular, use a rule at line 2 column 1");
  EXPECT_THAT(lark_error("start: expr\nexpr: expr \"+\" term | term\nterm: \"1\""),
              HasSubstr("grammar: rule 'expr' is left-recursive (expr -> expr)"));
  EXPECT_THAT(lark_error("start: expr\nexpr: expr \"+\" term | term\nterm: \"1\""), HasSubstr("at line 2 column 1"));
  EXPECT_EQ(lark_error("start: /a/i"), "grammar: regular expression flags ('i') are not supported at line 1 column 11");
  EXPECT_EQ(lark_error("start: \"abc"), "grammar: unterminated string at line 1 column 8");
  EXPECT_EQ(lark_error("start: \"a\" ; \"b\""), "grammar: unexpected character ';' at line 1 column 12");
  EXPECT_EQ(lark_error("start: \"a\" )"), "grammar: expected the end of the line, found ')' at line 1 column 12");
  EXPECT_EQ(lark_error("start: (\"a\"\n"), "grammar: expected ')' to close the '(' at line 1 column 8, found end of input at line 2 column 1");
  EXPECT_EQ(lark_error("start: \"a\"\n  \"b\""), "grammar: expected a rule or terminal definition, found a string at line 2 column 3");
  // Blank lines may come before a continuing '|' (Lark's _VBAR is _NL? "|").
  expect_language(lark("start: \"a\"\n| \"b\"\n\n  | \"c\""), {"a", "b", "c"}, {"d"});
  EXPECT_EQ(lark_error("Start: \"a\""), "grammar: name 'Start' mixes cases: rules are lowercase, terminals uppercase at line 1 column 1");
  EXPECT_EQ(lark_error("start: \"a\"~3..1"), "grammar: repetition ~ 3..1 has its maximum below its minimum at line 1 column 11");
  EXPECT_EQ(lark_error("start: \"\xC3\xA9\"i"), "grammar: case-insensitive strings with non-ASCII characters are not supported at line 1 column 8");
  EXPECT_EQ(lark_error("start: \"ab\"..\"z\""), "grammar: a range \"a\"..\"z\" needs one character on each side at line 1 column 8");
  EXPECT_EQ(lark_error("start: \"a\\d\""), "grammar: unknown escape '\\d' in a string (known: \\n \\t \\r \\f \\v \\a \\b \\0 \\\\ \\\" \\' \\x \\u \\U) at line 1 column 10");
}

}  // namespace
}  // namespace turbine::structured
