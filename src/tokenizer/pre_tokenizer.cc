#include "tokenizer/pre_tokenizer.h"

#include <optional>
#include <vector>

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

// GPT-2's word pattern, used by ByteLevel when use_regex is set.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Splits every piece at each character for which `is_delimiter` holds.
template <typename Predicate>
void split_on_chars(PreTokenized& pre, Predicate is_delimiter, SplitBehavior behavior) {
  std::vector<Piece> out;
  out.reserve(pre.pieces.size() * 2);
  std::vector<MatchRange> matches;
  std::vector<SplitEvent> scratch;
  for (const Piece& piece : pre.pieces) {
    matches.clear();
    for (uint32_t pos = piece.begin; pos < piece.end;) {
      char32_t c;
      const int n = utf8::decode(pre.text, pos, &c);
      if (is_delimiter(c)) matches.push_back({pos, pos + n});
      pos += n;
    }
    split_piece(piece, matches, behavior, false, out, scratch);
  }
  pre.pieces = std::move(out);
}

void split_on_pattern(PreTokenized& pre, const Pattern& pattern, SplitBehavior behavior,
                      bool invert) {
  std::vector<Piece> out;
  out.reserve(pre.pieces.size() * 4);
  std::vector<MatchRange> matches;
  std::vector<SplitEvent> scratch;
  for (const Piece& piece : pre.pieces) {
    matches.clear();
    pattern.find_all(pre.view(piece), matches);
    for (MatchRange& m : matches) {
      m.begin += piece.begin;
      m.end += piece.begin;
    }
    split_piece(piece, matches, behavior, invert, out, scratch);
  }
  pre.pieces = std::move(out);
}

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, std::string_view where)
      : add_prefix_space_(add_prefix_space) {
    if (use_regex) regex_.emplace(kGpt2Pattern, where);
  }

  void pre_tokenize(PreTokenized& pre) const override {
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::get();
    PreTokenized out;
    out.text.reserve(pre.text.size() + pre.text.size() / 4 + 8);
    out.pieces.reserve(pre.pieces.size());
    std::string prefixed;
    std::vector<MatchRange> matches;
    for (const Piece& piece : pre.pieces) {
      std::string_view source = pre.view(piece);
      if (add_prefix_space_ && (source.empty() || source.front() != ' ')) {
        prefixed.clear();
        prefixed.push_back(' ');
        prefixed.append(source);
        source = prefixed;
      }
      auto emit = [&](uint32_t begin, uint32_t end) {
        if (begin == end) return;
        const auto start = static_cast<uint32_t>(out.text.size());
        alphabet.encode(source.substr(begin, end - begin), out.text);
        out.pieces.push_back({start, static_cast<uint32_t>(out.text.size()),
                              piece.at_original_start && begin == 0});
      };
      if (!regex_) {
        emit(0, static_cast<uint32_t>(source.size()));
        continue;
      }
      matches.clear();
      regex_->find_all(source, matches);
      uint32_t previous = 0;
      for (const MatchRange& m : matches) {
        emit(previous, m.begin);
        emit(m.begin, m.end);
        previous = m.end;
      }
      emit(previous, static_cast<uint32_t>(source.size()));
    }
    pre = std::move(out);
  }

 private:
  bool add_prefix_space_;
  std::optional<Regex> regex_;
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(PreTokenized& pre) const override {
    split_on_pattern(pre, pattern_, behavior_, invert_);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual_digits) : individual_digits_(individual_digits) {}
  void pre_tokenize(PreTokenized& pre) const override {
    split_on_chars(pre, unicode::is_numeric,
                   individual_digits_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }

 private:
  bool individual_digits_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {
    utf8::decode(replacement_, 0, &replacement_char_);
  }

  void pre_tokenize(PreTokenized& pre) const override {
    PreTokenized out;
    out.text.reserve(pre.text.size() + pre.pieces.size() * replacement_.size() + 8);
    out.pieces.reserve(pre.pieces.size());
    for (const Piece& piece : pre.pieces) {
      const std::string_view source = pre.view(piece);
      const auto start = static_cast<uint32_t>(out.text.size());
      const bool starts_with_space = !source.empty() && source.front() == ' ';
      const bool prepend = scheme_ == PrependScheme::kAlways ||
                           (scheme_ == PrependScheme::kFirst && piece.at_original_start);
      if (prepend && !starts_with_space && source.rfind(replacement_, 0) != 0) {
        out.text.append(replacement_);
      }
      for (char c : source) {
        if (c == ' ') {
          out.text.append(replacement_);
        } else {
          out.text.push_back(c);
        }
      }
      out.pieces.push_back({start, static_cast<uint32_t>(out.text.size()), piece.at_original_start});
    }
    if (split_) {
      const char32_t replacement = replacement_char_;
      split_on_chars(out, [replacement](char32_t c) { return c == replacement; },
                     SplitBehavior::kMergedWithNext);
    }
    pre = std::move(out);
  }

 private:
  std::string replacement_;
  char32_t replacement_char_ = 0;
  PrependScheme scheme_;
  bool split_;
};

