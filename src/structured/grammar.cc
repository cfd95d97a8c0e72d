#include "structured/grammar.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "common/error.h"

namespace turbine::structured {

int ByteSet::count() const {
  int n = 0;
  for (uint64_t w : words_) n += std::popcount(w);
  return n;
}

ExprId Grammar::add(Expr e) {
  exprs_.push_back(std::move(e));
  return ExprId(exprs_.size() - 1);
}

RuleId Grammar::declare_rule(std::string name) {
  rules_.push_back({std::move(name), -1});
  return RuleId(rules_.size() - 1);
}

void Grammar::define_rule(RuleId rule, ExprId body) {
  TURBINE_CHECK(rule >= 0 && size_t(rule) < rules_.size(), "rule {} out of range", rule);
  TURBINE_CHECK(rules_[size_t(rule)].body < 0, "rule {} defined twice", rules_[size_t(rule)].name);
  rules_[size_t(rule)].body = body;
}

RuleId Grammar::add_rule(std::string name, ExprId body) {
  const RuleId r = declare_rule(std::move(name));
  define_rule(r, body);
  return r;
}

ExprId Grammar::empty() { return add(Expr{.kind = Expr::Kind::kEmpty}); }
ExprId Grammar::nothing() { return add(Expr{.kind = Expr::Kind::kNothing}); }

ExprId Grammar::bytes(const ByteSet& set) {
  if (set.empty()) return nothing();
  return add(Expr{.kind = Expr::Kind::kBytes, .bytes = set});
}

ExprId Grammar::literal(std::string_view text) {
  if (text.empty()) return empty();
  std::vector<ExprId> parts;
  parts.reserve(text.size());
  for (char c : text) parts.push_back(byte(uint8_t(c)));
  return sequence(std::move(parts));
}

ExprId Grammar::sequence(std::vector<ExprId> parts) {
  if (parts.empty()) return empty();
  if (parts.size() == 1) return parts[0];
  return add(Expr{.kind = Expr::Kind::kSequence, .children = std::move(parts)});
}

ExprId Grammar::choice(std::vector<ExprId> options) {
  if (options.empty()) return nothing();
  if (options.size() == 1) return options[0];
  return add(Expr{.kind = Expr::Kind::kChoice, .children = std::move(options)});
}

ExprId Grammar::repeat(ExprId body, int min, int max) {
  TURBINE_CHECK(min >= 0 && (max == kUnbounded || max >= min), "repeat bounds {}..{}", min, max);
  if (max == 0) return empty();
  if (min == 1 && max == 1) return body;
  return add(Expr{.kind = Expr::Kind::kRepeat, .children = {body}, .min = min, .max = max});
}

ExprId Grammar::ref(RuleId rule) { return add(Expr{.kind = Expr::Kind::kRule, .rule = rule}); }

namespace {

constexpr uint32_t kMaxCodepoint = 0x10FFFF;

int utf8_encode(uint32_t cp, uint8_t* out) {
  if (cp < 0x80) { out[0] = uint8_t(cp); return 1; }
  if (cp < 0x800) { out[0] = uint8_t(0xC0 | (cp >> 6)); out[1] = uint8_t(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    out[0] = uint8_t(0xE0 | (cp >> 12)); out[1] = uint8_t(0x80 | ((cp >> 6) & 0x3F)); out[2] = uint8_t(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = uint8_t(0xF0 | (cp >> 18)); out[1] = uint8_t(0x80 | ((cp >> 12) & 0x3F));
  out[2] = uint8_t(0x80 | ((cp >> 6) & 0x3F)); out[3] = uint8_t(0x80 | (cp & 0x3F));
  return 4;
}

// Appends to `out` the byte-range sequences for code points [lo, hi], which all encode to the
// same number of bytes: the range is split until, in each piece, every byte position ranges
// independently (the utf8-ranges construction regex engines use).
void utf8_range(Grammar& g, uint32_t lo, uint32_t hi, std::vector<ExprId>& out) {
  uint8_t a[4], b[4];
  const int n = utf8_encode(lo, a);
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (uint32_t(1) << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        utf8_range(g, lo, lo | m, out);
        utf8_range(g, (lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        utf8_range(g, lo, (hi & ~m) - 1, out);
        utf8_range(g, hi & ~m, hi, out);
        return;
      }
    }
  }
  utf8_encode(hi, b);
  std::vector<ExprId> parts;
  for (int k = 0; k < n; ++k) parts.push_back(g.bytes(ByteSet::range(a[k], b[k])));
  out.push_back(g.sequence(std::move(parts)));
}

// Sorted, merged ranges clipped to valid scalar values (surrogates removed).
std::vector<CodepointRange> normalize(std::span<const CodepointRange> ranges) {
  std::vector<CodepointRange> in;
  for (auto [lo, hi] : ranges) {
    if (lo > hi || lo > kMaxCodepoint) continue;
    hi = std::min(hi, kMaxCodepoint);
    // Cut out surrogates.
    if (lo <= 0xDFFF && hi >= 0xD800) {
      if (lo < 0xD800) in.push_back({lo, 0xD7FF});
      if (hi > 0xDFFF) in.push_back({0xE000, hi});
    } else {
      in.push_back({lo, hi});
    }
  }
  std::sort(in.begin(), in.end());
  std::vector<CodepointRange> out;
  for (auto r : in) {
    if (!out.empty() && r.first <= out.back().second + 1) out.back().second = std::max(out.back().second, r.second);
    else out.push_back(r);
  }
  return out;
}

}  // namespace

ExprId Grammar::codepoints(std::span<const CodepointRange> ranges) {
  static constexpr uint32_t kLimits[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  std::vector<ExprId> options;
  for (auto [lo, hi] : normalize(ranges)) {
    uint32_t start = lo;
    for (int len = 1; len <= 4 && start <= hi; ++len) {
      if (start > kLimits[len - 1]) continue;
      const uint32_t end = std::min(hi, kLimits[len - 1]);
      utf8_range(*this, start, end, options);
      start = end + 1;
    }
  }
  return choice(std::move(options));
}

ExprId Grammar::any_codepoint() {
  const CodepointRange all{0, kMaxCodepoint};
  return codepoints(std::span<const CodepointRange>(&all, 1));
}

ExprId Grammar::codepoints_except(std::span<const CodepointRange> ranges) {
  std::vector<CodepointRange> excluded = normalize(ranges);
  std::vector<CodepointRange> keep;
  uint32_t next = 0;
  for (auto [lo, hi] : excluded) {
    if (lo > next) keep.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= kMaxCodepoint) keep.push_back({next, kMaxCodepoint});
  return codepoints(keep);
}

void Grammar::validate() const {
  if (root_ < 0 || size_t(root_) >= rules_.size()) fail("grammar: no root rule");
  for (const Rule& r : rules_)
    if (r.body < 0 || size_t(r.body) >= exprs_.size()) fail("grammar: rule '{}' is used but never defined", r.name);
  for (const Expr& e : exprs_) {
    for (ExprId c : e.children)
      TURBINE_CHECK(c >= 0 && size_t(c) < exprs_.size(), "expression child {} out of range", c);
    if (e.kind == Expr::Kind::kRule)
      TURBINE_CHECK(e.rule >= 0 && size_t(e.rule) < rules_.size(), "rule reference {} out of range", e.rule);
  }
}

namespace {

std::string byte_set_text(const ByteSet& s) {
  auto show = [](int b) {
    if (b >= 0x21 && b < 0x7F && b != '\\' && b != ']' && b != '-' && b != '^') return std::string(1, char(b));
    return fmt::format("\\x{:02X}", b);
  };
  if (s.count() == 1)
    for (int b = 0; b < 256; ++b)
      if (s.contains(uint8_t(b))) return fmt::format("[{}]", show(b));
  std::string out = "[";
  for (int b = 0; b < 256;) {
    if (!s.contains(uint8_t(b))) { ++b; continue; }
    int e = b;
    while (e + 1 < 256 && s.contains(uint8_t(e + 1))) ++e;
    out += show(b);
    if (e > b) out += fmt::format("-{}", show(e));
    b = e + 1;
  }
  return out + "]";
}

}  // namespace

std::string Grammar::to_string() const {
  std::string out;
  auto text = [&](auto&& self, ExprId id) -> std::string {
    const Expr& e = exprs_[size_t(id)];
    switch (e.kind) {
      case Expr::Kind::kEmpty: return "\"\"";
      case Expr::Kind::kNothing: return "<nothing>";
      case Expr::Kind::kBytes: return byte_set_text(e.bytes);
      case Expr::Kind::kRule: return fmt::format("r{}_{}", e.rule, rules_[size_t(e.rule)].name);
      case Expr::Kind::kRepeat: {
        const std::string body = fmt::format("({})", self(self, e.children[0]));
        if (e.max == kUnbounded) return body + fmt::format("{{{},}}", e.min);
        return body + fmt::format("{{{},{}}}", e.min, e.max);
      }
      case Expr::Kind::kSequence:
      case Expr::Kind::kChoice: {
        std::string s = "(";
        for (size_t i = 0; i < e.children.size(); ++i) {
          if (i) s += e.kind == Expr::Kind::kChoice ? " | " : " ";
          s += self(self, e.children[i]);
        }
        return s + ")";
      }
    }
    return "?";
  };
  for (size_t r = 0; r < rules_.size(); ++r)
    out += fmt::format("{}r{}_{} ::= {}\n", RuleId(r) == root_ ? "*" : "", r, rules_[r].name,
                       rules_[r].body >= 0 ? text(text, rules_[r].body) : "<undefined>");
  return out;
}

}  // namespace turbine::structured
