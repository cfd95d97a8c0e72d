#include "tokenizer/normalizer.h"

#include <vector>

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalizationForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::NormalizationForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = unicode::lowercase(text); }
};

// Removes leading and/or trailing White_Space characters.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0;
    size_t end = text.size();
    if (left_) {
      while (begin < end) {
        char32_t c;
        const int n = utf8::decode(text, begin, &c);
        if (!unicode::is_whitespace(c)) break;
        begin += n;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;
        while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
        char32_t c;
        utf8::decode(text, start, &c);
        if (!unicode::is_whitespace(c)) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_;
  bool right_;
};

// Removes the characters `is_mark` selects.
void remove_marks(std::string& text, bool (*is_mark)(char32_t)) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    char32_t c;
    const int n = utf8::decode(text, pos, &c);
    if (!is_mark(c)) out.append(text, pos, n);
    pos += n;
  }
  text = std::move(out);
}

// Removes combining marks of every kind (meant to follow NFD).
class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    remove_marks(text, unicode::is_combining_mark);
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    text = pattern_.replace_all(text, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// Prepend/Append add their text to any non-empty input.
class AffixNormalizer final : public Normalizer {
 public:
  AffixNormalizer(std::string affix, bool prepend) : affix_(std::move(affix)), prepend_(prepend) {}
  void normalize(std::string& text) const override {
    if (text.empty()) return;
    if (prepend_) {
      text.insert(0, affix_);
    } else {
      text.append(affix_);
    }
  }

 private:
  std::string affix_;
  bool prepend_;
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size() * 2);
    ByteLevelAlphabet::get().encode(text, out);
    text = std::move(out);
  }
};

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        handle_chinese_chars_(handle_chinese_chars),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      char32_t c;
      const int n = utf8::decode(text, pos, &c);
      pos += n;
      if (clean_text_) {
        const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
        if (c == 0 || c == 0xFFFD || (!tab_or_newline && unicode::is_control(c))) continue;
        if (tab_or_newline || unicode::is_whitespace(c)) c = ' ';
      }
      if (handle_chinese_chars_ && unicode::is_chinese_char(c)) {
        out.push_back(' ');
        utf8::append(out, c);
        out.push_back(' ');
        continue;
      }
      utf8::append(out, c);
    }
    if (strip_accents_) {
      // Bert only drops nonspacing marks (spacing vowel signs stay).
      out = unicode::normalize(out, unicode::NormalizationForm::kNfd);
      remove_marks(out, unicode::is_nonspacing_mark);
    }
    if (lowercase_) out = unicode::lowercase(out);
    text = std::move(out);
  }

 private:
  bool clean_text_;
  bool handle_chinese_chars_;
  bool strip_accents_;
  bool lowercase_;
};

// SentencePiece's "nmt" rules: drop some control characters, map odd spaces to ' '.
class NmtNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      char32_t c;
      const int n = utf8::decode(text, pos, &c);
      pos += n;
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
          c == 0x8F || c == 0x9F) {
        continue;
      }
      if (c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
          (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
          c == 0xFEFF || c == 0xFFFD) {
        c = ' ';
      }
      utf8::append(out, c);
    }
    text = std::move(out);
  }
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const Json& config, std::string_view where) {
  const std::string type = type_of(config, where);
  const std::string here = fmt::format("{} {}", where, type);
  using unicode::NormalizationForm;
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalizationForm::kNfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalizationForm::kNfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalizationForm::kNfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalizationForm::kNfkd);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Nmt") return std::make_unique<NmtNormalizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(bool_field(config, "strip_left", true, here),
                                             bool_field(config, "strip_right", true, here));
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(
        Pattern::from_json(require_field(config, "pattern", here), here),
        string_field(config, "content", here));
  }
  if (type == "Prepend") {
    return std::make_unique<AffixNormalizer>(string_field(config, "prepend", here), true);
  }
  if (type == "Append") {
    return std::make_unique<AffixNormalizer>(string_field(config, "append", here), false);
  }
  if (type == "BertNormalizer") {
    const bool lowercase = bool_field(config, "lowercase", true, here);
    return std::make_unique<BertNormalizer>(
        bool_field(config, "clean_text", true, here),
        bool_field(config, "handle_chinese_chars", true, here),
        bool_field(config, "strip_accents", lowercase, here), lowercase);
  }
  if (type == "Sequence") {
    const Json& list = require_field(config, "normalizers", here);
    if (!list.is_array()) fail("{}: \"normalizers\" must be an array", here);
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const Json& step : list) steps.push_back(make_normalizer(step, where));
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  fail("{}: unsupported normalizer type \"{}\"", where, type);
}

}  // namespace turbine::tokenizer
