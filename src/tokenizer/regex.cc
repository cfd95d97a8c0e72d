#include "tokenizer/regex.h"

#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "common/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

// Oniguruma's \s is exactly the White_Space property. PCRE2's UCP \s differs (it lacks U+0085
// and has U+180E), so the set is spelled out.
constexpr std::string_view kSpaceClassBody =
    "\\x{9}-\\x{D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}"
    "\\x{205F}\\x{3000}";
// Oniguruma's \h is a hexadecimal digit (in PCRE2 it means horizontal space).
constexpr std::string_view kHexClassBody = "0-9a-fA-F";

bool is_general_category(std::string_view name) {
  if (name.empty() || name.size() > 2) return false;
  if (std::string_view("LMNPSZC").find(name[0]) == std::string_view::npos) return false;
  return name.size() == 1 || std::islower(static_cast<unsigned char>(name[1]));
}

// Class body for a general category as the reference sees it: PCRE2's \p{name}, plus (when
// `with_additions`) the characters of that category that PCRE2's older Unicode tables leave
// unassigned.
std::string category_class_body(std::string_view name, bool with_additions) {
  std::string body = fmt::format("\\p{{{}}}", name);
  if (!with_additions) return body;
  for (const auto& range : unicode::added_category_ranges()) {
    if (std::string_view(range.category).substr(0, name.size()) != name) continue;
    body += fmt::format("\\x{{{:X}}}", static_cast<uint32_t>(range.first));
    if (range.last != range.first) body += fmt::format("-\\x{{{:X}}}", static_cast<uint32_t>(range.last));
  }
  return body;
}

// Oniguruma's \w in Unicode mode: letters, marks, decimal and letter numbers, connector
// punctuation, plus the circled/squared letters (Other_Alphabetic symbols) and, oddly, the
// Latin-1 superscripts and fractions (measured against the reference).
std::string word_class_body(bool with_additions) {
  return category_class_body("L", with_additions) + category_class_body("M", with_additions) +
         category_class_body("Nd", with_additions) + category_class_body("Nl", with_additions) +
         category_class_body("Pc", with_additions) +
         "\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}\\x{24B6}-\\x{24E9}\\x{1F130}-\\x{1F149}"
         "\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}";
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Per-thread matching state: match data for the whole-match offsets and a JIT stack big
// enough for long subjects.
struct ThreadMatchState {
  pcre2_match_data* match_data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  ThreadMatchState() { pcre2_jit_stack_assign(context, nullptr, jit_stack); }
  ~ThreadMatchState() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_data_free(match_data);
  }
};

ThreadMatchState& thread_match_state() {
  thread_local ThreadMatchState state;
  return state;
}


// One compiled PCRE2 pattern.
struct CompiledPattern {
  pcre2_code* code = nullptr;
  bool jit = false;
  CompiledPattern() = default;
  CompiledPattern(const CompiledPattern&) = delete;
  CompiledPattern& operator=(const CompiledPattern&) = delete;
  ~CompiledPattern() { pcre2_code_free(code); }
};

}  // namespace

// `plain` uses PCRE2's own category tables; `complete` adds the characters they lack and is
// only needed (and only built) when the pattern has category classes and the subject has such
// characters. The extra ranges make PCRE2's class checks about twice as slow, so they are
// avoided for the usual text.
struct Regex::Compiled {
  CompiledPattern plain;
  std::unique_ptr<CompiledPattern> complete;
};

namespace {

void compile_into(CompiledPattern& out, const std::string& pcre2_pattern, std::string_view original,
                  std::string_view context) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  out.code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcre2_pattern.data()), pcre2_pattern.size(),
                           PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &error_code, &error_offset,
                           nullptr);
  if (out.code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    fail("{}: cannot compile regex {:?} (as PCRE2 {:?}): {} at offset {}", context,
         std::string(original), pcre2_pattern, reinterpret_cast<const char*>(message),
         static_cast<size_t>(error_offset));
  }
  out.jit = pcre2_jit_compile(out.code, PCRE2_JIT_COMPLETE) == 0;
}

// Whether `text` has a character from the additions table (all are at U+0897 or above, so
// only characters of three or four bytes need a look).
bool has_added_character(std::string_view text) {
  const auto ranges = unicode::added_category_ranges();
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (static_cast<uint8_t>(text[pos]) < 0xE0) continue;
    char32_t c;
    utf8::decode(text, pos, &c);
    const auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                                     [](char32_t value, const unicode::AddedCategoryRange& range) {
                                       return value < range.first;
                                     });
    if (it != ranges.begin() && c <= std::prev(it)->last) return true;
  }
  return false;
}

}  // namespace

