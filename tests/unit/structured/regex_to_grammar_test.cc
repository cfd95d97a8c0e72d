// The regex front end against PCRE2 as the reference engine: for each pattern of a table (real
// JSON Schema patterns and edge cases), hand-picked strings, random strings over the pattern's own
// characters plus extra and invalid bytes, strings sampled from the built grammar and mutations of
// those must be accepted by the grammar exactly when PCRE2 matches them in full (PCRE2_UTF without
// PCRE2_UCP, so \d \w \s keep their ASCII meanings); invalid UTF-8 never. Then every refused
// construct must be an Error that names it and its offset.
#include "structured/regex_to_grammar.h"

#include <pcre2.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "grammar_oracle.h"
#include "tokenizer/utf8.h"

namespace turbine::structured {
namespace {

using testing::grammar_accepts;

std::string utf8(uint32_t cp) {
  std::string s;
  tokenizer::utf8::append(s, char32_t(cp));
  return s;
}

// Splits valid UTF-8 into characters; false if `s` is not strictly valid UTF-8 (overlongs,
// surrogates, values past 10FFFF and truncated sequences are invalid).
bool split_utf8(std::string_view s, std::vector<std::string>* chars = nullptr) {
  for (size_t i = 0; i < s.size();) {
    const auto b0 = uint8_t(s[i]);
    size_t n;
    uint32_t cp, min;
    if (b0 < 0x80) { n = 1; cp = b0; min = 0; }
    else if ((b0 & 0xE0) == 0xC0) { n = 2; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { n = 3; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { n = 4; cp = b0 & 0x07; min = 0x10000; }
    else return false;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (chars) chars->emplace_back(s.substr(i, n));
    i += n;
  }
  return true;
}

// Our dialect in PCRE2 spelling: \v is vertical TAB (PCRE2: any vertical space), \uHHHH and
// \u{H..} are \x{...}.
std::string to_pcre2(std::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '\\' || i + 1 >= p.size()) { out += p[i]; continue; }
    const char c = p[i + 1];
    if (c == 'v') {
      out += "\\x0B";
      ++i;
    } else if (c == 'u' && i + 2 < p.size() && p[i + 2] == '{') {
      const size_t close = p.find('}', i);
      out += "\\x" + std::string(p.substr(i + 2, close - i - 1));
      i = close;
    } else if (c == 'u') {
      out += "\\x{" + std::string(p.substr(i + 2, 4)) + "}";
      i += 5;
    } else {
      out += p.substr(i, 2);
      ++i;
    }
  }
  return out;
}

class Pcre2FullMatch {
 public:
  explicit Pcre2FullMatch(std::string_view pattern) {
    const std::string translated = to_pcre2(pattern);
    pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                          PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY, &error_code,
                          &error_offset, ctx);
    pcre2_compile_context_free(ctx);
    if (!code_) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error_code, message, sizeof(message));
      ADD_FAILURE() << "PCRE2 cannot compile " << translated << ": " << reinterpret_cast<const char*>(message);
    }
    data_ = pcre2_match_data_create(1, nullptr);
  }
  ~Pcre2FullMatch() {
    pcre2_match_data_free(data_);
    pcre2_code_free(code_);
  }
  bool ok() const { return code_ != nullptr; }
  bool matches(std::string_view s) const {
    const int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, data_, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    EXPECT_GE(rc, 0) << "PCRE2 match error " << rc;
    return rc >= 0;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* data_ = nullptr;
};

