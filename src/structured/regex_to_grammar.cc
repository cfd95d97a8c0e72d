#include "structured/regex_to_grammar.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace turbine::structured {
namespace {

constexpr uint32_t kMaxCodepoint = 0x10FFFF;
// Parenthesis nesting past this is refused (the parser recurses once per level).
constexpr int kMaxNesting = 200;

bool is_hex(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
uint32_t hex_value(uint32_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(uint32_t c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string encode_utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xF0 | (cp >> 18));
    s += char(0x80 | ((cp >> 12) & 0x3F));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

// Decodes one strictly valid UTF-8 scalar value at `pos` (no overlongs, surrogates or values past
// 10FFFF); returns its length, or 0 if the bytes there are not valid UTF-8.
int decode_utf8(std::string_view s, size_t pos, uint32_t& cp) {
  const auto b0 = uint8_t(s[pos]);
  if (b0 < 0x80) { cp = b0; return 1; }
  int n;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) { n = 2; cp = b0 & 0x1F; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { n = 3; cp = b0 & 0x0F; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { n = 4; cp = b0 & 0x07; min = 0x10000; }
  else return 0;
  if (pos + size_t(n) > s.size()) return 0;
  for (int i = 1; i < n; ++i) {
    const auto b = uint8_t(s[pos + size_t(i)]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > kMaxCodepoint || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// The ASCII shorthand classes (\d \w \s as Python's re.ASCII / PCRE2 without UCP).
const std::vector<CodepointRange> kDigit = {{'0', '9'}};
const std::vector<CodepointRange> kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const std::vector<CodepointRange> kSpace = {{'\t', '\r'}, {' ', ' '}};  // \t \n \v \f \r and space
// ECMAScript's \s: WhiteSpace (TAB VT FF SP NBSP ZWNBSP and category Zs) and LineTerminator.
const std::vector<CodepointRange> kEcmaSpace = {{'\t', '\r'},     {' ', ' '},       {0xA0, 0xA0},
                                                {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029},
                                                {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
                                                {0xFEFF, 0xFEFF}};

std::vector<CodepointRange> complement(const std::vector<CodepointRange>& sorted) {
  std::vector<CodepointRange> out;
  uint32_t next = 0;
  for (auto [lo, hi] : sorted) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= kMaxCodepoint) out.push_back({next, kMaxCodepoint});
  return out;
}

class Parser {
 public:
  Parser(Grammar& g, std::string_view pattern, const RegexOptions& options)
      : g_(g), p_(pattern), options_(options) {}

  const std::vector<CodepointRange>& space() const { return options_.ecmascript_whitespace ? kEcmaSpace : kSpace; }

  ExprId parse() {
    // Validate the whole pattern up front so every later step can decode blindly.
    for (size_t i = 0; i < p_.size();) {
      uint32_t cp;
      const int n = decode_utf8(p_, i, cp);
      if (n == 0) error(i, "invalid UTF-8 in the pattern");
      i += size_t(n);
    }
    const Result r = parse_alternation(/*at_start=*/true, /*depth=*/0);
    if (pos_ < p_.size()) {
      // parse_alternation stops only at the end or at a ')' that closes nothing.
      error(pos_, "unbalanced ')'");
    }
    return r.expr;
  }

 private:
  // What a parsed piece is, beyond its expression: anchors are zero-width assertions the grammar
  // cannot express, so they are only accepted where they are certain to hold (a '^' with nothing
  // consumed before it, a '$' with nothing after it) and then dropped.
  struct Result {
    ExprId expr = -1;
    bool has_anchor = false;     // contains ^ or $ somewhere
    bool end_anchored = false;   // some path through it ends in $: nothing may follow
    size_t end_anchor_at = 0;    // offset of that $
  };

  [[noreturn]] void error(size_t offset, std::string_view what) const {
    fail("regex: {} at offset {}", what, offset);
  }

  bool at_end() const { return pos_ >= p_.size(); }
  uint32_t peek(size_t ahead = 0) const {
    // Only called for ASCII look-ahead decisions: returns the byte (or 0 past the end); bytes of
    // multi-byte characters are >= 0x80 and never equal an ASCII metacharacter.
    return pos_ + ahead < p_.size() ? uint8_t(p_[pos_ + ahead]) : 0;
  }
  uint32_t next_codepoint() {
    uint32_t cp = 0;
    const int n = decode_utf8(p_, pos_, cp);
    pos_ += size_t(n);
    return cp;
  }
  bool starts_with(std::string_view s) const { return p_.substr(pos_).starts_with(s); }

  Result parse_alternation(bool at_start, int depth) {
    std::vector<ExprId> options;
    Result out;
    for (;;) {
      const Result seq = parse_sequence(at_start, depth);
      options.push_back(seq.expr);
      out.has_anchor |= seq.has_anchor;
      if (seq.end_anchored && !out.end_anchored) {
        out.end_anchored = true;
        out.end_anchor_at = seq.end_anchor_at;
      }
      if (!at_end() && peek() == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    out.expr = g_.choice(std::move(options));
    return out;
  }

  // Up to '|', ')' or the end.
  Result parse_sequence(bool at_start, int depth) {
    std::vector<ExprId> parts;
    Result out;
    while (!at_end() && peek() != '|' && peek() != ')') {
      const size_t atom_at = pos_;
      const uint32_t c = peek();
      if (c == '^' || c == '$') {
        ++pos_;
        if (c == '^' && !at_start) error(atom_at, "'^' anchor not at the start of the pattern");
        if (c == '^' && out.end_anchored) error(out.end_anchor_at, "'$' anchor not at the end of the pattern");
        out.has_anchor = true;
        if (c == '$' && !out.end_anchored) {
          out.end_anchored = true;
          out.end_anchor_at = atom_at;
        }
        if (!at_end() && is_quantifier_start()) error(pos_, "quantifier on an anchor");
        continue;
      }
      if (out.end_anchored) error(out.end_anchor_at, "'$' anchor not at the end of the pattern");
      if (c == '*' || c == '+' || c == '?') error(atom_at, "quantifier with nothing to repeat");
      if (c == '{' && is_bound_quantifier()) error(atom_at, "quantifier with nothing to repeat");
      Result atom = parse_atom(at_start, depth);
      at_start = false;
      if (!at_end() && is_quantifier_start()) atom = parse_quantifier(atom);
      out.has_anchor |= atom.has_anchor;
      if (atom.end_anchored) {
        out.end_anchored = true;
        out.end_anchor_at = atom.end_anchor_at;
      }
      parts.push_back(atom.expr);
    }
    out.expr = g_.sequence(std::move(parts));
    return out;
  }

  bool is_quantifier_start() const {
    const uint32_t c = peek();
    return c == '*' || c == '+' || c == '?' || (c == '{' && is_bound_quantifier());
  }

  // Whether the '{' at pos_ starts {n}, {n,} or {n,m}; otherwise it is a literal '{' (as in
  // Python, PCRE and ECMAScript without the u flag). {,m} is ambiguous between dialects (Python:
  // {0,m}; PCRE and ECMAScript: literal text) and refused.
  bool is_bound_quantifier() const {
    // With spaces ("{1, 2}") it is text to Python, ECMAScript and PCRE2 before 10.43, but a
    // quantifier to Perl and PCRE2 10.43 on: refused.
    bool spaced = false, digits = false;
    size_t j = pos_ + 1;
    for (; j < p_.size() && (p_[j] == ' ' || p_[j] == ',' || is_digit(uint8_t(p_[j]))); ++j) {
      spaced |= p_[j] == ' ';
      digits |= is_digit(uint8_t(p_[j]));
    }
    if (spaced && digits && j < p_.size() && p_[j] == '}' && std::count(&p_[pos_], &p_[j], ',') <= 1)
      error(pos_, "quantifier with spaces inside its braces (regex dialects disagree)");
    size_t i = pos_ + 1;
    const size_t digits_start = i;
    while (i < p_.size() && is_digit(uint8_t(p_[i]))) ++i;
    const bool have_min = i > digits_start;
    if (i < p_.size() && p_[i] == '}') return have_min;
    if (i >= p_.size() || p_[i] != ',') return false;
    ++i;
    while (i < p_.size() && is_digit(uint8_t(p_[i]))) ++i;
    if (i >= p_.size() || p_[i] != '}') return false;
    if (!have_min) error(pos_, "quantifier {,m} (ambiguous between regex dialects; write {0,m} or {0,})");
    return true;
  }

  int parse_number() {
    const size_t start = pos_;
    long long v = 0;
    while (!at_end() && is_digit(peek())) {
      v = v * 10 + (peek() - '0');
      if (v > options_.max_repeat) error(start, fmt::format("repetition bound exceeds the limit of {}", options_.max_repeat));
      ++pos_;
    }
    return int(v);
  }

  Result parse_quantifier(Result atom) {
    const size_t at = pos_;
    int min = 0, max = kUnbounded;
    const uint32_t c = peek();
    if (c == '*') {
      ++pos_;
    } else if (c == '+') {
      ++pos_;
      min = 1;
    } else if (c == '?') {
      ++pos_;
      max = 1;
    } else {  // {n}, {n,}, {n,m}
      ++pos_;
      min = parse_number();
      if (peek() == ',') {
        ++pos_;
        if (peek() != '}') max = parse_number();
      } else {
        max = min;
      }
      ++pos_;  // '}'
      if (max != kUnbounded && max < min) error(at, "quantifier {n,m} with m < n");
    }
    if (!at_end() && peek() == '?') {
      ++pos_;  // lazy: the same language
    } else if (!at_end() && peek() == '+') {
      error(at, "possessive quantifier");
    }
    if (!at_end() && is_quantifier_start()) error(pos_, "multiple quantifiers in a row (group the first)");
    if (atom.has_anchor && (max == kUnbounded || max > 1))
      error(at, "repeated group containing an anchor");
    atom.expr = g_.repeat(atom.expr, min, max);
    return atom;
  }

  Result parse_atom(bool at_start, int depth) {
    const uint32_t c = peek();
    Result r;
    switch (c) {
      case '(':
        return parse_group(at_start, depth);
      case '[':
        r.expr = parse_class();
        return r;
      case '.': {
        ++pos_;
        const CodepointRange newline{'\n', '\n'};
        r.expr = g_.codepoints_except({&newline, 1});
        return r;
      }
      case '\\':
        r.expr = parse_escape_atom();
        return r;
      default: {
        const uint32_t cp = next_codepoint();
        r.expr = g_.literal(encode_utf8(cp));
        return r;
      }
    }
  }

  Result parse_group(bool at_start, int depth) {
    const size_t open = pos_;
    if (depth + 1 > kMaxNesting) error(open, fmt::format("groups nested deeper than {}", kMaxNesting));
    ++pos_;  // '('
    if (peek() == '?') {
      const uint32_t k = peek(1);
      if (k == ':') {
        pos_ += 2;
      } else if (k == 'P' && peek(2) == '<') {
        pos_ += 3;
        parse_group_name(open);
      } else if (k == '<' && peek(2) != '=' && peek(2) != '!') {
        pos_ += 2;
        parse_group_name(open);
      } else if (k == '=' || k == '!') {
        error(open, k == '=' ? "lookahead (?=...) is not supported" : "negative lookahead (?!...) is not supported");
      } else if (k == '<') {
        error(open, peek(2) == '=' ? "lookbehind (?<=...) is not supported" : "negative lookbehind (?<!...) is not supported");
      } else if (k == 'P' && peek(2) == '=') {
        error(open, "backreference (?P=name) is not supported");
      } else if (k == '>') {
        error(open, "atomic group (?>...) is not supported");
      } else if (k == '#') {
        error(open, "comment group (?#...) is not supported");
      } else if (k == '(') {
        error(open, "conditional group (?(...)...) is not supported");
      } else if (k == 'R' || is_digit(k) || k == '&' || k == '+' || (k == 'P' && peek(2) == '>')) {
        error(open, "recursion / subroutine call is not supported");
      } else if (k == 'P') {
        error(open, "unknown group syntax '(?P'");
      } else if ((k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || k == '-' || k == '^') {
        error(open, "inline flags (?flags) are not supported");
      } else {
        error(open, "unknown group syntax '(?'");
      }
    }
    Result r = parse_alternation(at_start, depth + 1);
    if (at_end()) error(open, "missing ')' for this '('");
    ++pos_;  // ')'
    return r;
  }

  void parse_group_name(size_t open) {
    const size_t start = pos_;
    while (!at_end() && peek() != '>') {
      const uint32_t c = peek();
      if (!(is_ascii_alnum(c) || c == '_') || (pos_ == start && is_digit(c)))
        error(pos_, "bad character in group name");
      ++pos_;
    }
    if (at_end()) error(open, "unterminated group name");
    if (pos_ == start) error(open, "empty group name");
    const std::string name(p_.substr(start, pos_ - start));
    if (!names_.insert(name).second) error(start, fmt::format("duplicate group name '{}'", name));
    ++pos_;  // '>'
  }

  // ---- Escapes.

  // An escape outside a class: a shorthand class or one code point.
  ExprId parse_escape_atom() {
    const size_t at = pos_;
    ++pos_;  // '\'
    if (at_end()) error(at, "pattern ends with a lone '\\'");
    const uint32_t c = peek();
    switch (c) {
      case 'd': ++pos_; return g_.codepoints(kDigit);
      case 'D': ++pos_; return g_.codepoints_except(kDigit);
      case 'w': ++pos_; return g_.codepoints(kWord);
      case 'W': ++pos_; return g_.codepoints_except(kWord);
      case 's': ++pos_; return g_.codepoints(space());
      case 'S': ++pos_; return g_.codepoints_except(space());
      case 'b': error(at, "word boundary \\b is not supported");
      case 'B': error(at, "non-word-boundary \\B is not supported");
      default: break;
    }
    pos_ = at;
    return g_.literal(encode_utf8(parse_escaped_codepoint(/*in_class=*/false)));
  }

  // The code point of the escape at pos_ ('\' included); shorthand classes are handled by the
  // callers. Refuses everything outside the supported dialect by name.
  uint32_t parse_escaped_codepoint(bool in_class) {
    const size_t at = pos_;
    ++pos_;  // '\'
    if (at_end()) error(at, "pattern ends with a lone '\\'");
    const uint32_t c = peek();
    if (c >= 0x80 || !is_ascii_alnum(c)) {
      // An escaped non-alphanumeric (metacharacters, '/', '-', space, any non-ASCII): itself.
      return next_codepoint();
    }
    ++pos_;
    switch (c) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case '0':
        if (!at_end() && is_digit(peek())) error(at, "octal escape is not supported (only \\0 alone)");
        return 0;
      case 'x': {
        if (at_end() || !is_hex(peek()) || !is_hex(peek(1))) error(at, "bad escape \\x (needs exactly two hex digits, \\xHH)");
        const uint32_t v = hex_value(peek()) * 16 + hex_value(peek(1));
        pos_ += 2;
        return v;
      }
      case 'u': return parse_u_escape(at);
      case 'b':
        if (in_class) return '\b';  // backspace inside a class, as in Python, PCRE and ECMAScript
        break;
      default: break;
    }
    if (is_digit(c)) error(at, fmt::format("backreference \\{} is not supported", char(c)));
    switch (c) {
      case 'k': error(at, "backreference \\k<name> is not supported");
      case 'g': error(at, "backreference \\g is not supported");
      case 'p':
      case 'P': {
        std::string name(1, char(c));
        if (peek() == '{') {
          const size_t close = p_.find('}', pos_);
          name += std::string(p_.substr(pos_, close == std::string_view::npos ? 1 : close - pos_ + 1));
        }
        error(at, fmt::format("Unicode property class \\{} is not supported", name));
      }
      case 'A': case 'Z': case 'z': case 'G':
        error(at, fmt::format("anchor \\{} is not supported (use ^ and $)", char(c)));
      case 'B': error(at, "non-word-boundary \\B is not supported");
      case 'Q': case 'E': error(at, "quoting \\Q...\\E is not supported");
      default: break;
    }
    error(at, fmt::format("bad escape \\{}", char(c)));
  }

  // \uHHHH (a UTF-16 surrogate pair written as two escapes is one code point) or \u{H...}.
  uint32_t parse_u_escape(size_t at) {
    if (peek() == '{') {
      ++pos_;
      uint32_t v = 0;
      int n = 0;
      while (!at_end() && is_hex(peek())) {
        v = v * 16 + hex_value(peek());
        ++pos_;
        if (++n > 6) error(at, "bad escape \\u{...} (more than six hex digits)");
      }
      if (n == 0 || at_end() || peek() != '}') error(at, "bad escape \\u{...} (needs hex digits and a '}')");
      ++pos_;
      if (v > kMaxCodepoint) error(at, "escape \\u{...} past U+10FFFF");
      if (v >= 0xD800 && v <= 0xDFFF) error(at, "escape of a lone surrogate");
      return v;
    }
    auto four = [&](size_t escape_at) {
      uint32_t v = 0;
      for (int i = 0; i < 4; ++i) {
        if (at_end() || !is_hex(peek())) error(escape_at, "bad escape \\u (needs exactly four hex digits, \\uHHHH)");
        v = v * 16 + hex_value(peek());
        ++pos_;
      }
      return v;
    };
    const uint32_t v = four(at);
    if (v >= 0xDC00 && v <= 0xDFFF) error(at, "escape of a lone surrogate");
    if (v >= 0xD800 && v <= 0xDBFF) {
      if (!starts_with("\\u")) error(at, "escape of a lone surrogate");
      const size_t low_at = pos_;
      pos_ += 2;
      const uint32_t low = four(low_at);
      if (low < 0xDC00 || low > 0xDFFF) error(at, "escape of a lone surrogate");
      return 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
    }
    return v;
  }

  // ---- Classes.

  ExprId parse_class() {
    const size_t open = pos_;
    ++pos_;  // '['
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++pos_;
    }
    std::vector<CodepointRange> ranges;
    bool first = true;
    for (;;) {
      if (at_end()) error(open, "missing ']' for this '['");
      const uint32_t c = peek();
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      const size_t item_at = pos_;
      if (c == '[' && (peek(1) == ':' || peek(1) == '.' || peek(1) == '=')) {
        error(item_at, "POSIX class syntax [:...:] is not supported");
      }
      std::vector<CodepointRange> set_item;
      uint32_t lo = 0;
      if (!parse_class_item(lo, set_item)) {
        ranges.insert(ranges.end(), set_item.begin(), set_item.end());
        if (peek() == '-' && peek(1) != ']' && pos_ + 1 < p_.size())
          error(item_at, "range with a class shorthand as its start");
        continue;
      }
      // A range lo-hi, unless the '-' is the class's last character.
      if (peek() == '-' && pos_ + 1 < p_.size() && peek(1) != ']') {
        const size_t dash = pos_;
        ++pos_;
        uint32_t hi = 0;
        std::vector<CodepointRange> hi_set;
        if (!parse_class_item(hi, hi_set)) error(dash, "range with a class shorthand as its end");
        if (hi < lo) error(item_at, "character range out of order");
        ranges.push_back({lo, hi});
      } else {
        ranges.push_back({lo, lo});
      }
    }
    return negated ? g_.codepoints_except(ranges) : g_.codepoints(ranges);
  }

  // One class member: returns true with `cp` for a single code point, false with `set` for a
  // shorthand (\d \w \s \D \W \S).
  bool parse_class_item(uint32_t& cp, std::vector<CodepointRange>& set) {
    if (at_end()) return (cp = 0, true);  // the caller reports the missing ']'
    if (peek() != '\\') {
      cp = next_codepoint();
      return true;
    }
    switch (peek(1)) {
      case 'd': pos_ += 2; set = kDigit; return false;
      case 'D': pos_ += 2; set = complement(kDigit); return false;
      case 'w': pos_ += 2; set = kWord; return false;
      case 'W': pos_ += 2; set = complement(kWord); return false;
      case 's': pos_ += 2; set = space(); return false;
      case 'S': pos_ += 2; set = complement(space()); return false;
      default: break;
    }
    cp = parse_escaped_codepoint(/*in_class=*/true);
    return true;
  }

  Grammar& g_;
  std::string_view p_;
  const RegexOptions& options_;
  size_t pos_ = 0;
  std::set<std::string> names_;
};

}  // namespace

ExprId add_regex(Grammar& grammar, std::string_view pattern, const RegexOptions& options) {
  Parser parser(grammar, pattern, options);
  return parser.parse();
}

Grammar regex_grammar(std::string_view pattern, const RegexOptions& options) {
  Grammar g;
  const ExprId body = add_regex(g, pattern, options);
  g.set_root(g.add_rule("regex", body));
  return g;
}

}  // namespace turbine::structured
