// Tokenizer::token_bytes: the bytes a token adds mid-sequence, for grammar-constrained decoding.
// Hand-written tokenizers pin down each decoder kind; the fixture tokenizers check the defining
// property (a sequence decodes to its first tokens' text followed by the later tokens' bytes)
// on varied texts, and every id of every vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "common/error.h"
#include "test_tokenizers.h"
#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/decoder.h"
#include "tokenizer/utf8.h"

namespace turbine {
namespace {

using test::Json;
using Ids = std::vector<int32_t>;

constexpr std::string_view kFffd = tokenizer::utf8::kReplacementChar;

int32_t id_of(const Tokenizer& tokenizer, std::string_view token) {
  const auto id = tokenizer.token_to_id(token);
  EXPECT_TRUE(id.has_value()) << token;
  return id.value_or(-1);
}

std::string concat_bytes(const Tokenizer& tokenizer, std::span<const int32_t> ids) {
  std::string out;
  for (const int32_t id : ids) out += tokenizer.token_bytes(id);
  return out;
}

// The property token_bytes exists for: for every split point k whose prefix decodes losslessly
// (no U+FFFD), decode(ids) == decode(ids[:k]) + token_bytes of the rest. Returns how many split
// points were checked.
int check_split_points(const Tokenizer& tokenizer, const Ids& ids, const std::string& label) {
  const std::string full = tokenizer.decode(ids, false);
  int checked = 0;
  for (size_t k = 1; k < ids.size(); ++k) {
    const std::span<const int32_t> all(ids);
    const std::string prefix = tokenizer.decode(all.first(k), false);
    if (prefix.find(kFffd) != std::string::npos) continue;  // the prefix cuts a character
    EXPECT_EQ(full, prefix + concat_bytes(tokenizer, all.subspan(k)))
        << label << ": split after " << k << " of " << ids.size() << " tokens";
    ++checked;
  }
  return checked;
}

Json bpe_model(Json vocab, Json merges = Json::array(), bool byte_fallback = false) {
  return {{"type", "BPE"},          {"dropout", nullptr},
          {"unk_token", nullptr},   {"continuing_subword_prefix", nullptr},
          {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
          {"byte_fallback", byte_fallback}, {"vocab", std::move(vocab)},
          {"merges", std::move(merges)}};
}

void expect_throws_naming(const Tokenizer& tokenizer, int32_t id) {
  try {
    tokenizer.token_bytes(id);
    ADD_FAILURE() << "token_bytes(" << id << ") did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(id)), std::string::npos) << e.what();
  }
}

// --- Hand-written tokenizers, one decoder kind each ---

TEST(TokenBytes, ByteLevelGivesRawBytesOfPartialCharacters) {
  // "é" is C3 A9 ("Ã" "©" in the byte alphabet); the emoji 😀 is F0 9F 98 80 ("ð" "Ł" "ĺ" "Ģ").
  Json document = test::byte_level_bpe_document(
      {"\xC4\xA0 h", "\xC4\xA0h i", "\xC3\x83 \xC2\xA9", "\xC3\xB0 \xC5\x81", "\xC4\xBA \xC4\xA2"});
  document["added_tokens"] = {test::added_token(261, "<|endoftext|>", true),
                              test::added_token(262, "<\xEF\xBD\x9C" "begin\xEF\xBD\x9C>", true)};
  const Tokenizer tokenizer = test::load(document);
  ASSERT_EQ(tokenizer.vocab_size(), 263);  // 256 bytes, 5 merges, 2 added tokens

  EXPECT_EQ(tokenizer.token_bytes(id_of(tokenizer, "\xC4\xA0hi")), " hi");
  EXPECT_EQ(tokenizer.token_bytes(id_of(tokenizer, "\xC4\x8A")), "\n");
  EXPECT_EQ(tokenizer.token_bytes(id_of(tokenizer, "\xC3\x83\xC2\xA9")), "\xC3\xA9");
  // Half a character: its raw bytes, where decode() says U+FFFD.
  const int32_t half_emoji = id_of(tokenizer, "\xC3\xB0\xC5\x81");
  EXPECT_EQ(tokenizer.token_bytes(half_emoji), "\xF0\x9F");
  EXPECT_EQ(tokenizer.decode(Ids{half_emoji}, false), kFffd);
  EXPECT_EQ(tokenizer.token_bytes(id_of(tokenizer, "\xC4\xBA\xC4\xA2")), "\x98\x80");
  EXPECT_EQ(tokenizer.token_bytes(id_of(tokenizer, "\xC3\x83")), "\xC3");
  // Every single byte, including the ones that are never valid UTF-8 on their own.
  const auto& alphabet = tokenizer::ByteLevelAlphabet::get();
  for (int b = 0; b < 256; ++b) {
    const int32_t id = id_of(tokenizer, alphabet.encode_byte(static_cast<uint8_t>(b)));
    EXPECT_EQ(tokenizer.token_bytes(id), std::string(1, static_cast<char>(b))) << "byte " << b;
  }
  // Added tokens: their content (one outside the byte alphabet is kept as its own UTF-8).
  EXPECT_EQ(tokenizer.token_bytes(261), "<|endoftext|>");
  EXPECT_EQ(tokenizer.token_bytes(262), "<\xEF\xBD\x9C" "begin\xEF\xBD\x9C>");

  const Ids ids = tokenizer.encode("\xF0\x9F\x98\x80 hi\xC3\xA9<|endoftext|> hi", false);
  EXPECT_EQ(tokenizer.decode(ids, false), "\xF0\x9F\x98\x80 hi\xC3\xA9<|endoftext|> hi");
  // The emoji's two halves are the first two tokens: the first split point cuts it.
  EXPECT_EQ(check_split_points(tokenizer, ids, "byte-level"), static_cast<int>(ids.size()) - 2);
}

TEST(TokenBytes, SentencePieceLlama2ChainKeepsLeadingSpaceAndRawBytes) {
  // Replace("▁"," "), ByteFallback, Fuse, Strip(" ", 1, 0): Strip drops the sequence's first
  // space only, so mid-sequence a word-initial token keeps it.
  Json document = test::sentencepiece_bpe_document();
  document["model"]["vocab"]["<0x0A>"] = 15;
  document["model"]["vocab"]["\xE2\x96\x81\xE2\x96\x81"] = 16;  // "▁▁"
  const Tokenizer tokenizer = test::load(document);

  EXPECT_EQ(tokenizer.token_bytes(8), " a");  // "▁a"
  EXPECT_EQ(tokenizer.decode(Ids{8}, false), "a");
  EXPECT_EQ(tokenizer.token_bytes(9), " ab");  // "▁ab"
  EXPECT_EQ(tokenizer.token_bytes(3), " ");    // "▁"
  EXPECT_EQ(tokenizer.token_bytes(16), "  ");  // "▁▁": Strip would leave one
  EXPECT_EQ(tokenizer.token_bytes(10), "abc");
  EXPECT_EQ(tokenizer.token_bytes(15), "\n");    // <0x0A>
  EXPECT_EQ(tokenizer.token_bytes(11), "\xE2");  // <0xE2>: one raw byte, not U+FFFD
  EXPECT_EQ(tokenizer.decode(Ids{11}, false), kFffd);
  EXPECT_EQ(tokenizer.token_bytes(1), "<s>");  // special added token
  EXPECT_EQ(tokenizer.token_bytes(0), "<unk>");

  const Ids ids = {8, 3, 9, 11, 12, 13, 15, 14, 16, 8};  // "▁a▁▁ab€\nbc▁▁▁a"
  EXPECT_EQ(tokenizer.decode(ids, false), "a  ab\xE2\x82\xAC\nbc   a");
  // Splits inside the € run decode their prefix to U+FFFDs and are skipped.
  EXPECT_EQ(check_split_points(tokenizer, ids, "llama2 chain"), 7);
}

TEST(TokenBytes, MetaspaceFirstSchemeDoesNotApplyMidSequence) {
  const Json vocab = {{"\xE2\x96\x81Hey", 0}, {"\xE2\x96\x81", 1}, {"a", 2}, {"b\xE2\x96\x81" "c", 3}};
  for (const char* scheme : {"first", "always", "never"}) {
    const Json decoder = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"},
                          {"prepend_scheme", scheme}, {"split", true}};
    const Tokenizer tokenizer =
        test::load(test::tokenizer_document(bpe_model(vocab), nullptr, nullptr, nullptr, decoder));
    EXPECT_EQ(tokenizer.token_bytes(0), " Hey") << scheme;
    EXPECT_EQ(tokenizer.token_bytes(1), " ") << scheme;
    EXPECT_EQ(tokenizer.token_bytes(2), "a") << scheme;
    EXPECT_EQ(tokenizer.token_bytes(3), "b c") << scheme;
    EXPECT_EQ(tokenizer.decode(Ids{0}, false), std::string(scheme) == "never" ? " Hey" : "Hey");
    EXPECT_EQ(check_split_points(tokenizer, {0, 1, 0, 3, 2}, scheme), 4);
  }
}

TEST(TokenBytes, WordPieceContinuationAndNewWords) {
  const Json vocab = {{"un", 0}, {"##believ", 1}, {"##able", 2}, {"!", 3}, {"it", 4}};
  for (const bool cleanup : {true, false}) {
    const Json decoder = {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", cleanup}};
    const Tokenizer tokenizer =
        test::load(test::tokenizer_document(bpe_model(vocab), nullptr, nullptr, nullptr, decoder));
    EXPECT_EQ(tokenizer.token_bytes(1), "believ");
    EXPECT_EQ(tokenizer.token_bytes(2), "able");
    EXPECT_EQ(tokenizer.token_bytes(0), " un");
    EXPECT_EQ(tokenizer.decode(Ids{0}, false), "un");
    EXPECT_EQ(tokenizer.token_bytes(3), cleanup ? "!" : " !");  // cleanup joins " !"
    EXPECT_EQ(check_split_points(tokenizer, {4, 0, 1, 2, 3}, "wordpiece"), 4);
  }
}

TEST(TokenBytes, BpeDecoderSuffixIsASpaceMidSequence) {
  const Json vocab = {{"hel", 0}, {"lo</w>", 1}, {"there</w>", 2}};
  const Json decoder = {{"type", "BPEDecoder"}, {"suffix", "</w>"}};
  const Tokenizer tokenizer =
      test::load(test::tokenizer_document(bpe_model(vocab), nullptr, nullptr, nullptr, decoder));
  EXPECT_EQ(tokenizer.token_bytes(0), "hel");
  EXPECT_EQ(tokenizer.token_bytes(1), "lo ");  // another token follows mid-sequence
  EXPECT_EQ(tokenizer.decode(Ids{1}, false), "lo");
  // decode() drops the suffix of the sequence's last token, so a prefix ending in one lacks the
  // space that follows mid-sequence; the split after a token without suffix holds.
  const Ids ids = {0, 1, 2, 0, 1, 0};
  EXPECT_EQ(tokenizer.decode(ids, false), "hello there hello hel");
  EXPECT_EQ(concat_bytes(tokenizer, ids), "hello there hello hel");
  EXPECT_EQ(tokenizer.decode(std::span(ids).first(4), false) + concat_bytes(tokenizer, std::span(ids).subspan(4)),
            "hello there hello hel");
}

TEST(TokenBytes, StripBeforeAJoinActsOnEveryToken) {
  // Without Fuse, Strip strips every token, mid-sequence too; after Fuse only the sequence's
  // start (the Llama 2 case above).
  const Json vocab = {{"\xE2\x96\x81" "a", 0}, {"b", 1}, {"\xE2\x96\x81\xE2\x96\x81", 2}};
  const Json replace = {{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}};
  const Json strip = {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}};
  const Json unfused = {{"type", "Sequence"}, {"decoders", {replace, strip}}};
  const Json fused = {{"type", "Sequence"}, {"decoders", {replace, {{"type", "Fuse"}}, strip}}};
  const Tokenizer per_token =
      test::load(test::tokenizer_document(bpe_model(vocab), nullptr, nullptr, nullptr, unfused));
  const Tokenizer per_sequence =
      test::load(test::tokenizer_document(bpe_model(vocab), nullptr, nullptr, nullptr, fused));
  EXPECT_EQ(per_token.token_bytes(0), "a");
  EXPECT_EQ(per_token.token_bytes(2), " ");
  EXPECT_EQ(per_sequence.token_bytes(0), " a");
  EXPECT_EQ(per_sequence.token_bytes(2), "  ");
  EXPECT_EQ(check_split_points(per_token, {0, 2, 1, 0}, "unfused"), 3);
  EXPECT_EQ(check_split_points(per_sequence, {0, 2, 1, 0}, "fused"), 3);
}

TEST(TokenBytes, ByteFallbackWithoutFuse) {
  // ByteFallback alone (Gemma's chain without Fuse): each <0xXX> is its byte.
  const Json vocab = {{"<0x0A>", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}, {"x", 3}};
  const Json decoder = {{"type", "ByteFallback"}};
  const Tokenizer tokenizer = test::load(
      test::tokenizer_document(bpe_model(vocab, Json::array(), true), nullptr, nullptr, nullptr, decoder));
  EXPECT_EQ(tokenizer.token_bytes(0), "\n");
  EXPECT_EQ(tokenizer.token_bytes(1), "\xC3");
  EXPECT_EQ(tokenizer.token_bytes(2), "\xA9");
  EXPECT_EQ(tokenizer.decode(Ids{3, 1, 2, 0}, false), "x\xC3\xA9\n");
  EXPECT_EQ(check_split_points(tokenizer, {3, 1, 2, 0, 3}, "byte fallback"), 3);
}

TEST(TokenBytes, NoDecoderJoinsWithSpaces) {
  const Tokenizer tokenizer = test::load(test::tokenizer_document(bpe_model({{"a", 0}, {"b", 1}})));
  EXPECT_EQ(tokenizer.token_bytes(1), " b");
  EXPECT_EQ(check_split_points(tokenizer, {0, 1, 0}, "no decoder"), 2);
}

TEST(TokenBytes, InvalidIdsThrow) {
  // Ids 3 and 4 are holes between "c" and "<eos>".
  const Tokenizer tokenizer = test::load(test::tokenizer_document(
      bpe_model({{"a", 0}, {"b", 1}, {"c", 2}, {"<eos>", 5}}), nullptr, nullptr, nullptr,
      {{"type", "Fuse"}}, {test::added_token(5, "<eos>", true)}));
  ASSERT_EQ(tokenizer.vocab_size(), 6);
  ASSERT_FALSE(tokenizer.is_valid_id(3));
  EXPECT_EQ(tokenizer.token_bytes(2), "c");
  EXPECT_EQ(tokenizer.token_bytes(5), "<eos>");
  for (const int32_t id : {-1, 3, 4, 6, 1 << 30}) expect_throws_naming(tokenizer, id);
}

TEST(TokenBytes, FirstCallsFromManyThreadsAgree) {
  const Tokenizer tokenizer = test::load(test::byte_level_bpe_document({"\xC4\xA0 h", "\xC4\xA0h i"}));
  std::vector<std::string> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) results[t] += tokenizer.token_bytes(id);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, results[0]);
  EXPECT_EQ(results[0].size(), 256u + 2u + 3u);  // 256 single bytes, " h", " hi"
}

