// Stop strings: the text scanner (matches, hold-back, min_tokens), the detokenizing stream, and
// the engine-side matcher agreeing with the server's text on a real tokenizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "server/detokenizing_stop_matcher.h"
#include "server/generated_text_stream.h"
#include "server/stop_string_scanner.h"

namespace turbine::server {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";
const std::filesystem::path kDemo = std::filesystem::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m";

// Feeds `pieces` (all with may_stop) and returns what was released, flush included.
std::string run(StopStringScanner& s, const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += s.append(p, true);
  return out + s.flush();
}

TEST(StopStringScanner, NoStopsReleasesEverythingAtOnce) {
  StopStringScanner s;
  EXPECT_EQ(s.append("abc", true), "abc");
  EXPECT_EQ(s.flush(), "");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStringScanner, CutsBeforeTheMatchAndIgnoresTheRest) {
  StopStringScanner s({"STOP"});
  EXPECT_EQ(s.append("hello ST", true), "hello ");  // "ST" may begin the stop string
  EXPECT_EQ(s.append("OP and more", true), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.matched(), "STOP");
  EXPECT_EQ(s.append("ignored", true), "");
  EXPECT_EQ(s.flush(), "");
}

TEST(StopStringScanner, ReleasesAFalseStartOnceItCannotMatch) {
  StopStringScanner s({"STOP"});
  EXPECT_EQ(s.append("a ST", true), "a ");
  EXPECT_EQ(s.append("O", true), "");
  EXPECT_EQ(s.append("X", true), "STOX");
  EXPECT_FALSE(s.stopped());
}

TEST(StopStringScanner, HoldsTheLongestPossibleBeginning) {
  StopStringScanner s({"aab", "ab"});
  EXPECT_EQ(s.append("xaa", true), "x");  // "aa" begins "aab"
  EXPECT_EQ(s.append("b", true), "");
  EXPECT_EQ(s.matched(), "aab");
}

TEST(StopStringScanner, EarliestMatchWinsThenTheLonger) {
  StopStringScanner a({"world", "lo w"});
  EXPECT_EQ(run(a, {"hello world"}), "hel");
  EXPECT_EQ(a.matched(), "lo w");
  StopStringScanner b({"ab", "abc"});
  EXPECT_EQ(run(b, {"xabcd"}), "x");
  EXPECT_EQ(b.matched(), "abc");
}

TEST(StopStringScanner, IncludeInOutputKeepsTheStopString) {
  StopStringScanner s({"END"}, /*include_in_output=*/true);
  EXPECT_EQ(run(s, {"the E", "ND of it"}), "the END");
}

TEST(StopStringScanner, MatchesOnlyEndInMayStopText) {
  // min_tokens: text before it may start a match but never end one.
  StopStringScanner s({"ab"});
  EXPECT_EQ(s.append("ab", false), "ab");  // a whole stop string before min_tokens is text
  EXPECT_EQ(s.append("a", false), "");
  EXPECT_EQ(s.append("b", true), "");  // started before, ends now: a match
  EXPECT_TRUE(s.stopped());
}

TEST(StopStringScanner, SelfOverlappingStopStrings) {
  StopStringScanner s({"aaab"});
  EXPECT_EQ(run(s, {"aa", "aa", "ab", "x"}), "aa");
  EXPECT_EQ(s.matched(), "aaab");
  StopStringScanner t({"abab"});
  EXPECT_EQ(run(t, {"ababa", "bab"}), "");
}

TEST(StopStringScanner, FlushReleasesAHeldBeginning) {
  StopStringScanner s({"STOP"});
  EXPECT_EQ(s.append("xS", true), "x");
  EXPECT_EQ(s.flush(), "S");
}

TEST(StopStringScanner, UnicodeStopStringsNeverSplitCharacters) {
  StopStringScanner s({"日本"});
  EXPECT_EQ(s.append("こんにちは日", true), "こんにちは");
  EXPECT_EQ(s.append("本語", true), "");
  EXPECT_EQ(s.matched(), "日本");
}

// Reference, by brute force: after each piece, the earliest-starting match that ends in that
// piece cuts the text (the first stop string to complete wins, as a token-by-token check does).
std::string reference_cut(const std::vector<std::string>& pieces, const std::vector<std::string>& stops) {
  std::string text;
  for (const auto& piece : pieces) {
    const size_t old = text.size();
    text += piece;
    size_t best = std::string::npos;
    for (const auto& stop : stops)
      for (size_t pos = 0; pos + stop.size() <= text.size(); ++pos)
        if (text.compare(pos, stop.size(), stop) == 0 && pos + stop.size() > old) {
          best = std::min(best, pos);
          break;
        }
    if (best != std::string::npos) return text.substr(0, best);
  }
  return text;
}

TEST(StopStringScanner, RandomPiecesMatchTheReference) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab c";
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> stops;
    for (int i = 0, n = 1 + int(rng() % 3); i < n; ++i) {
      std::string s;
      for (int k = 0, len = 1 + int(rng() % 4); k < len; ++k) s += alphabet[rng() % alphabet.size()];
      stops.push_back(s);
    }
    std::string text;
    std::vector<std::string> pieces;
    for (int i = 0, n = int(rng() % 8); i < n; ++i) {
      std::string p;
      for (int k = 0, len = int(rng() % 4); k < len; ++k) p += alphabet[rng() % alphabet.size()];
      pieces.push_back(p);
      text += p;
    }
    StopStringScanner s(stops);
    std::string released;
    for (const auto& p : pieces) {
      released += s.append(p, true);
      // Never shows text that the final result does not have.
      const std::string final_text = reference_cut(pieces, stops);
      ASSERT_EQ(final_text.compare(0, released.size(), released), 0) << "released past a stop: [" << released << "] vs [" << final_text << "] stops " << ::testing::PrintToString(stops) << " pieces " << ::testing::PrintToString(pieces);
    }
    released += s.flush();
    ASSERT_EQ(released, reference_cut(pieces, stops));
  }
}

