#include "tokenizer/decoder.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace turbine::tokenizer {
namespace {

std::string run(const Json& config, std::vector<std::string> tokens) {
  make_decoder(config, "test decoder")->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

const Json kLlama2Chain = {{"type", "Sequence"},
                           {"decoders",
                            {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                             {{"type", "ByteFallback"}},
                             {{"type", "Fuse"}},
                             {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};

TEST(Decoder, SentencePieceChain) {
  EXPECT_EQ(run(kLlama2Chain, {"\u2581Hello", "\u2581world"}), "Hello world");
  EXPECT_EQ(run(kLlama2Chain, {"<0xE2>", "<0x82>", "<0xAC>"}), "\xE2\x82\xAC");
  // An invalid run becomes one U+FFFD per byte, even the valid-looking ones.
  EXPECT_EQ(run(kLlama2Chain, {"<0x41>", "<0xE2>", "x"}), "\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(run(kLlama2Chain, {"\u2581", "\u2581", "\u2581a"}), "  a");
}

TEST(Decoder, ByteLevel) {
  const Json byte_level = {{"type", "ByteLevel"}};
  EXPECT_EQ(run(byte_level, {"Hello", "\xC4\xA0world", "\xC4\x8A"}), "Hello world\n");
  EXPECT_EQ(run(byte_level, {"\xC3\xA4", "\xC2\xBD"}), "\xEF\xBF\xBD");  // cut character
  // A token with characters outside the byte alphabet is kept as its own UTF-8.
  EXPECT_EQ(run(byte_level, {"<\xEF\xBD\x9C" "begin\xEF\xBD\x9C>", "a"}), "<\xEF\xBD\x9C" "begin\xEF\xBD\x9C>a");
}

TEST(Decoder, Metaspace) {
  const Json metaspace = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}};
  EXPECT_EQ(run(metaspace, {"\u2581Hey", "\u2581friend"}), "Hey friend");
  // The reference drops every replacement character of the first token.
  EXPECT_EQ(run(metaspace, {"\u2581\u2581", "\u2581a"}), " a");
  const Json never = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "never"}};
  EXPECT_EQ(run(never, {"\u2581Hey"}), " Hey");
}

TEST(Decoder, StripWordPieceBpe) {
  EXPECT_EQ(run({{"type", "Strip"}, {"content", "x"}, {"start", 2}, {"stop", 1}}, {"xxxaxx"}), "xax");
  EXPECT_EQ(run({{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}, {"un", "##believ", "##able", "!"}),
            "unbelievable!");
  EXPECT_EQ(run({{"type", "BPEDecoder"}, {"suffix", "</w>"}}, {"hel", "lo</w>", "there</w>"}), "hello there");
}

TEST(Decoder, ParseByteToken) {
  EXPECT_EQ(parse_byte_token("<0x0A>"), 10);
  EXPECT_EQ(parse_byte_token("<0xff>"), 255);
  EXPECT_EQ(parse_byte_token("<0x0A"), -1);
  EXPECT_EQ(parse_byte_token("<0xZZ>"), -1);
}

TEST(Decoder, UnsupportedTypeIsNamed) {
  try {
    make_decoder({{"type", "CTC"}}, "x.json: decoder");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CTC"), std::string::npos);
  }
}

}  // namespace
}  // namespace turbine::tokenizer