std::string translate_oniguruma(std::string_view pattern, bool with_additions) {
  std::string out;
  out.reserve(pattern.size() + 16);
  int class_depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[i + 1];
      const bool in_class = class_depth > 0;
      // Emits a class body; outside a bracket expression it becomes its own class.
      auto emit_class = [&](std::string_view body, bool negated) {
        if (in_class) {
          out.append(body);
        } else {
          out.append(negated ? "[^" : "[").append(body).append("]");
        }
      };
      if (e == 's' || (e == 'S' && !in_class)) {
        emit_class(kSpaceClassBody, e == 'S');
      } else if (e == 'w' || (e == 'W' && !in_class)) {
        emit_class(word_class_body(with_additions), e == 'W');
      } else if (e == 'd' || (e == 'D' && !in_class)) {
        emit_class(category_class_body("Nd", with_additions), e == 'D');
      } else if (e == 'h' || (e == 'H' && !in_class)) {
        emit_class(kHexClassBody, e == 'H');
      } else if (e == 'u' && i + 5 < pattern.size() && is_hex(pattern[i + 2]) &&
                 is_hex(pattern[i + 3]) && is_hex(pattern[i + 4]) && is_hex(pattern[i + 5])) {
        out.append("\\x{").append(pattern.substr(i + 2, 4)).append("}");
        i += 4;
      } else if ((e == 'p' || e == 'P') && i + 2 < pattern.size() && pattern[i + 2] == '{' &&
                 pattern.find('}', i + 3) != std::string_view::npos) {
        const size_t close = pattern.find('}', i + 3);
        std::string_view name = pattern.substr(i + 3, close - (i + 3));
        bool negated = e == 'P';
        if (!name.empty() && name[0] == '^') {  // \p{^L} is Oniguruma's spelling of \P{L}
          negated = !negated;
          name.remove_prefix(1);
        }
        if (is_general_category(name) && !(negated && in_class)) {
          emit_class(category_class_body(name, with_additions), negated);
        } else {
          out.append(negated ? "\\P{" : "\\p{").append(name).append("}");
        }
        i = close - 1;
      } else {
        out.push_back(c);
        out.push_back(e);
      }
      ++i;
      continue;
    }
    if (c == '[') {
      if (class_depth > 0 && i + 1 < pattern.size() && pattern[i + 1] == ':') {
        // POSIX class like [:alpha:] inside a bracket expression: copy through.
        const size_t close = pattern.find(":]", i + 2);
        if (close != std::string_view::npos) {
          out.append(pattern.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
      }
      ++class_depth;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
        out.push_back('^');
        ++i;
      }
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') {
        out.append("\\]");
        ++i;
      }
      continue;
    }
    if (c == ']' && class_depth > 0) {
      --class_depth;
      out.push_back(c);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string regex_escape(std::string_view literal) {
  std::string out;
  out.reserve(literal.size() * 2);
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}-#&~ ").find(c) != std::string_view::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

Regex::Regex(std::string_view pattern, std::string_view context)
    : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  const std::string plain = translate_oniguruma(pattern, /*with_additions=*/false);
  compile_into(compiled_->plain, plain, pattern, context);
  const std::string complete = translate_oniguruma(pattern, /*with_additions=*/true);
  if (complete != plain) {
    compiled_->complete = std::make_unique<CompiledPattern>();
    compile_into(*compiled_->complete, complete, pattern, context);
  }
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view text, std::vector<MatchRange>& out) const {
  ThreadMatchState& state = thread_match_state();
  const CompiledPattern& compiled =
      compiled_->complete && has_added_character(text) ? *compiled_->complete : compiled_->plain;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const size_t length = text.size();
  size_t search_from = 0;
  size_t last_match_end = SIZE_MAX;
  while (search_from <= length) {
    int rc;
    if (compiled.jit) {
      rc = pcre2_jit_match(compiled.code, subject, length, search_from, 0, state.match_data,
                           state.context);
    } else {
      rc = pcre2_match(compiled.code, subject, length, search_from, PCRE2_NO_UTF_CHECK,
                       state.match_data, state.context);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      fail("regex {:?} failed while matching: {}", pattern_, reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data);
    const size_t begin = ovector[0];
    const size_t end = ovector[1];
    if (begin == end && end == last_match_end) {
      // An empty match right after the previous match is skipped (Oniguruma's find_iter).
      if (search_from >= length) break;
      search_from += utf8::char_length(static_cast<uint8_t>(text[search_from]));
      continue;
    }
    out.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
    search_from = end;
    last_match_end = end;
  }
}

}  // namespace turbine::tokenizer
