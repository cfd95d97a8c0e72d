#include "structured/json_string_grammar.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "common/error.h"
#include "structured/json_grammar_common.h"
#include "structured/regex_to_grammar.h"

namespace turbine::structured::json_grammar {
namespace {

// Code points a JSON string may not hold raw.
constexpr CodepointRange kMustEscape[] = {{0x00, 0x1F}, {'"', '"'}, {'\\', '\\'}};

ByteSet hex_digits(bool letters_only_upto_c = false) {
  ByteSet s = ByteSet::range('0', '9');
  s.add_range('a', letters_only_upto_c ? 'c' : 'f');
  s.add_range('A', letters_only_upto_c ? 'C' : 'F');
  return s;
}

ExprId hex(Grammar& g) { return g.bytes(hex_digits()); }

ByteSet chars(std::string_view cs) {
  ByteSet s;
  for (char c : cs) s.add(uint8_t(c));
  return s;
}

// The escape that spells ASCII byte `c` inside a JSON string.
std::string escape_of(uint8_t c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return fmt::format("\\u{:04x}", c);
  }
}

// Copies expression `e` of `from` into `to`, writing the bytes a JSON string must escape as
// escapes. ASCII bytes in a byte set are whole code points (add_regex builds valid UTF-8, whose
// multi-byte sequences never contain ASCII bytes), so each one can be replaced on its own.
class EscapingCopy {
 public:
  EscapingCopy(const Grammar& from, Grammar& to) : from_(from), to_(to) {}

  ExprId copy(ExprId e) {
    if (auto it = exprs_.find(e); it != exprs_.end()) return it->second;
    const Expr& x = from_.expr(e);
    ExprId out = -1;
    switch (x.kind) {
      case Expr::Kind::kEmpty: out = to_.empty(); break;
      case Expr::Kind::kNothing: out = to_.nothing(); break;
      case Expr::Kind::kBytes: {
        ByteSet special = ByteSet::range(0x00, 0x1F);
        special.add('"');
        special.add('\\');
        special &= x.bytes;
        if (special.empty()) { out = to_.bytes(x.bytes); break; }
        ByteSet plain = x.bytes;
        plain &= special.complement();
        std::vector<ExprId> options;
        if (!plain.empty()) options.push_back(to_.bytes(plain));
        for (int b = 0; b < 0x80; ++b)
          if (special.contains(uint8_t(b))) options.push_back(to_.literal(escape_of(uint8_t(b))));
        out = to_.choice(std::move(options));
        break;
      }
      case Expr::Kind::kSequence:
      case Expr::Kind::kChoice: {
        std::vector<ExprId> children;
        for (ExprId c : x.children) children.push_back(copy(c));
        out = x.kind == Expr::Kind::kSequence ? to_.sequence(std::move(children)) : to_.choice(std::move(children));
        break;
      }
      case Expr::Kind::kRepeat: out = to_.repeat(copy(x.children[0]), x.min, x.max); break;
      case Expr::Kind::kRule: {
        auto it = rules_.find(x.rule);
        if (it == rules_.end()) {
          const RuleId r = to_.declare_rule("pattern_" + from_.rule_name(x.rule));
          rules_[x.rule] = r;
          to_.define_rule(r, copy(from_.rule_body(x.rule)));
          it = rules_.find(x.rule);
        }
        out = to_.ref(it->second);
        break;
      }
    }
    exprs_[e] = out;
    return out;
  }

 private:
  const Grammar& from_;
  Grammar& to_;
  std::map<ExprId, ExprId> exprs_;
  std::map<RuleId, RuleId> rules_;
};

void append_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) s += char(cp);
  else if (cp < 0x800) { s += char(0xC0 | (cp >> 6)); s += char(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { s += char(0xE0 | (cp >> 12)); s += char(0x80 | ((cp >> 6) & 0x3F)); s += char(0x80 | (cp & 0x3F)); }
  else { s += char(0xF0 | (cp >> 18)); s += char(0x80 | ((cp >> 12) & 0x3F)); s += char(0x80 | ((cp >> 6) & 0x3F)); s += char(0x80 | (cp & 0x3F)); }
}

// Decodes valid UTF-8 into code points; false for invalid input.
bool decode_utf8(std::string_view s, std::vector<uint32_t>& out) {
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = uint8_t(s[i]);
    int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + size_t(n) > s.size()) return false;
    uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < n; ++k) {
      const uint8_t c = uint8_t(s[i + size_t(k)]);
      if ((c >> 6) != 2) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    out.push_back(cp);
    i += size_t(n);
  }
  return true;
}

struct TrieNode {
  bool terminal = false;
  std::map<uint32_t, std::unique_ptr<TrieNode>> children;
};

// Strings (of key characters) that continue from `node` and are not words of the trie.
ExprId trie_complement(Grammar& g, const TrieNode& node, ExprId any_tail) {
  std::vector<ExprId> options;
  if (!node.terminal) options.push_back(g.empty());
  std::vector<CodepointRange> excluded(std::begin(kMustEscape), std::end(kMustEscape));
  for (const auto& [cp, child] : node.children) {
    std::string text;
    append_utf8(text, cp);
    options.push_back(g.sequence({g.literal(text), trie_complement(g, *child, any_tail)}));
    excluded.push_back({cp, cp});
  }
  options.push_back(g.sequence({g.codepoints_except(excluded), any_tail}));
  return g.choice(std::move(options));
}

}  // namespace