// A random string of the expression's language (unbounded repetition stops after a few rounds);
// false if it hit a nothing().
bool sample(const Grammar& g, ExprId id, std::mt19937& rng, std::string& out) {
  const Expr& e = g.expr(id);
  switch (e.kind) {
    case Expr::Kind::kEmpty: return true;
    case Expr::Kind::kNothing: return false;
    case Expr::Kind::kBytes: {
      std::vector<uint8_t> members;
      for (int b = 0; b < 256; ++b)
        if (e.bytes.contains(uint8_t(b))) members.push_back(uint8_t(b));
      out += char(members[rng() % members.size()]);
      return true;
    }
    case Expr::Kind::kRule: return sample(g, g.rule_body(e.rule), rng, out);
    case Expr::Kind::kSequence:
      for (ExprId c : e.children)
        if (!sample(g, c, rng, out)) return false;
      return true;
    case Expr::Kind::kChoice: return sample(g, e.children[rng() % e.children.size()], rng, out);
    case Expr::Kind::kRepeat: {
      const int extra = e.max == kUnbounded ? int(rng() % 4) : int(rng() % uint32_t(std::min(e.max - e.min, 3) + 1));
      for (int i = 0; i < e.min + extra; ++i)
        if (!sample(g, e.children[0], rng, out)) return false;
      return true;
    }
  }
  return false;
}

struct Case {
  const char* pattern;
  std::vector<std::string> candidates;  // hand-picked; verdicts come from PCRE2
};

