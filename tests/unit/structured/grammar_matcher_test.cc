// The compiled matcher against two independent references: its mask against trying every token
// with accept_token (which parses bytes directly), and its can_end against the brute-force
// grammar oracle, along random walks that sample only masked-in tokens.
#include "structured/grammar_matcher.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "grammar_oracle.h"

namespace turbine::structured {
namespace {

constexpr int32_t kStop = 0;

// A vocabulary over `alphabet`: every single byte, then random strings of 2-5 bytes (ids in a
// shuffled order, with a few holes and a logits width past the ids).
std::shared_ptr<const TokenVocabulary> make_vocab(const std::string& alphabet, int extra, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> tokens{""};  // id 0: the stop token
  for (char c : alphabet) tokens.push_back(std::string(1, c));
  for (int i = 0; i < extra; ++i) {
    std::string s;
    const int len = 2 + int(rng() % 4);
    for (int j = 0; j < len; ++j) s += alphabet[rng() % alphabet.size()];
    tokens.push_back(s);
  }
  tokens.push_back("");  // a hole
  std::shuffle(tokens.begin() + 1, tokens.end(), rng);
  const int32_t width = int32_t(tokens.size()) + 7;
  return std::make_shared<TokenVocabulary>(tokens, std::vector<int32_t>{kStop}, width);
}

// A small JSON-like grammar: value ::= object | array | string | number | "true" | "null".
Grammar json_like() {
  Grammar g;
  const RuleId value = g.declare_rule("value");
  const RuleId ws = g.add_rule("ws", g.repeat(g.byte(' '), 0, 2));
  const ExprId str_char = g.choice({g.bytes(ByteSet::range('a', 'c')), g.literal("\\\""), g.literal("\\\\")});
  const RuleId string = g.add_rule("string", g.sequence({g.byte('"'), g.star(str_char), g.byte('"')}));
  const ExprId digits = g.plus(g.bytes(ByteSet::range('0', '9')));
  const RuleId number = g.add_rule("number", g.sequence({g.optional(g.byte('-')), digits}));
  const ExprId member = g.sequence({g.ref(string), g.ref(ws), g.byte(':'), g.ref(ws), g.ref(value)});
  const ExprId members = g.sequence({member, g.star(g.sequence({g.byte(','), g.ref(ws), member}))});
  const RuleId object = g.add_rule("object", g.sequence({g.byte('{'), g.ref(ws), g.optional(members), g.ref(ws), g.byte('}')}));
  const ExprId items = g.sequence({g.ref(value), g.star(g.sequence({g.byte(','), g.ref(ws), g.ref(value)}))});
  const RuleId array = g.add_rule("array", g.sequence({g.byte('['), g.optional(items), g.byte(']')}));
  g.define_rule(value, g.choice({g.ref(object), g.ref(array), g.ref(string), g.ref(number), g.literal("true"),
                                 g.literal("null")}));
  g.set_root(g.add_rule("root", g.sequence({g.ref(ws), g.ref(value)})));
  return g;
}

std::vector<uint32_t> brute_force_mask(GrammarMatcher& m, const TokenVocabulary& v) {
  std::vector<uint32_t> words(size_t(v.mask_words()), 0);
  for (int32_t id = 0; id < v.logits_size(); ++id)
    if (m.accept_token(id)) {
      words[size_t(id) >> 5] |= uint32_t(1) << (id & 31);
      m.rollback(1);
    }
  return words;
}

void random_walks(const Grammar& g, const std::string& alphabet, int walks, int max_steps, uint32_t seed) {
  const auto vocab = make_vocab(alphabet, 300, seed);
  const auto compiled = CompiledGrammar::compile(g, vocab);
  std::mt19937 rng(seed);
  int completed = 0;
  for (int w = 0; w < walks; ++w) {
    GrammarMatcher m(compiled);
    std::string text;
    for (int step = 0; step < max_steps; ++step) {
      std::vector<uint32_t> mask(size_t(vocab->mask_words()));
      const int allowed = m.fill_mask(mask);
      ASSERT_EQ(mask, brute_force_mask(m, *vocab)) << "walk " << w << " step " << step << " after '" << text << "'";
      ASSERT_EQ(m.can_end(), testing::grammar_accepts(g, text)) << "after '" << text << "'";
      ASSERT_GT(allowed, 0) << "dead end after '" << text << "'";
      std::vector<int32_t> ids;
      for (int32_t id = 0; id < vocab->logits_size(); ++id)
        if ((mask[size_t(id) >> 5] >> (id & 31)) & 1) ids.push_back(id);
      // Prefer ending once possible half the time, so walks both finish and go deep.
      int32_t id = ids[rng() % ids.size()];
      if (m.can_end() && rng() % 2 == 0) id = kStop;
      ASSERT_TRUE(m.accept_token(id));
      if (id == kStop) {
        ASSERT_TRUE(m.is_terminated());
        ++completed;
        break;
      }
      text += vocab->bytes(id);
    }
  }
  EXPECT_GT(completed, 0);
}

TEST(GrammarMatcher, JsonLikeMasksMatchBruteForceAndOracle) {
  random_walks(json_like(), "{}[]\":,\\ abc-0123456789truenl", 40, 40, 1);
}

TEST(GrammarMatcher, NestedRulesAndNullableCalls) {
  // a ::= b c ; b ::= "x"* ; c ::= ("(" a ")")? "y"
  Grammar g;
  const RuleId a = g.declare_rule("a");
  const RuleId b = g.add_rule("b", g.star(g.byte('x')));
  const RuleId c = g.add_rule("c", g.sequence({g.optional(g.sequence({g.byte('('), g.ref(a), g.byte(')')})), g.byte('y')}));
  g.define_rule(a, g.sequence({g.ref(b), g.ref(c)}));
  g.set_root(a);
  random_walks(g, "xy()", 60, 30, 2);
}

TEST(GrammarMatcher, RollbackRestoresTheMask) {
  const auto vocab = make_vocab("{}[]\":, abc0123456789", 200, 3);
  const auto compiled = CompiledGrammar::compile(json_like(), vocab);
  GrammarMatcher m(compiled);
  std::vector<uint32_t> before(size_t(vocab->mask_words())), after(before.size());
  ASSERT_TRUE(m.accept_bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("{\"a"), 3)));
  m.fill_mask(before);
  int accepted = 0;
  for (int32_t id = 1; id < vocab->logits_size() && accepted < 3; ++id)
    if (m.accept_token(id)) ++accepted;
  ASSERT_GT(accepted, 0);
  m.rollback(accepted);
  m.fill_mask(after);
  EXPECT_EQ(before, after);
}