ExprId json_char(Grammar& g) {
  const ExprId raw = g.codepoints_except(kMustEscape);
  const ExprId simple = g.sequence({g.byte('\\'), g.bytes(chars("\"\\/bfnrt"))});
  // \uXXXX outside D800-DFFF: first digit not d/D, or d/D then 0-7.
  ByteSet not_d = hex_digits();
  not_d &= chars("dD").complement();
  const ExprId u = g.literal("\\u");
  const ExprId bmp = g.sequence({u, g.choice({g.sequence({g.bytes(not_d), hex(g), hex(g), hex(g)}),
                                              g.sequence({g.bytes(chars("dD")), g.bytes(ByteSet::range('0', '7')), hex(g), hex(g)})})});
  const ExprId pair = g.sequence({u, g.bytes(chars("dD")), g.bytes(chars("89abAB")), hex(g), hex(g),
                                  u, g.bytes(chars("dD")), g.bytes(chars("cdefCDEF")), hex(g), hex(g)});
  return g.choice({raw, simple, bmp, pair});
}

ExprId json_string(Grammar& g, int min_length, std::optional<int> max_length) {
  const ExprId body = counted_repeat(g, json_char(g), min_length, max_length, "string_chars");
  return seq(g, {g.byte('"'), body, g.byte('"')});
}

ExprId json_string_matching(Grammar& g, std::string_view pattern) {
  Grammar scratch;
  RegexOptions options;
  options.ecmascript_whitespace = true;  // JSON Schema patterns are ECMA-262 regular expressions
  const ExprId e = add_regex(scratch, pattern, options);
  EscapingCopy copy(scratch, g);
  return seq(g, {g.byte('"'), copy.copy(e), g.byte('"')});
}

std::string pattern_as_full_match(std::string_view p) {
  // Find top-level '|' and whether the ends are anchors (not escaped, not in a class).
  bool top_alternation = false;
  int depth = 0;
  bool in_class = false;
  bool trailing_dollar = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') in_class = true;
    else if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == '|' && depth == 0) top_alternation = true;
    if (i + 1 == p.size() && c == '$') trailing_dollar = true;
  }
  const bool leading_caret = !p.empty() && p[0] == '^';
  if (top_alternation && (leading_caret || trailing_dollar))
    fail("json schema: pattern '{}' has anchors and a top-level '|' (write ^(?:a|b)$)", p);
  std::string core(p);
  if (trailing_dollar) core.pop_back();
  if (leading_caret) core.erase(0, 1);
  const std::string anything = "(?:.|\\n)*";
  return (leading_caret ? "" : anything) + "(?:" + core + ")" + (trailing_dollar ? "" : anything);
}

std::optional<std::string> format_regex(std::string_view format) {
  static const std::string year = "[0-9]{4}";
  static const std::string leap_year = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)";
  static const std::string date =
      "(?:" + year + "-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
      "|" + leap_year + "-02-29)";
  static const std::string time = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
  static const std::string label = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";
  static const std::string h16 = "[0-9a-fA-F]{1,4}";
  static const std::string pchar = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})";
  static const std::string dur_time = "T(?:[0-9]+H(?:[0-9]+M)?(?:[0-9]+S)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)";
  static const std::string dur_date = "(?:[0-9]+Y(?:[0-9]+M)?(?:[0-9]+D)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)";
  if (format == "date") return date;
  if (format == "time") return time;
  if (format == "date-time") return date + "T" + time;
  if (format == "duration") return "P(?:" + dur_date + "(?:" + dur_time + ")?|" + dur_time + "|[0-9]+W)";
  if (format == "email")
    return "[a-zA-Z0-9_+-]+(?:\\.[a-zA-Z0-9_+-]+)*@(?:" + label + "\\.)+[a-zA-Z]{2,63}";
  if (format == "hostname") return label + "(?:\\." + label + "){0,2}";
  if (format == "ipv4") return "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  if (format == "ipv6")
    return "(?:(?:" + h16 + ":){7}" + h16 + "|(?:" + h16 + ":){1,7}:|(?:" + h16 + ":){1,6}:" + h16 + "|(?:" + h16 +
           ":){1,5}(?::" + h16 + "){1,2}|(?:" + h16 + ":){1,4}(?::" + h16 + "){1,3}|(?:" + h16 + ":){1,3}(?::" + h16 +
           "){1,4}|(?:" + h16 + ":){1,2}(?::" + h16 + "){1,5}|" + h16 + ":(?::" + h16 + "){1,6}|:(?:(?::" + h16 +
           "){1,7}|:))";
  if (format == "uri")
    return "(?:https?|ftp)://" + label + "(?:\\." + label + ")*(?::[0-9]{1,5})?(?:/" + pchar + "*)*(?:\\?(?:" + pchar +
           "|[/?])*)?(?:#(?:" + pchar + "|[/?])*)?";
  if (format == "uuid") return "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
  return std::nullopt;
}

ExprId json_key_except(Grammar& g, const std::vector<std::string>& names) {
  TrieNode root;
  for (const std::string& name : names) {
    std::vector<uint32_t> cps;
    if (!decode_utf8(name, cps)) continue;
    bool plain = true;
    for (uint32_t cp : cps) plain = plain && cp >= 0x20 && cp != '"' && cp != '\\';
    if (!plain) continue;  // a name that needs escapes can't be spelled by these keys anyway
    TrieNode* n = &root;
    for (uint32_t cp : cps) {
      auto& child = n->children[cp];
      if (!child) child = std::make_unique<TrieNode>();
      n = child.get();
    }
    n->terminal = true;
  }
  const ExprId any_tail = g.star(g.codepoints_except(kMustEscape));
  return g.sequence({g.byte('"'), trie_complement(g, root, any_tail), g.byte('"')});
}

}  // namespace turbine::structured::json_grammar