const std::vector<Case>& cases() {
  static const std::vector<Case> k = {
      // Patterns from real JSON Schemas.
      {R"(^[A-Z]{2}$)", {"US", "us", "USA", "U", "", "U1"}},
      {R"(^[A-Z]{3}$)", {"EUR", "eur", "EU", "EURO"}},
      {R"(^\d{3}-\d{4}$)", {"555-1234", "5551234", "55-1234", "555-12345", "５55-1234"}},
      {R"(^(\+|-)?\d+(\.\d+)?$)", {"1", "+1", "-1.5", "1.", ".5", "+-1", "12.34", "", "1e5"}},
      {R"(^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$)", {"a@b.co", "john.doe+x@mail.example.org", "a@b.c", "@b.co", "a@@b.co", "a b@c.de"}},
      {R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)", {"a@b.c", "ü@ö.de", "a@b", "a @b.c", "a@b@c.d"}},
      {R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)", {"2024-02-29", "2024-13-01", "2024-00-10", "2024-12-31", "2024-12-32", "24-12-01"}},
      {R"(^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$)", {"23:59", "24:00", "12:30:45", "12:30:60", "1:30"}},
      {R"(^\+?[1-9]\d{1,14}$)", {"+14155552671", "14155552671", "+0123", "+1", "1234567890123456"}},
      {R"(^\(\d{3}\) \d{3}-\d{4}$)", {"(555) 123-4567", "555 123-4567", "(555)123-4567"}},
      {R"(^[a-z]{2,3}(-[A-Z]{2})?$)", {"en", "en-US", "eng", "en-us", "e", "engl"}},
      {R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)",
       {"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400", "123e4567e89b12d3a456426614174000"}},
      {R"(^#([0-9a-fA-F]{3}){1,2}$)", {"#fff", "#ffffff", "#ffff", "#ggg", "fff"}},
      {R"(^\d{5}(-\d{4})?$)", {"12345", "12345-6789", "1234", "12345-678"}},
      {R"(^[a-z0-9]+(?:-[a-z0-9]+)*$)", {"my-slug-1", "-slug", "slug-", "a--b", "a"}},
      {R"(^https?://[^\s/$.?#].[^\s]*$)", {"http://a.b", "https://example.com/x?y=1", "ftp://a.b", "http:// a"}},
      {R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$)", {"1.2.3", "01.2.3", "0.0.0", "1.2"}},
      {R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$)",
       {"192.168.0.1", "256.1.1.1", "1.1.1", "01.1.1.1", "255.255.255.255"}},
      {R"((?P<year>\d{4})-(?<month>\d\d))", {"2024-01", "2024-1"}},
      {R"(\$\d+(\.\d{2})?)", {"$5", "$5.00", "$5.0", "5"}},
      {R"([+-]?(\d+|\d*\.\d+)([eE][+-]?\d+)?)", {"1e10", ".5", "-3.25E-2", "1.", "e5", "+"}},
      // Classes.
      {R"([]a]+)", {"]", "a]a", "b", ""}},
      {R"([^]a])", {"]", "a", "b", "\n", "é"}},
      {R"([a\-z])", {"a", "-", "z", "b"}},
      {R"([-a]+)", {"-", "a-", "b"}},
      {R"([a-]+)", {"-", "a-", "b"}},
      {R"([\]\\\-\[]+)", {"]", "\\", "-", "[", "a"}},
      {R"([[]+)", {"[", "[[", "]"}},
      {R"([\b]x)", {"\bx", "x", "bx"}},
      {"[é-ü]", {"é", "ü", "ö", "e", "ý", "è"}},
      {R"([\x7E-\u0101])", {"~", "\x7F", "\xC2\x80", utf8(0x100), utf8(0x101), utf8(0x102), "}"}},
      {R"([\u07FF-\u0801])", {utf8(0x7FE), utf8(0x7FF), utf8(0x800), utf8(0x801), utf8(0x802)}},
      {R"([\u{FFFF}-\u{10001}])", {utf8(0xFFFE), utf8(0xFFFF), utf8(0x10000), utf8(0x10001), utf8(0x10002)}},
      {"[😀-😂]", {"😀", "😁", "😂", "😃", "🙂"}},
      {R"([^a-z])", {"a", "A", "\n", "é", "😀", ""}},
      {R"([^\x00-\x7F]+)", {"é中😀", "éa", "\x7F", utf8(0x80)}},
      {R"([^é])", {"é", "e", "ê", "\n"}},
      {R"([\u0041-\u005A]+)", {"ABC", "abc", "@", "["}},
      {R"(\d\w\s)", {"1a ", "1_\t", "12\n", "1a\v", "1a\f", "1a\r", "١a ", "1é ", "1a\xC2\xA0"}},
      {R"(\D\W\S)", {"a b", "é!x", "1 b", "a  ", "😀-中"}},
      {R"([\D])", {"a", "1", "é"}},
      {R"([^\d\s]+)", {"abc", "a1", "a b", "é"}},
      {R"([\w.-]+)", {"a.b-c_d", "a b", "é"}},
      {R"([\S\s])", {"a", " ", "\n", "😀"}},
      // Quantifiers.
      {R"(a{0})", {"", "a"}},
      {R"(ab{0}c)", {"ac", "abc"}},
      {R"(a{2,})", {"a", "aa", "aaaaa"}},
      {R"(a{2,3})", {"a", "aa", "aaa", "aaaa"}},
      {R"((ab){1,3}?)", {"ab", "ababab", "abababab", ""}},
      {R"(a*?b+?c??)", {"b", "aabbc", "ac", "bcc"}},
      {R"(a{2,}?)", {"aa", "a"}},
      {R"(x{1}y{0,}z{0,1})", {"x", "xyyz", "xzz"}},
      // Alternation with empty sides, empty groups.
      {R"(a|)", {"", "a", "aa"}},
      {R"(|a)", {"", "a", "b"}},
      {R"((|a|)b)", {"b", "ab", "aab"}},
      {R"(())", {"", "a"}},
      {R"(a||b)", {"", "a", "b", "ab"}},
      // Non-ASCII literals and '.'.
      {"héllo", {"héllo", "hello", "he\xCC\x81llo"}},
      {"日本語+", {"日本語", "日本語語語", "日本"}},
      {"😀|🙂", {"😀", "🙂", "😀🙂"}},
      {".", {"a", "é", "中", "😀", "\n", "\r", "", "ab"}},
      {"..", {"éa", "😀😀", "a", "a\n"}},
      {"a.c", {"abc", "a😀c", "a\nc"}},
      {".*", {"", "abc", "a\nb", "é😀"}},
      // Escapes.
      {R"(\n\t\r\f\v\0)", {std::string("\n\t\r\f\v\0", 6), std::string("\n\t\r\f\n\0", 6)}},
      {R"(\x41\u00e9\u{1F600})", {"Aé😀", "A\xC3\xA9\xF0\x9F\x98\x80", "Ae😀"}},
      {R"(\.\*\+\?\(\)\[\]\{\}\|\\\^\$\/)", {".*+?()[]{}|\\^$/", ".*+?()[]{}|\\^$"}},
      {R"(\ \#\:\é)", {" #:é", "#:é"}},
      // Braces that are not quantifiers are literal.
      {R"(a{)", {"a{", "a"}},
      {R"(a{x})", {"a{x}", "ax"}},
      {R"(a{1,x})", {"a{1,x}", "a"}},
      {R"(x{}})", {"x{}}", "x"}},
      {R"(]})", {"]}"}},
      // Nested and nullable repetition.
      {R"((a*)*)", {"", "aaaa", "b"}},
      {R"((a*)+b)", {"b", "aab", "aa"}},
      {R"((a|b?)*c)", {"c", "abbac", "ab"}},
      {R"(((a?){2})*)", {"", "a", "aaa"}},
      {R"((a{0,2}){2,3})", {"", "aaaaaa", "aaaaaaa"}},
      // Anchors where they are certain to hold.
      {R"(^$)", {"", "a"}},
      {R"(^a|b$)", {"a", "b", "ab"}},
      {R"((^a|b)c)", {"ac", "bc", "c"}},
      {R"((a|b$))", {"a", "b"}},
      {R"((^a)?b)", {"ab", "b", "a"}},
      {R"(^^a$$)", {"a", ""}},
  };
  return k;
}