class TextStreams : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stories_ = std::make_unique<Tokenizer>(Tokenizer::from_dir(kStories));
    demo_ = std::make_unique<Tokenizer>(Tokenizer::from_dir(kDemo));
  }
  static std::unique_ptr<Tokenizer> stories_, demo_;

  static std::shared_ptr<const TextStreamConfig> config(const Tokenizer& tok, std::vector<int32_t> prompt,
                                                        std::vector<std::string> stops, bool include = false) {
    return std::make_shared<const TextStreamConfig>(tok, true, prompt, std::move(stops), include);
  }
};
std::unique_ptr<Tokenizer> TextStreams::stories_, TextStreams::demo_;

// The README's greedy continuation of "Once upon a time".
const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378};
const std::vector<int32_t> kGreedy = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396,
                                      267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385,
                                      328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426};

TEST_F(TextStreams, WithoutStopsTheTextIsTheDecode) {
  GeneratedTextStream stream(config(*stories_, kPrompt, {}));
  std::string text;
  for (const int32_t id : kGreedy) text += stream.push(id, true);
  text += stream.finish(true);
  EXPECT_EQ(text, ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a "
                  "big, red ball.");
}

TEST_F(TextStreams, StopStringAcrossTokensCutsTheText) {
  GeneratedTextStream stream(config(*stories_, kPrompt, {"girl nam"}));
  std::string text;
  size_t stopped_at = 0;
  for (size_t i = 0; i < kGreedy.size() && !stream.stopped(); ++i) {
    text += stream.push(kGreedy[i], true);
    stopped_at = i;
  }
  text += stream.finish(true);
  EXPECT_EQ(text, ", there was a little ");
  EXPECT_EQ(stream.matched_stop(), "girl nam");
  EXPECT_EQ(stopped_at, 8u);  // on "named", the token that completes the match
}

TEST_F(TextStreams, InvisibleTokensCountButAddNoText) {
  GeneratedTextStream stream(config(*stories_, kPrompt, {}));
  EXPECT_EQ(stream.push(432, true), ",");
  EXPECT_EQ(stream.push(2, true, /*visible=*/false), "");
  EXPECT_EQ(stream.push(99999, true), "");  // outside the tokenizer: no text, no throw
  EXPECT_EQ(stream.finish(true), "");
}

// The engine's matcher stops on exactly the token where the server's stream finds the stop.
TEST_F(TextStreams, EngineMatcherAgreesWithTheServerText) {
  std::mt19937 rng(11);
  for (const Tokenizer* tok : {stories_.get(), demo_.get()}) {
    for (int round = 0; round < 300; ++round) {
      std::vector<int32_t> ids;
      for (int i = 0; i < 30; ++i) ids.push_back(int32_t(rng() % uint32_t(tok->vocab_size())));
      const std::string full = tok->decode(ids, true);
      if (full.size() < 6) continue;
      // A stop string taken from the middle of the text (whole characters).
      size_t begin = rng() % (full.size() - 3);
      while (begin > 0 && (static_cast<unsigned char>(full[begin]) & 0xC0) == 0x80) --begin;
      size_t end = std::min(full.size(), begin + 1 + rng() % 5);
      while (end < full.size() && (static_cast<unsigned char>(full[end]) & 0xC0) == 0x80) ++end;
      const std::string stop = full.substr(begin, end - begin);
      const int min_tokens = int(rng() % 4);
      auto cfg = config(*tok, {1, 2}, {stop});

      DetokenizingStopMatcher matcher(cfg);
      int engine_stop = -1;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (matcher.append_token(ids[i], int(i + 1) >= min_tokens)) {
          engine_stop = int(i);
          break;
        }
      }
      GeneratedTextStream server(cfg);
      int server_stop = -1;
      std::string text;
      for (size_t i = 0; i < ids.size() && !server.stopped(); ++i) {
        text += server.push(ids[i], int(i + 1) >= min_tokens);
        if (server.stopped()) server_stop = int(i);
      }
      text += server.finish(true);
      ASSERT_EQ(engine_stop, server_stop) << "stop " << stop;
      if (min_tokens == 0) {
        EXPECT_EQ(text.find(stop), std::string::npos) << "the text shows the stop " << stop;
      }
      // The clone starts fresh and behaves the same.
      auto clone = matcher.clone_initial();
      int clone_stop = -1;
      for (size_t i = 0; i < ids.size(); ++i)
        if (clone->append_token(ids[i], int(i + 1) >= min_tokens)) {
          clone_stop = int(i);
          break;
        }
      ASSERT_EQ(clone_stop, engine_stop);
    }
  }
}

}  // namespace
}  // namespace turbine::server
