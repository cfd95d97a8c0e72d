#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace turbine::tokenizer::utf8 {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, ValidPrefixLength) {
  EXPECT_EQ(valid_prefix_length("hello"), 5u);
  EXPECT_EQ(valid_prefix_length("h\xC3\xA9llo"), 6u);
  EXPECT_EQ(valid_prefix_length("ab\xE4\xBD"), 2u);          // cut-off character
  EXPECT_EQ(valid_prefix_length("ab\xED\xA0\x80"), 2u);      // surrogate
  EXPECT_EQ(valid_prefix_length("\xF0\x9F\x98\x80!"), 5u);   // emoji
  EXPECT_EQ(valid_prefix_length("\xC0\xAF"), 0u);            // overlong
  EXPECT_TRUE(is_valid(""));
}

// Rust's from_utf8_lossy: one U+FFFD per maximal prefix of a valid sequence.
TEST(Utf8, LossyUsesMaximalSubparts) {
  EXPECT_EQ(lossy("a\xE4\xBD" "b"), "a" + kFffd + "b");             // truncated: one FFFD
  EXPECT_EQ(lossy("\x80\x80"), kFffd + kFffd);                     // stray continuations
  EXPECT_EQ(lossy("\xF0\x80"), kFffd + kFffd);                     // F0 needs 90..BF next
  EXPECT_EQ(lossy("\xE4\xE4"), kFffd + kFffd);
  EXPECT_EQ(lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);         // surrogate: 3
  EXPECT_EQ(lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(lossy("ok\xE4\xBD\xA0"), "ok\xE4\xBD\xA0");
}

TEST(Utf8, AppendLossyCanHoldAnIncompleteTail) {
  std::string out;
  EXPECT_EQ(append_lossy(out, "ab\xE4\xBD", /*hold_incomplete_tail=*/true), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(append_lossy(out, "ab\xFF", true), 0u);  // invalid, not incomplete
  EXPECT_EQ(out, "ab" + kFffd);
}

TEST(Utf8, DecodeAndAppendRoundTrip) {
  for (char32_t c : {char32_t{0x24}, char32_t{0xA2}, char32_t{0x20AC}, char32_t{0x10348}}) {
    std::string text;
    append(text, c);
    char32_t back = 0;
    EXPECT_EQ(decode(text, 0, &back), static_cast<int>(text.size()));
    EXPECT_EQ(back, c);
  }
  EXPECT_EQ(count_chars("h\xC3\xA9\xF0\x9F\x98\x80"), 3u);
}

TEST(Utf8, ToValidUtf8) {
  EXPECT_EQ(to_valid_utf8("fine"), "fine");
  EXPECT_EQ(to_valid_utf8("bad\xFF"), "bad" + kFffd);
}

}  // namespace
}  // namespace turbine::tokenizer::utf8