// --- The fixture tokenizers ---

const std::vector<std::string> kTexts = {
    "Hello world",
    "hello, World! How are you today?",
    " leading space",
    "   three leading spaces and trailing  ",
    "Caf\xC3\xA9 cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e, na\xC3\xAFve fa\xC3\xA7" "ade",
    "\xC3\x85ngstr\xC3\xB6m \xC3\x98resund \xC5\x81\xC3\xB3" "d\xC5\xBA \xC4\x8C" "esk\xC3\xBD",
    "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C\xEF\xBC\x81",  // 你好，世界！
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88",
    "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xED\x85\x8D\xEC\x8A\xA4\xED\x8A\xB8",  // 한국어 텍스트
    "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82, \xD0\xBC\xD0\xB8\xD1\x80!",  // Привет, мир!
    "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85",
    "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87",  // नमस्ते
    "\xF0\x9F\x98\x80 smile \xF0\x9F\x8E\x89\xF0\x9F\x8E\x89 party",
    "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB family \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 flag",
    "\xF0\x9F\x98\x80 starts with an emoji",
    "line one\nline two\n\nline four\r\nwindows",
    "\n\nstarts with newlines",
    "\ttabs\tand  double  spaces",
    "def f(x):\n    return x * 2  # doubled\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
    "<html><body class=\"x\">&amp; &lt;tag&gt;</body></html>",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
    "Numbers: 1234567890 3.14159 1,000,000 0x1F",
    "I'm sure they'll say we've done it, didn't they?",
    "URL: https://example.com/path?q=1&r=two#frag",
    "\xE2\x82\xAC" "100 \xC2\xA3" "50 \xC2\xA5" "1000 \xE2\x82\xB9" "5",
    "math: \xE2\x88\x80x \xE2\x88\x88 \xE2\x84\x9D, x\xC2\xB2 \xE2\x89\xA5 0 \xE2\x88\xB4 \xE2\x88\x9A",
    "mixed \xE4\xB8\xAD\xE6\x96\x87 and English \xE3\x81\xA8\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
    "ALL CAPS SHOUTING and lowercase whispering",
    "a",
    " ",
    "!!!???...",
    "trailing newline\n",
    "The quick brown fox jumps over the lazy dog.",
    "<|im_start|>user\nhi<|im_end|>",
    "<|begin_of_text|>Hello<|eot_id|>",
    "<start_of_turn>user\nhi<end_of_turn>",
    "<s> bos in text </s>",
};