TEST(RegexToGrammar, AgreesWithPcre2) {
  std::mt19937 rng(12345);
  const std::vector<std::string> extra = {"a", "Z", "0", "9", "-", ".", "_", " ", "\n", "\t", "\v", "é", "ü",
                                          "中", "😀", "\x7F", "\xC2\x80", std::string(1, '\0')};
  const std::vector<std::string> invalid = {"\xFF", "\xC3", "\x80", "\xED\xA0\x80", "\xC1\x81", "\xF4\x90\x80\x80"};
  size_t checked = 0, positives = 0, invalid_checked = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.pattern);
    const Pcre2FullMatch pcre(c.pattern);
    if (!pcre.ok()) continue;
    Grammar g;
    ASSERT_NO_THROW(g = regex_grammar(c.pattern));

    // Alphabet: the pattern's own characters, the extras, invalid bytes.
    std::vector<std::string> alphabet;
    ASSERT_TRUE(split_utf8(c.pattern, &alphabet));
    alphabet.insert(alphabet.end(), extra.begin(), extra.end());
    alphabet.insert(alphabet.end(), invalid.begin(), invalid.end());

    std::set<std::string> strings(c.candidates.begin(), c.candidates.end());
    for (int i = 0; i < 200; ++i) {
      std::string s;
      const int n = int(rng() % 7);
      for (int k = 0; k < n; ++k) s += alphabet[rng() % alphabet.size()];
      strings.insert(s);
    }
    // Strings of the grammar's language, and their one-character mutations.
    for (int i = 0; i < 60; ++i) {
      std::string s;
      if (!sample(g, g.rule_body(g.root()), rng, s)) continue;
      EXPECT_TRUE(pcre.matches(s)) << "sampled from the grammar, but PCRE2 does not match: " << ::testing::PrintToString(s);
      strings.insert(s);
      std::vector<std::string> chars;
      if (!split_utf8(s, &chars)) {
        ADD_FAILURE() << "the grammar produced invalid UTF-8: " << ::testing::PrintToString(s);
        continue;
      }
      for (int m = 0; m < 3; ++m) {
        std::vector<std::string> t = chars;
        const size_t at = t.empty() ? 0 : rng() % t.size();
        switch (rng() % 3) {
          case 0: if (!t.empty()) t.erase(t.begin() + long(at)); break;
          case 1: t.insert(t.begin() + long(at), alphabet[rng() % alphabet.size()]); break;
          default: if (!t.empty()) t[at] = alphabet[rng() % alphabet.size()]; break;
        }
        std::string joined;
        for (const std::string& ch : t) joined += ch;
        strings.insert(joined);
      }
    }

    bool any_match = false, any_miss = false;
    for (const std::string& s : strings) {
      const bool ours = grammar_accepts(g, s);
      if (!split_utf8(s)) {
        EXPECT_FALSE(ours) << "accepts invalid UTF-8 " << ::testing::PrintToString(s);
        ++invalid_checked;
        continue;
      }
      const bool want = pcre.matches(s);
      EXPECT_EQ(ours, want) << ::testing::PrintToString(s) << "\n" << g.to_string();
      (want ? any_match : any_miss) = true;
      positives += want;
      ++checked;
    }
    EXPECT_TRUE(any_match) << "no candidate matches: the case checks nothing positive";
    EXPECT_TRUE(any_miss) << "every candidate matches: the case checks nothing negative";
  }
  EXPECT_GE(cases().size(), 60u);
  std::cout << "[ info ] " << cases().size() << " patterns, " << checked << " valid strings (" << positives
            << " matching), " << invalid_checked << " invalid UTF-8 strings\n";
}