class PunctuationPreTokenizer final : public PreTokenizer {
 public:
  explicit PunctuationPreTokenizer(SplitBehavior behavior) : behavior_(behavior) {}
  void pre_tokenize(PreTokenized& pre) const override {
    split_on_chars(pre, unicode::is_punctuation, behavior_);
  }

 private:
  SplitBehavior behavior_;
};

// Whitespace: words are runs of \w or runs of other non-space characters; spaces are dropped.
class WhitespacePreTokenizer final : public PreTokenizer {
 public:
  explicit WhitespacePreTokenizer(std::string_view where)
      : regex_(R"(\w+|[^\w\s]+)", where) {}
  void pre_tokenize(PreTokenized& pre) const override {
    std::vector<Piece> out;
    std::vector<MatchRange> matches;
    std::vector<SplitEvent> scratch;
    for (const Piece& piece : pre.pieces) {
      matches.clear();
      regex_.find_all(pre.view(piece), matches);
      for (MatchRange& m : matches) {
        m.begin += piece.begin;
        m.end += piece.begin;
      }
      split_piece(piece, matches, SplitBehavior::kRemoved, /*invert=*/true, out, scratch);
    }
    pre.pieces = std::move(out);
  }

 private:
  Regex regex_;
};

class WhitespaceSplitPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenized& pre) const override {
    split_on_chars(pre, unicode::is_whitespace, SplitBehavior::kRemoved);
  }
};

class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenized& pre) const override {
    split_on_chars(pre, unicode::is_whitespace, SplitBehavior::kRemoved);
    split_on_chars(pre, unicode::is_punctuation, SplitBehavior::kIsolated);
  }
};

class CharDelimiterSplitPreTokenizer final : public PreTokenizer {
 public:
  explicit CharDelimiterSplitPreTokenizer(char32_t delimiter) : delimiter_(delimiter) {}
  void pre_tokenize(PreTokenized& pre) const override {
    const char32_t delimiter = delimiter_;
    split_on_chars(pre, [delimiter](char32_t c) { return c == delimiter; },
                   SplitBehavior::kRemoved);
  }

 private:
  char32_t delimiter_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void pre_tokenize(PreTokenized& pre) const override {
    for (const auto& step : steps_) step->pre_tokenize(pre);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

char32_t single_char_field(const Json& config, std::string_view key, std::string_view where) {
  const std::string text = string_field(config, key, where);
  char32_t c = 0;
  if (text.empty() || !utf8::is_valid(text) ||
      static_cast<size_t>(utf8::decode(text, 0, &c)) != text.size()) {
    fail("{}: field \"{}\" must be a single character", where, key);
  }
  return c;
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& config, std::string_view where) {
  const std::string type = type_of(config, where);
  const std::string here = fmt::format("{} {}", where, type);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(
        bool_field(config, "add_prefix_space", true, here),
        bool_field(config, "use_regex", true, here), here);
  }
  if (type == "Split") {
    return std::make_unique<SplitPreTokenizer>(
        Pattern::from_json(require_field(config, "pattern", here), here),
        parse_split_behavior(string_field(config, "behavior", here), here),
        bool_field(config, "invert", false, here));
  }
  if (type == "Digits") {
    return std::make_unique<DigitsPreTokenizer>(
        bool_field(config, "individual_digits", false, here));
  }
  if (type == "Metaspace") {
    const char32_t replacement = single_char_field(config, "replacement", here);
    std::string replacement_text;
    utf8::append(replacement_text, replacement);
    PrependScheme scheme = PrependScheme::kAlways;
    if (const auto name = optional_string_field(config, "prepend_scheme", here)) {
      if (*name == "always") {
        scheme = PrependScheme::kAlways;
      } else if (*name == "first") {
        scheme = PrependScheme::kFirst;
      } else if (*name == "never") {
        scheme = PrependScheme::kNever;
      } else {
        fail("{}: unknown prepend_scheme \"{}\"", here, *name);
      }
    } else if (!bool_field(config, "add_prefix_space", true, here)) {
      scheme = PrependScheme::kNever;
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement_text, scheme,
                                                   bool_field(config, "split", true, here));
  }
  if (type == "Punctuation") {
    const auto behavior = optional_string_field(config, "behavior", here);
    return std::make_unique<PunctuationPreTokenizer>(
        behavior ? parse_split_behavior(*behavior, here) : SplitBehavior::kIsolated);
  }
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>(here);
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "CharDelimiterSplit") {
    return std::make_unique<CharDelimiterSplitPreTokenizer>(
        single_char_field(config, "delimiter", here));
  }
  if (type == "Sequence") {
    const Json& list = require_field(config, "pretokenizers", here);
    if (!list.is_array()) fail("{}: \"pretokenizers\" must be an array", here);
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const Json& step : list) steps.push_back(make_pre_tokenizer(step, where));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  fail("{}: unsupported pre_tokenizer type \"{}\"", where, type);
}

}  // namespace turbine::tokenizer