TEST(GrammarMatcher, StopOnlyWhereTheGrammarEnds) {
  Grammar g;
  g.set_root(g.add_rule("root", g.literal("ab")));
  const auto vocab = std::make_shared<TokenVocabulary>(std::vector<std::string>{"", "a", "b", "ab", "abc"},
                                                       std::vector<int32_t>{0}, 8);
  GrammarMatcher m(CompiledGrammar::compile(g, vocab));
  std::vector<uint32_t> mask(1);
  EXPECT_EQ(m.fill_mask(mask), 2);
  EXPECT_EQ(mask[0], (1u << 1) | (1u << 3));
  EXPECT_FALSE(m.accept_token(0));
  EXPECT_FALSE(m.accept_token(4));
  EXPECT_FALSE(m.accept_token(7));  // past the tokenizer: no bytes
  ASSERT_TRUE(m.accept_token(3));
  EXPECT_EQ(m.fill_mask(mask), 1);
  EXPECT_EQ(mask[0], 1u);
  EXPECT_TRUE(m.accept_token(0));
  EXPECT_TRUE(m.is_terminated());
}

TEST(GrammarMatcher, LeftRecursionIsAnErrorNamingTheRule) {
  Grammar g;
  const RuleId expr = g.declare_rule("expr");
  g.define_rule(expr, g.choice({g.sequence({g.ref(expr), g.byte('+'), g.byte('1')}), g.byte('1')}));
  g.set_root(expr);
  const auto vocab = make_vocab("1+", 10, 4);
  try {
    CompiledGrammar::compile(g, vocab);
    FAIL() << "left recursion compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("left-recursive"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expr"), std::string::npos) << e.what();
  }
}

TEST(GrammarMatcher, EmptyLanguageIsAnError) {
  Grammar g;
  g.set_root(g.add_rule("root", g.sequence({g.literal("a"), g.nothing()})));
  EXPECT_THROW(CompiledGrammar::compile(g, make_vocab("a", 5, 5)), Error);
}

}  // namespace
}  // namespace turbine::structured
