// Runs a libFuzzer entry point as an ordinary test, so the normal (GCC, unsanitized) suite
// exercises every fuzz target: each file of the target's seed corpus, then a fixed number of
// deterministic mutations of them. A crash, an abort from a broken invariant, or an exception
// other than turbine::Error escaping the entry point fails the test.
//
// Built once per fuzz target (tests/fuzz/CMakeLists.txt) with TURBINE_FUZZ_CORPUS_DIR and
// TURBINE_FUZZ_MUTATIONS defined. The mutations depend only on a fixed seed and the corpus
// files, so every run tries the same inputs. To find the input that kills the process, set
// TURBINE_FUZZ_SAVE_INPUT=<path>: each input is written there before it runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

using Bytes = std::string;

std::vector<Bytes> read_corpus(const fs::path& dir) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());  // directory order is not deterministic
  std::vector<Bytes> corpus;
  for (const auto& path : paths) {
    std::ifstream file(path, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return corpus;
}

void run_one(const Bytes& input) {
  if (const char* save_path = std::getenv("TURBINE_FUZZ_SAVE_INPUT")) {
    std::ofstream(save_path, std::ios::binary | std::ios::trunc)
        .write(input.data(), std::streamsize(input.size()));
  }
  // An exact-size copy, so reads past the end land outside the allocation as in libFuzzer.
  const std::vector<uint8_t> exact(input.begin(), input.end());
  LLVMFuzzerTestOneInput(exact.data(), exact.size());
}

// Byte-level mutations in the spirit of libFuzzer's, plus a few that target JSON numbers and
// the safetensors length prefix. std::mt19937_64 is specified exactly by the standard and only
// its raw output is used (distributions are implementation-defined), so runs are reproducible.
class Mutator {
 public:
  explicit Mutator(const std::vector<Bytes>& corpus) : corpus_(corpus) {}

  Bytes mutate(Bytes input) {
    // Inputs shaped like safetensors (a length prefix that fits, then '{') mostly get their
    // header mutated with the prefix kept consistent: otherwise nearly every edit only breaks
    // the length, and the JSON checks behind it are never reached.
    uint64_t header_length = 0;
    if (input.size() >= 9 && input[8] == '{') std::memcpy(&header_length, input.data(), 8);
    if (header_length > 0 && header_length <= input.size() - 8 && below(4) != 0) {
      Bytes header = input.substr(8, header_length);
      Bytes data = input.substr(8 + header_length);
      mutate_several(below(8) == 0 ? data : header, /*has_length_prefix=*/false);
      Bytes out(8, '\0');
      const uint64_t length = header.size();
      std::memcpy(out.data(), &length, 8);
      return out + header + data;
    }
    mutate_several(input, /*has_length_prefix=*/true);
    return input;
  }

 private:
  static constexpr std::array<uint8_t, 15> kInterestingBytes = {
      0x00, 0xff, 0x7f, 0x80, '{', '}', '[', ']', '"', ',', ':', '-', '0', '9', ' '};
  static constexpr std::array<std::string_view, 12> kInterestingNumbers = {"0",
                                                                           "1",
                                                                           "-1",
                                                                           "2.5",
                                                                           "1e999",
                                                                           "4294967296",
                                                                           "9223372036854775807",
                                                                           "9223372036854775808",
                                                                           "18446744073709551615",
                                                                           "18446744073709551616",
                                                                           "104857601",
                                                                           "00"};
  static constexpr std::array<std::string_view, 14> kTokens = {
      R"("dtype")", R"("shape")", R"("data_offsets")", R"("__metadata__")",    R"("F32")",
      R"("BF16")",  R"("F16")",   R"("I64")",          R"("F8_E4M3")",         "{}",
      "[]",         "null",       R"("weight_map")",   R"("../x.safetensors")"};

  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  void mutate_several(Bytes& s, bool has_length_prefix) {
    const int count = 1 + int(below(4));
    for (int i = 0; i < count; ++i) mutate_once(s, has_length_prefix);
  }

  void mutate_once(Bytes& s, bool has_length_prefix) {
    switch (below(has_length_prefix ? 9 : 8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[below(s.size())] ^= char(1u << below(8));
        break;
      case 1:  // set a byte to a value parsers care about
        if (!s.empty())
          s[below(s.size())] = char(kInterestingBytes[below(kInterestingBytes.size())]);
        break;
      case 2: {  // erase a short range
        if (s.empty()) break;
        const size_t at = below(s.size());
        s.erase(at, 1 + below(16));
        break;
      }
      case 3: {  // duplicate a short range in place
        if (s.empty()) break;
        const size_t at = below(s.size());
        const Bytes piece = s.substr(at, 1 + below(32));
        s.insert(below(s.size() + 1), piece);
        break;
      }
      case 4: {  // replace a run of digits with an interesting number
        const size_t start = s.find_first_of("0123456789", below(s.size() + 1));
        if (start == Bytes::npos) break;
        const size_t end = std::min(s.find_first_not_of("0123456789", start), s.size());
        s.replace(start, end - start, kInterestingNumbers[below(kInterestingNumbers.size())]);
        break;
      }
      case 5:  // insert a token from the formats' vocabulary
        s.insert(below(s.size() + 1), kTokens[below(kTokens.size())]);
        break;
      case 6:  // truncate
        s.resize(below(s.size() + 1));
        break;
      case 7: {  // splice: keep a head of this input, take a tail of another
        const Bytes& other = corpus_[below(corpus_.size())];
        s.resize(below(s.size() + 1));
        s += other.substr(below(other.size() + 1));
        break;
      }
      case 8: {  // rewrite the 8-byte little-endian length prefix
        if (s.size() < 8) break;
        const uint64_t choices[] = {0,        s.size() - 8,      s.size() - 7,
                                    s.size(), uint64_t{1} << 63, (uint64_t{100} << 20) + 1,
                                    rng_()};
        uint64_t value = choices[below(std::size(choices))];
        for (int i = 0; i < 8; ++i, value >>= 8) s[i] = char(value & 0xff);
        break;
      }
    }
  }

  const std::vector<Bytes>& corpus_;
  std::mt19937_64 rng_{0x7572'6269'6e65ULL};
};

TEST(FuzzRegression, SeedCorpusAndDeterministicMutations) {
  const std::vector<Bytes> corpus = read_corpus(TURBINE_FUZZ_CORPUS_DIR);
  ASSERT_FALSE(corpus.empty()) << "no seeds in " << TURBINE_FUZZ_CORPUS_DIR;
  for (const Bytes& seed : corpus) run_one(seed);
  run_one("");

  Mutator mutator(corpus);
  Bytes previous;
  for (int i = 0; i < TURBINE_FUZZ_MUTATIONS; ++i) {
    // Alternate fresh seeds with stacking more mutations on the last input, to reach deeper.
    const Bytes& base = i % 2 == 0 ? corpus[size_t(i / 2) % corpus.size()] : previous;
    previous = mutator.mutate(base);
    run_one(previous);
  }
}

}  // namespace
