#include "structured/json_number_ranges.h"

#include <string>
#include <vector>

#include "structured/json_grammar_common.h"

namespace turbine::structured::json_grammar {
namespace {

ExprId digit(Grammar& g) { return g.bytes(ByteSet::range('0', '9')); }
ExprId digits(Grammar& g, int n) { return g.repeat(digit(g), n, n); }

// Digit strings of the same length between x and y (x <= y digit-wise, both length L).
ExprId same_length(Grammar& g, const std::string& x, const std::string& y) {
  if (x.empty()) return g.empty();
  const size_t rest = x.size() - 1;
  const std::string xr = x.substr(1), yr = y.substr(1);
  if (x[0] == y[0]) return g.sequence({g.byte(uint8_t(x[0])), same_length(g, xr, yr)});
  const bool low_full = xr == std::string(rest, '0');
  const bool high_full = yr == std::string(rest, '9');
  std::vector<ExprId> options;
  if (!low_full) options.push_back(g.sequence({g.byte(uint8_t(x[0])), same_length(g, xr, std::string(rest, '9'))}));
  const char lo = low_full ? x[0] : char(x[0] + 1);
  const char hi = high_full ? y[0] : char(y[0] - 1);
  if (lo <= hi) options.push_back(g.sequence({g.bytes(ByteSet::range(uint8_t(lo), uint8_t(hi))), digits(g, int(rest))}));
  if (!high_full) options.push_back(g.sequence({g.byte(uint8_t(y[0])), same_length(g, std::string(rest, '0'), yr)}));
  return g.choice(std::move(options));
}

// Natural numbers a..b (b nullopt: unbounded) in decimal without leading zeros.
ExprId natural_range(Grammar& g, uint64_t a, std::optional<uint64_t> b) {
  if (b && a > *b) return g.nothing();
  const std::string as = std::to_string(a);
  const std::string bs = b ? std::to_string(*b) : std::string();
  const size_t la = as.size();
  const size_t lb = b ? bs.size() : la;
  std::vector<ExprId> options;
  for (size_t len = la; len <= lb; ++len) {
    std::string lo = as;
    if (len != la) { lo.assign(len, '0'); lo[0] = '1'; }
    const std::string hi = (b && len == lb) ? bs : std::string(len, '9');
    options.push_back(same_length(g, lo, hi));
  }
  if (!b)  // every longer number
    options.push_back(g.sequence({g.bytes(ByteSet::range('1', '9')), g.repeat(digit(g), int(la), kUnbounded)}));
  return g.choice(std::move(options));
}

uint64_t magnitude(int64_t v) { return v < 0 ? uint64_t(-(v + 1)) + 1 : uint64_t(v); }

// Non-negative x in [a, b] (each end inclusive or not), 0 <= a, b nullopt: unbounded.
ExprId nonnegative_interval(Grammar& g, uint64_t a, bool a_incl, std::optional<uint64_t> b, bool b_incl) {
  auto lit = [&](uint64_t v) { return g.literal(std::to_string(v)); };
  const ExprId frac_any = g.optional(g.sequence({g.byte('.'), g.plus(digit(g))}));
  const ExprId frac_zero = g.optional(g.sequence({g.byte('.'), g.plus(g.byte('0'))}));
  // A fraction > 0: \.[0-9]*[1-9][0-9]*
  const ExprId frac_pos = g.sequence({g.byte('.'), g.star(digit(g)), g.bytes(ByteSet::range('1', '9')), g.star(digit(g))});
  if (b && *b < a) return g.nothing();
  if (b && *b == a) return a_incl && b_incl ? g.sequence({lit(a), frac_zero}) : g.nothing();
  std::vector<ExprId> options;
  options.push_back(g.sequence({lit(a), a_incl ? frac_any : frac_pos}));
  if (!b || *b - a >= 2) options.push_back(g.sequence({natural_range(g, a + 1, b ? std::optional<uint64_t>(*b - 1) : std::nullopt), frac_any}));
  if (b && b_incl) options.push_back(g.sequence({lit(*b), frac_zero}));
  return g.choice(std::move(options));
}

}  // namespace

ExprId any_number(Grammar& g) {
  const ExprId integer = g.choice({g.byte('0'), g.sequence({g.bytes(ByteSet::range('1', '9')), g.star(digit(g))})});
  ByteSet e = ByteSet::of('e');
  e.add('E');
  ByteSet sign = ByteSet::of('+');
  sign.add('-');
  return g.sequence({g.optional(g.byte('-')), integer, g.optional(g.sequence({g.byte('.'), g.plus(digit(g))})),
                     g.optional(g.sequence({g.bytes(e), g.optional(g.bytes(sign)), g.plus(digit(g))}))});
}

ExprId integer_range(Grammar& g, std::optional<int64_t> lo, std::optional<int64_t> hi) {
  if (lo && hi && *lo > *hi) return g.nothing();
  std::vector<ExprId> options;
  if (!lo || *lo < 0) {  // negative part: "-" then magnitudes mlo..mhi
    const uint64_t mlo = (hi && *hi < 0) ? magnitude(*hi) : 1;
    std::optional<uint64_t> mhi;
    if (lo) mhi.emplace(magnitude(*lo));
    options.push_back(seq(g, {g.byte('-'), natural_range(g, mlo, mhi)}));
  }
  if (!hi || *hi >= 0)
    options.push_back(natural_range(g, lo && *lo > 0 ? uint64_t(*lo) : 0, hi ? std::optional<uint64_t>(uint64_t(*hi)) : std::nullopt));
  return alt(g, std::move(options));
}

ExprId number_range(Grammar& g, std::optional<Bound> lo, std::optional<Bound> hi) {
  std::vector<ExprId> options;
  // x < 0: "-" y with y > 0 and -hi <= y <= -lo.
  if (!lo || lo->value < 0) {
    uint64_t ya = 0;
    bool ya_incl = false;
    if (hi && hi->value < 0) { ya = magnitude(hi->value); ya_incl = hi->inclusive; }
    std::optional<uint64_t> yb;
    bool yb_incl = true;
    if (lo) { yb = magnitude(lo->value); yb_incl = lo->inclusive; }
    options.push_back(seq(g, {g.byte('-'), nonnegative_interval(g, ya, ya_incl, yb, yb_incl)}));
  }
  // x >= 0.
  if (!hi || hi->value > 0 || (hi->value == 0 && hi->inclusive)) {
    uint64_t xa = 0;
    bool xa_incl = true;
    if (lo && lo->value >= 0) { xa = uint64_t(lo->value); xa_incl = lo->inclusive; }
    std::optional<uint64_t> xb;
    bool xb_incl = true;
    if (hi) { xb = uint64_t(hi->value); xb_incl = hi->inclusive; }
    options.push_back(nonnegative_interval(g, xa, xa_incl, xb, xb_incl));
  }
  return alt(g, std::move(options));
}

}  // namespace turbine::structured::json_grammar
