#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer::unicode {
namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;

constexpr AddedCategoryRange kAddedRanges[] = {
#include "tokenizer/unicode_additions.inc"
};

utf8proc_category_t category_from_name(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
      "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<utf8proc_category_t>(i);
  }
  return UTF8PROC_CATEGORY_CN;
}

// utf8proc's category, completed with the characters it does not know yet.
utf8proc_category_t category(char32_t c) {
  const auto known = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  if (known != UTF8PROC_CATEGORY_CN || c < kAddedRanges[0].first) return known;
  const auto* it = std::upper_bound(std::begin(kAddedRanges), std::end(kAddedRanges), c,
                                    [](char32_t value, const AddedCategoryRange& range) {
                                      return value < range.first;
                                    });
  if (it == std::begin(kAddedRanges)) return known;
  --it;
  return c <= it->last ? category_from_name(it->category) : known;
}

// For each normalization form, a bitset of the characters that pass through it unchanged and
// never interact with a neighbour: combining class 0, no decomposition in that form, and (for
// the composing forms) never the second character of a composition. Built once on first use.
class InertTable {
 public:
  static const InertTable& get() {
    static const InertTable table;
    return table;
  }
  bool inert(NormalizationForm form, char32_t c) const {
    if (c < 0x80) return true;
    const auto& bits = bits_[static_cast<int>(form)];
    return (bits[c >> 6] >> (c & 63)) & 1;
  }

 private:
  InertTable() {
    constexpr size_t kWords = (kMaxCodePoint + 1 + 63) / 64;
    std::vector<uint8_t> is_second(kMaxCodePoint + 1, 0);
    // Second characters of canonical compositions: the tail of every two-character canonical
    // decomposition, plus the Hangul vowel and trailing jamo (composed algorithmically).
    for (char32_t c = 0x80; c <= kMaxCodePoint; ++c) {
      const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
      if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0) continue;
      utf8proc_int32_t buffer[4];
      int last_boundclass = 0;
      const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 4,
                                             UTF8PROC_DECOMPOSE, &last_boundclass);
      // Only the direct (one-level) decomposition matters, but the full one ends with the same
      // character, which is enough to mark it.
      if (n >= 2) is_second[buffer[n - 1]] = 1;
    }
    for (char32_t c = 0x1161; c <= 0x1175; ++c) is_second[c] = 1;
    for (char32_t c = 0x11A8; c <= 0x11C2; ++c) is_second[c] = 1;

    for (auto& bits : bits_) bits.assign(kWords, 0);
    for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
      const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
      const bool starter = p->combining_class == 0;
      const bool has_decomposition = p->decomp_seqindex != UINT16_MAX;
      const bool canonical = has_decomposition && p->decomp_type == 0;
      const bool hangul_syllable = c >= 0xAC00 && c <= 0xD7A3;
      const bool set[4] = {
          /*kNfc*/ starter && !canonical && !is_second[c],
          /*kNfd*/ starter && !canonical && !hangul_syllable,
          /*kNfkc*/ starter && !has_decomposition && !is_second[c],
          /*kNfkd*/ starter && !has_decomposition && !hangul_syllable,
      };
      for (int f = 0; f < 4; ++f) {
        if (set[f]) bits_[f][c >> 6] |= uint64_t{1} << (c & 63);
      }
    }
  }
  std::array<std::vector<uint64_t>, 4> bits_;
};

utf8proc_option_t options_for(NormalizationForm form) {
  switch (form) {
    case NormalizationForm::kNfc:
      return utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    case NormalizationForm::kNfd:
      return utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    case NormalizationForm::kNfkc:
      return utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case NormalizationForm::kNfkd:
      return utf8proc_option_t(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  return utf8proc_option_t(0);
}

void append_normalized_segment(std::string& out, std::string_view segment,
                               NormalizationForm form) {
  utf8proc_uint8_t* result = nullptr;
  const auto length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(segment.data()),
                   static_cast<utf8proc_ssize_t>(segment.size()), &result, options_for(form));
  TURBINE_CHECK(length >= 0, "utf8proc_map failed: {}", utf8proc_errmsg(length));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  out.append(reinterpret_cast<const char*>(result), static_cast<size_t>(length));
}

}  // namespace

std::span<const AddedCategoryRange> added_category_ranges() { return kAddedRanges; }

bool is_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
         cat == UTF8PROC_CATEGORY_NO;
}

bool is_alphabetic(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  const auto cat = category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_MC) ||
         cat == UTF8PROC_CATEGORY_NL;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (c == 0x200C || c == 0x200D) return true;
  const auto cat = category(c);
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ND) ||
         cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_PC;
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  }
  const auto cat = category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_control(char32_t c) {
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO;
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_nonspacing_mark(char32_t c) { return category(c) == UTF8PROC_CATEGORY_MN; }

bool is_combining_mark(char32_t c) {
  const auto cat = category(c);
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME;
}

void append_lowercase(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping
    out.append("i\xCC\x87");
    return;
  }
  utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    char32_t c;
    pos += utf8::decode(text, pos, &c);
    append_lowercase(out, c);
  }
  return out;
}

std::string normalize(std::string_view text, NormalizationForm form) {
  const InertTable& table = InertTable::get();
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;          // input bytes [0, copied) are already in `out`
  size_t last_char_start = 0;  // start of the last inert character seen (a starter)
  bool have_last_char = false;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t c;
    const int length = utf8::decode(text, pos, &c);
    if (table.inert(form, c)) {
      last_char_start = pos;
      have_last_char = true;
      pos += length;
      continue;
    }
    // A run of non-inert characters, normalized together with the starter before it (the
    // only earlier character they can compose with).
    const size_t segment_start = have_last_char ? last_char_start : pos;
    size_t segment_end = pos + length;
    while (segment_end < text.size()) {
      char32_t next;
      const int next_length = utf8::decode(text, segment_end, &next);
      if (table.inert(form, next)) break;
      segment_end += next_length;
    }
    out.append(text.data() + copied, segment_start - copied);
    append_normalized_segment(out, text.substr(segment_start, segment_end - segment_start),
                              form);
    copied = segment_end;
    pos = segment_end;
    have_last_char = false;
  }
  out.append(text.data() + copied, text.size() - copied);
  return out;
}

}  // namespace turbine::tokenizer::unicode