TEST(RegexToGrammar, SurrogatePairEscapesAreOneCodepoint) {
  const Grammar g = regex_grammar(R"(\uD83D\uDE00)");
  EXPECT_TRUE(grammar_accepts(g, "😀"));
  EXPECT_FALSE(grammar_accepts(g, "\xED\xA0\xBD\xED\xB8\x80"));  // the surrogates themselves (CESU-8)
  const Grammar range = regex_grammar(R"([\uD83D\uDE00-\uD83D\uDE02]+)");
  EXPECT_TRUE(grammar_accepts(range, "😁😂😀"));
  EXPECT_FALSE(grammar_accepts(range, "😃"));
}

TEST(RegexToGrammar, NestedNullableRepetitionDoesNotHang) {
  // PCRE2 itself backtracks past its match limit on these at this length, so the verdicts are
  // spelled out: a run of a's, then the pattern's final letter if it has one.
  const std::string run(300, 'a');
  const std::vector<std::pair<const char*, std::string>> patterns = {
      {"(a*)*", ""}, {"(a*)*b", "b"}, {"((a|)*)*c", "c"}, {"(a?)*(a?)*", ""}, {"(a{0,3})*x", "x"}};
  for (const auto& [p, last] : patterns) {
    const Grammar g = regex_grammar(p);
    for (const std::string tail : {"", "b", "c", "x", "d"})
      EXPECT_EQ(grammar_accepts(g, run + tail), tail == last) << p << " on a^300" << tail;
  }
}

