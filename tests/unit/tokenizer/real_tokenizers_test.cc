// The fixture tokenizers (tests/tokenizer/fetch_tokenizers.sh) on a few strings each, against
// ids and texts taken from the reference library. The corpus-wide comparison is
// tests/tokenizer/parity.mjs; this is the quick check that runs with the unit tests.
#include <gtest/gtest.h>

#include <map>

#include "test_tokenizers.h"

namespace turbine {
namespace {

struct RealCase {
  const char* tokenizer;
  const char* text;
  std::vector<int32_t> ids;             // encode(text, add_special_tokens=true)
  std::vector<int32_t> ids_no_special;  // encode(text, add_special_tokens=false)
  const char* decoded;                  // decode(ids, skip_special_tokens=false)
  const char* decoded_skip_special;     // decode(ids, skip_special_tokens=true)
};

const RealCase kCases[] = {
#include "real_tokenizer_cases.inc"
};

class RealTokenizers : public ::testing::TestWithParam<std::string> {};

TEST_P(RealTokenizers, MatchReference) {
  const auto path = test::fixture_tokenizer(GetParam());
  if (!path) GTEST_SKIP() << GetParam() << " is not downloaded (tests/tokenizer/fetch_tokenizers.sh)";
  const Tokenizer tokenizer = Tokenizer::from_file(*path);
  int checked = 0;
  for (const RealCase& c : kCases) {
    if (GetParam() != c.tokenizer) continue;
    ++checked;
    EXPECT_EQ(tokenizer.encode(c.text, true), c.ids) << c.text;
    EXPECT_EQ(tokenizer.encode(c.text, false), c.ids_no_special) << c.text;
    EXPECT_EQ(tokenizer.decode(c.ids, false), c.decoded) << c.text;
    EXPECT_EQ(tokenizer.decode(c.ids, true), c.decoded_skip_special) << c.text;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(All, RealTokenizers,
                         ::testing::Values("llama2", "llama3_1", "llama3_2", "qwen2_5", "qwen3",
                                           "mistral_nemo", "gemma3", "deepseek_v3", "gpt2",
                                           "stories260K"));

}  // namespace
}  // namespace turbine