const std::vector<std::string> kByteLevel = {"llama3_1", "llama3_2",   "qwen2_5",
                                             "qwen3",    "mistral_nemo", "deepseek_v3",
                                             "gpt2",     "turbine-demo-20m"};
const std::vector<std::string> kSentencePiece = {"llama2", "gemma3", "stories260K"};

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// decode(ids) == decode(ids[:k]) + token_bytes(ids[k:]) on the texts above.
void check_sequences(const Tokenizer& tokenizer, const std::string& name) {
  int lossless_texts = 0;
  int first_splits = 0;
  int checked = 0;
  for (const std::string& text : kTexts) {
    const Ids ids = tokenizer.encode(text, false);
    // Only where decode() gives the text back: otherwise (unknown characters, normalization)
    // there is no expected byte stream to compare with.
    if (tokenizer.decode(ids, false) != text) continue;
    ++lossless_texts;
    const int splits = check_split_points(tokenizer, ids, name + " on \"" + text + "\"");
    checked += splits;
    // The first split is the one a grammar matcher meets after the first generated token.
    if (ids.size() > 1 && tokenizer.decode(std::span(ids).first(1), false).find(kFffd) ==
                              std::string::npos) {
      ++first_splits;
    }
  }
  // Every fixture gives most texts back exactly (a tiny vocabulary falls back to bytes).
  EXPECT_GE(lossless_texts, static_cast<int>(kTexts.size()) - 4) << name;
  EXPECT_GT(first_splits, 20) << name;
  EXPECT_GT(checked, 300) << name;
}

