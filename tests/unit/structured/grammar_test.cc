#include "structured/grammar.h"

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

TEST(Grammar, LiteralsSequencesChoicesRepeats) {
  Grammar g;
  const ExprId ab = g.literal("ab");
  const ExprId body = g.sequence({g.repeat(ab, 1, 3), g.choice({g.literal("x"), g.literal("yz")})});
  g.set_root(g.add_rule("root", body));
  EXPECT_TRUE(grammar_accepts(g, "abx"));
  EXPECT_TRUE(grammar_accepts(g, "abababyz"));
  EXPECT_FALSE(grammar_accepts(g, "x"));
  EXPECT_FALSE(grammar_accepts(g, "ababababx"));
  EXPECT_FALSE(grammar_accepts(g, "aby"));
}

TEST(Grammar, RecursiveRules) {
  // Balanced parentheses: p ::= ("(" p ")")*
  Grammar g;
  const RuleId p = g.declare_rule("p");
  g.define_rule(p, g.star(g.sequence({g.byte('('), g.ref(p), g.byte(')')})));
  g.set_root(p);
  EXPECT_TRUE(grammar_accepts(g, ""));
  EXPECT_TRUE(grammar_accepts(g, "(()())()"));
  EXPECT_FALSE(grammar_accepts(g, "(()"));
  EXPECT_FALSE(grammar_accepts(g, ")("));
}

TEST(Grammar, CodepointRangesMatchExactlyTheirUtf8) {
  // Every boundary of the UTF-8 length classes and continuation-byte wraps, inside and outside.
  const std::vector<CodepointRange> ranges = {{0x41, 0x5A}, {0x7F, 0x81}, {0x7FF, 0x801}, {0xFFF, 0x1001},
                                              {0xD7FF, 0xE000}, {0xFFFF, 0x10001}, {0x10FFFE, 0x10FFFF}};
  Grammar g;
  g.set_root(g.add_rule("root", g.codepoints(ranges)));
  auto inside = [&](uint32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    for (auto [lo, hi] : ranges)
      if (cp >= lo && cp <= hi) return true;
    return false;
  };
  for (uint32_t cp : {0x40u, 0x41u, 0x5Au, 0x5Bu, 0x7Eu, 0x7Fu, 0x80u, 0x81u, 0x82u, 0x7FEu, 0x7FFu, 0x800u, 0x801u,
                      0x802u, 0xFFEu, 0xFFFu, 0x1000u, 0x1001u, 0x1002u, 0xD7FEu, 0xD7FFu, 0xE000u, 0xE001u, 0xFFFEu,
                      0xFFFFu, 0x10000u, 0x10001u, 0x10002u, 0x10FFFDu, 0x10FFFEu, 0x10FFFFu})
    EXPECT_EQ(grammar_accepts(g, utf8(cp)), inside(cp)) << std::hex << cp;
  // Overlong and surrogate encodings are never accepted.
  EXPECT_FALSE(grammar_accepts(g, "\xC1\x81"));        // overlong 'A'
  EXPECT_FALSE(grammar_accepts(g, "\xED\xA0\x80"));    // U+D800
}

TEST(Grammar, AnyCodepointAndComplement) {
  Grammar g;
  const CodepointRange quote{'"', '"'};
  g.set_root(g.add_rule("root", g.star(g.codepoints_except({&quote, 1}))));
  EXPECT_TRUE(grammar_accepts(g, "h\xC3\xA9llo \xF0\x9F\x98\x80 \xE4\xB8\xAD"));
  EXPECT_FALSE(grammar_accepts(g, "a\"b"));
  EXPECT_FALSE(grammar_accepts(g, "\xFF"));
  EXPECT_FALSE(grammar_accepts(g, "\xE4\xB8"));  // a truncated character
}

TEST(Grammar, ValidateNamesAnUndefinedRule) {
  Grammar g;
  const RuleId missing = g.declare_rule("value");
  g.set_root(g.add_rule("root", g.ref(missing)));
  try {
    g.validate();
    FAIL() << "validate() accepted an undefined rule";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("value"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace turbine::structured
