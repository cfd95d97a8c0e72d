// Constraint specs to grammars: the choice kind, the reasoning prefix (free text through the
// first "</think>", then the answer), and that a long reasoning keeps the parser's stack flat.
#include "structured/constraint_spec.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "grammar_oracle.h"
#include "structured/grammar_matcher.h"

namespace turbine::structured {
namespace {

using testing::grammar_accepts;

TEST(ConstraintSpec, ChoiceIsExactlyOneOption) {
  const Grammar g = grammar_of({ConstraintKind::kChoice, R"(["yes", "no", "maybe not"])"});
  EXPECT_TRUE(grammar_accepts(g, "maybe not"));
  EXPECT_FALSE(grammar_accepts(g, "maybe"));
  EXPECT_FALSE(grammar_accepts(g, "yesno"));
  EXPECT_THROW(grammar_of({ConstraintKind::kChoice, "[]"}), Error);
  EXPECT_THROW(grammar_of({ConstraintKind::kChoice, "[1]"}), Error);
}

TEST(ConstraintSpec, ReasoningThenAnswer) {
  ConstraintSpec spec{ConstraintKind::kRegex, "[0-9]+"};
  spec.reasoning_end = "</think>";
  const Grammar g = grammar_of(spec);
  EXPECT_TRUE(grammar_accepts(g, "Let me see: 2 < 3, </thin> is not it.</think>\n\n42"));
  EXPECT_TRUE(grammar_accepts(g, "<think>\nshort</think>7"));
  EXPECT_TRUE(grammar_accepts(g, "</think>7"));
  EXPECT_TRUE(grammar_accepts(g, "<</</t</think>7"));  // partial matches of the tag restart correctly
  EXPECT_FALSE(grammar_accepts(g, "no end tag 42"));
  EXPECT_FALSE(grammar_accepts(g, "a</think>b</think>42"));  // the first </think> ends the reasoning
  EXPECT_FALSE(grammar_accepts(g, "</think>x"));
  EXPECT_NE(spec.key(), ConstraintSpec({ConstraintKind::kRegex, "[0-9]+"}).key());
}

TEST(ConstraintSpec, LongReasoningStaysCheap) {
  ConstraintSpec spec{ConstraintKind::kJsonObject, ""};
  spec.reasoning_end = "</think>";
  std::vector<std::string> bytes(257);
  for (int b = 0; b < 256; ++b) bytes[size_t(b) + 1] = std::string(1, char(b));
  auto vocab = std::make_shared<TokenVocabulary>(bytes, std::vector<int32_t>{0}, 257);
  GrammarMatcher m(CompiledGrammar::compile(grammar_of(spec), vocab));
  std::vector<uint32_t> mask(size_t(vocab->mask_words()));
  const std::string thought = "some thinking, with <tags> and </thin and more. ";
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(m.accept_bytes(std::span(reinterpret_cast<const uint8_t*>(thought.data()), thought.size())));
    // Every byte may follow in the reasoning: the mask is the whole byte vocabulary, no stop.
    ASSERT_EQ(m.fill_mask(mask), 256) << "after " << i << " thoughts";
  }
  const std::string rest = "</think>\n{\"a\": 1}";
  ASSERT_TRUE(m.accept_bytes(std::span(reinterpret_cast<const uint8_t*>(rest.data()), rest.size())));
  EXPECT_TRUE(m.can_end());
}

}  // namespace
}  // namespace turbine::structured