// Every id: no throw, and the bytes its token text stands for (written out independently of the
// decoders: the byte-level alphabet, "<0xAB>", "▁" as a space).
void check_every_id(const Tokenizer& tokenizer, const std::string& name) {
  const bool byte_level = contains(kByteLevel, name);
  ASSERT_TRUE(byte_level || contains(kSentencePiece, name)) << name;
  const auto& alphabet = tokenizer::ByteLevelAlphabet::get();
  int partial_characters = 0;  // tokens whose bytes are not valid UTF-8 on their own
  int holes = 0;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (!tokenizer.is_valid_id(id)) {
      ++holes;
      EXPECT_THROW(tokenizer.token_bytes(id), Error) << id;
      continue;
    }
    std::string bytes;
    ASSERT_NO_THROW(bytes = tokenizer.token_bytes(id)) << id;
    const std::string token = tokenizer.id_to_token(id);
    if (!tokenizer::utf8::is_valid(bytes)) ++partial_characters;
    if (byte_level) {
      std::string raw;
      if (alphabet.decode(token, raw)) {
        // One byte per alphabet character, and the bytes spell the token back.
        ASSERT_EQ(bytes.size(), tokenizer::utf8::count_chars(token)) << id << " " << token;
        std::string reencoded;
        alphabet.encode(bytes, reencoded);
        ASSERT_EQ(reencoded, token) << id;
      } else {
        ASSERT_EQ(bytes, token) << id;  // an added token outside the alphabet: its content
      }
    } else if (const int byte = tokenizer::parse_byte_token(token); byte >= 0) {
      ASSERT_EQ(bytes, std::string(1, static_cast<char>(byte))) << id << " " << token;
    } else {
      std::string spaced;  // "▁" as a space, everywhere in the token, leading one included
      for (size_t pos = 0; pos < token.size();) {
        if (token.compare(pos, 3, "\xE2\x96\x81") == 0) {
          spaced += ' ';
          pos += 3;
        } else {
          spaced += token[pos++];
        }
      }
      ASSERT_EQ(bytes, spaced) << id << " " << token;
    }
  }
  // Every fixture vocabulary has tokens holding part of a character (byte-level merges of
  // partial UTF-8, or <0x80>..<0xFF> byte-fallback tokens) and no holes.
  EXPECT_GT(partial_characters, 100) << name;
  EXPECT_EQ(holes, 0) << name;
  EXPECT_THROW(tokenizer.token_bytes(tokenizer.vocab_size()), Error);
  EXPECT_THROW(tokenizer.token_bytes(-1), Error);
}

class TokenBytesReal : public ::testing::TestWithParam<std::string> {};

// Both checks in one test, so that each fixture is loaded once and freed before the next.
TEST_P(TokenBytesReal, SequencesAndEveryId) {
  const auto path = test::fixture_tokenizer(GetParam());
  if (!path) GTEST_SKIP() << GetParam() << " is not present (tests/tokenizer/fetch_tokenizers.sh)";
  const Tokenizer tokenizer = Tokenizer::from_file(*path);
  {
    SCOPED_TRACE("sequences");
    check_sequences(tokenizer, GetParam());
  }
  {
    SCOPED_TRACE("every id");
    check_every_id(tokenizer, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenBytesReal,
                         ::testing::Values("llama2", "llama3_1", "llama3_2", "qwen2_5", "qwen3",
                                           "mistral_nemo", "gemma3", "deepseek_v3", "gpt2",
                                           "stories260K", "turbine-demo-20m"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace turbine
