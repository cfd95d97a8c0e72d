// Grammar: the one intermediate form every structured-output constraint compiles to.
//
// A context-free grammar over BYTES (UTF-8 is spelled out as byte sequences): a set of named
// rules, each with a body that is an expression tree of byte sets, sequences, choices, bounded or
// unbounded repetition and references to rules (recursion allowed, left recursion refused by
// the compiler). The front ends (regex_to_grammar, json_schema_to_grammar, ebnf_to_grammar,
// choice lists) build one; compiled_grammar turns it into per-rule automata and token tables.
//
// Expressions are hash-free plain nodes in one vector (ExprId indexes it) so that a front end
// can share a sub-expression between places; a rule is how a front end names a sub-grammar it
// wants compiled once (JSON Schema's $defs, an EBNF rule, a recursive value).
//
// Sizes: repetition with a bound is expanded by the compiler (x{3,5} becomes x x x x? x?), so a
// front end should turn huge bounds into a rule of its own or refuse them; the compiler refuses
// a grammar past its state budget with an Error that says so.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine::structured {

// A set of byte values.
class ByteSet {
 public:
  static ByteSet of(uint8_t b) { ByteSet s; s.add(b); return s; }
  static ByteSet range(uint8_t lo, uint8_t hi) { ByteSet s; s.add_range(lo, hi); return s; }
  static ByteSet all() { ByteSet s; s.words_.fill(~uint64_t(0)); return s; }

  void add(uint8_t b) { words_[b >> 6] |= uint64_t(1) << (b & 63); }
  void add_range(uint8_t lo, uint8_t hi) { for (int b = lo; b <= hi; ++b) add(uint8_t(b)); }
  bool contains(uint8_t b) const { return (words_[b >> 6] >> (b & 63)) & 1; }
  bool empty() const { return (words_[0] | words_[1] | words_[2] | words_[3]) == 0; }
  int count() const;
  ByteSet& operator|=(const ByteSet& o) { for (int i = 0; i < 4; ++i) words_[i] |= o.words_[i]; return *this; }
  ByteSet& operator&=(const ByteSet& o) { for (int i = 0; i < 4; ++i) words_[i] &= o.words_[i]; return *this; }
  ByteSet complement() const { ByteSet s; for (int i = 0; i < 4; ++i) s.words_[i] = ~words_[i]; return s; }
  bool operator==(const ByteSet& o) const = default;
  const std::array<uint64_t, 4>& words() const { return words_; }

 private:
  std::array<uint64_t, 4> words_{};
};

using ExprId = int32_t;
using RuleId = int32_t;

// Unbounded repetition's max.
inline constexpr int kUnbounded = -1;

struct Expr {
  enum class Kind : uint8_t {
    kEmpty,     // matches the empty string
    kNothing,   // matches nothing (an empty choice, an unsatisfiable schema)
    kBytes,     // one byte from `bytes` (never empty: use kNothing)
    kSequence,  // children in order
    kChoice,    // any one child
    kRepeat,    // children[0] repeated min..max times (max == kUnbounded: no limit)
    kRule,      // the body of rule `rule`
  };
  Kind kind = Kind::kEmpty;
  ByteSet bytes;
  std::vector<ExprId> children;
  int min = 0;
  int max = 0;
  RuleId rule = -1;
};

// Inclusive Unicode code point range.
using CodepointRange = std::pair<uint32_t, uint32_t>;

class Grammar {
 public:
  // ---- Rules. Names are for error messages and debugging; they need not be unique.
  RuleId declare_rule(std::string name);              // body defined later (for recursion)
  void define_rule(RuleId rule, ExprId body);         // once per rule
  RuleId add_rule(std::string name, ExprId body);     // declare + define
  void set_root(RuleId rule) { root_ = rule; }

  // ---- Expressions. Each call appends a node (no deduplication) and returns its id.
  ExprId empty();
  ExprId nothing();
  ExprId bytes(const ByteSet& set);                   // an empty set gives nothing()
  ExprId byte(uint8_t b) { return bytes(ByteSet::of(b)); }
  ExprId literal(std::string_view text);              // its bytes in sequence; "" gives empty()
  ExprId sequence(std::vector<ExprId> parts);         // one part: that part; none: empty()
  ExprId choice(std::vector<ExprId> options);         // one option: that option; none: nothing()
  ExprId repeat(ExprId body, int min, int max);       // 0 <= min, max == kUnbounded or max >= min
  ExprId optional(ExprId body) { return repeat(body, 0, 1); }
  ExprId star(ExprId body) { return repeat(body, 0, kUnbounded); }
  ExprId plus(ExprId body) { return repeat(body, 1, kUnbounded); }
  ExprId ref(RuleId rule);

  // One UTF-8 encoded code point from the union of `ranges` (surrogates D800-DFFF and values
  // past 10FFFF are never produced: they are not UTF-8). Builds the byte-level alternation.
  ExprId codepoints(std::span<const CodepointRange> ranges);
  ExprId any_codepoint();                              // any valid UTF-8 scalar value
  // One code point NOT in `ranges` (complement within the valid scalar values).
  ExprId codepoints_except(std::span<const CodepointRange> ranges);

  // ---- Reading.
  RuleId root() const { return root_; }
  size_t num_rules() const { return rules_.size(); }
  const std::string& rule_name(RuleId rule) const { return rules_[size_t(rule)].name; }
  ExprId rule_body(RuleId rule) const { return rules_[size_t(rule)].body; }
  size_t num_exprs() const { return exprs_.size(); }
  const Expr& expr(ExprId id) const { return exprs_[size_t(id)]; }

  // Throws turbine::Error if the root is unset, a rule is declared but not defined, or an
  // expression refers to an id or rule that does not exist.
  void validate() const;

  // A readable dump (EBNF-like), for tests and error messages.
  std::string to_string() const;

 private:
  struct Rule {
    std::string name;
    ExprId body = -1;
  };
  ExprId add(Expr e);

  std::vector<Rule> rules_;
  std::vector<Expr> exprs_;
  RuleId root_ = -1;
};

}  // namespace turbine::structured