TEST(RegexToGrammar, RepeatLimit) {
  EXPECT_NO_THROW(regex_grammar("a{10000}"));
  EXPECT_NO_THROW(regex_grammar("a*b+c{3,}"));
  const RegexOptions five{.max_repeat = 5};
  EXPECT_NO_THROW(regex_grammar("a{5}b{0,5}c{5,}", five));
  EXPECT_NO_THROW(regex_grammar("a*", five));
  for (const char* p : {"a{6}", "a{2,6}", "a{6,}", "a{99999999999999999999}"}) {
    try {
      regex_grammar(p, five);
      ADD_FAILURE() << p << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("exceeds the limit of 5"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(regex_grammar("a{10001}"), Error);
}

struct Refusal {
  std::string pattern;
  std::string names;  // a piece of the message
  size_t offset;
};

TEST(RegexToGrammar, RefusesUnsupportedAndInvalidPatternsByName) {
  const std::vector<Refusal> refusals = {
      {"a(?=b)", "lookahead", 1},
      {"a(?!b)", "negative lookahead", 1},
      {"(?<=a)b", "lookbehind", 0},
      {"(?<!a)b", "negative lookbehind", 0},
      {R"((a)\1)", "backreference \\1", 3},
      {R"((?P<x>a)(?P=x))", "backreference (?P=name)", 8},
      {R"((?<x>a)\k<x>)", "backreference \\k", 7},
      {R"(\bword\b)", "word boundary \\b", 0},
      {R"(a\B)", "\\B", 1},
      {"a++", "possessive", 1},
      {"a{2}+", "possessive", 1},
      {"(?i)abc", "inline flags", 0},
      {"(?i:abc)", "inline flags", 0},
      {"(?>a)", "atomic group", 0},
      {"(?#note)a", "comment group", 0},
      {"(ab", "missing ')'", 0},
      {"a(b(c)", "missing ')'", 1},
      {"ab)", "unbalanced ')'", 2},
      {"[ab", "missing ']'", 0},
      {"a[]", "missing ']'", 1},
      {"*a", "nothing to repeat", 0},
      {"a|*", "nothing to repeat", 2},
      {"(+a)", "nothing to repeat", 1},
      {"{2}", "nothing to repeat", 0},
      {"a**", "multiple quantifiers", 2},
      {"a{2}{3}", "multiple quantifiers", 4},
      {R"(\q)", "bad escape \\q", 0},
      {R"(a\)", "lone '\\'", 1},
      {R"(\x4)", "bad escape \\x", 0},
      {R"(\u12)", "bad escape \\u", 0},
      {R"(\u{110000})", "past U+10FFFF", 0},
      {R"(\uD800)", "lone surrogate", 0},
      {R"(\012)", "octal", 0},
      {R"(\p{L}+)", "Unicode property class \\p{L}", 0},
      {R"([\P{Lu}])", "Unicode property class \\P{Lu}", 1},
      {R"(\Aa)", "anchor \\A", 0},
      {R"(\Qa\E)", "quoting", 0},
      {"a\xFF", "invalid UTF-8", 1},
      {"\xC3(", "invalid UTF-8", 0},
      {"a{10001}", "exceeds the limit of 10000", 2},
      {"a{3,2}", "m < n", 1},
      {"a{,3}", "{,m}", 1},
      {"a{,}", "{,m}", 1},
      {"a{1, 2}", "spaces", 1},
      {"a{ 2}", "spaces", 1},
      {"[z-a]", "out of order", 1},
      {R"([a-\d])", "shorthand as its end", 2},
      {R"([\d-z])", "shorthand as its start", 1},
      {"[[:alpha:]]", "POSIX", 1},
      {"a^b", "'^' anchor not at the start", 1},
      {"a$b", "'$' anchor not at the end", 1},
      {"(a$)b", "'$' anchor not at the end", 2},
      {"(^a)*", "repeated group containing an anchor", 4},
      {"^*a", "quantifier on an anchor", 1},
      {"(?<1x>a)", "group name", 3},
      {"(?P<n>a)(?P<n>b)", "duplicate group name 'n'", 12},
      {"(?Pa)", "unknown group syntax", 0},
      {std::string(300, '(') + std::string(300, ')'), "nested deeper", 200},
  };
  for (const Refusal& r : refusals) {
    try {
      regex_grammar(r.pattern);
      ADD_FAILURE() << "accepted " << r.pattern;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.starts_with("regex: ")) << what;
      EXPECT_NE(what.find(r.names), std::string::npos) << r.pattern << ": " << what;
      EXPECT_TRUE(what.ends_with(" at offset " + std::to_string(r.offset))) << r.pattern << ": " << what;
    }
  }
}

TEST(RegexToGrammar, AddRegexAppendsToAGrammar) {
  Grammar g;
  const ExprId key = g.literal("id=");
  const ExprId value = add_regex(g, R"(\d{1,3})");
  g.set_root(g.add_rule("root", g.sequence({key, value})));
  EXPECT_TRUE(grammar_accepts(g, "id=42"));
  EXPECT_FALSE(grammar_accepts(g, "id="));
  EXPECT_FALSE(grammar_accepts(g, "id=1234"));
}

}  // namespace
}  // namespace turbine::structured
