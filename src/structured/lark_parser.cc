// Lark grammars as vLLM's Lark-speaking backends take them, the subset ebnf_to_grammar.h lists:
//  - `rule: expansions` (lowercase, optionally `?rule` / `!rule` / `_rule`, which only shape
//    Lark's tree) and `TERMINAL: expansions` (uppercase), an optional priority `name.N` (ignored:
//    it decides between lexer matches, not the language); a definition ends at a newline unless
//    the next line starts with `|`, or the newline is inside ( ) or [ ];
//  - alternatives `|` (an alias `-> name` after one is ignored), grouping ( ), [optional],
//    the postfix operators ? * + and `~ n` / `~ n..m`, "strings" and "strings"i, ranges "a".."z",
//    /regex/ terminals (no flags), references to rules and terminals; comments `//`;
//  - %import common.NAME [-> ALIAS] and %import common (A, B, ...), %ignore expansions.
// Rules see the input as tokens: a terminal (named or an anonymous string) inside a rule may be
// preceded by any run of the %ignore'd terminals, and so may the end of the input, wherever the
// %ignore appears in the file (as in Lark). Inside terminal definitions nothing is ignored.
// Refused: templates name{...}, %declare / %override / %extend, imports other than common.*,
// regex flags, terminals that refer to rules or to themselves, left-recursive rules.
#include "structured/lark_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "common/error.h"
#include "structured/ebnf_names.h"
#include "structured/ebnf_source.h"
#include "structured/lark_common.h"
#include "structured/regex_to_grammar.h"

namespace turbine::structured::ebnf {
namespace {

enum class Tok {
  kName, kString, kRegex, kNumber, kDirective,
  kColon, kPipe, kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace,
  kOp, kBang, kTilde, kDotDot, kDot, kArrow, kComma, kNewline, kEnd,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t offset = 0;
  std::string text;              // name, number, directive, op; a regex's pattern
  std::vector<uint32_t> string;  // a string's code points
  bool nocase = false;           // "..."i
};

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kName: return fmt::format("name '{}'", t.text);
    case Tok::kString: return "a string";
    case Tok::kRegex: return "a regular expression";
    case Tok::kNumber: return fmt::format("number {}", t.text);
    case Tok::kDirective: return fmt::format("'%{}'", t.text);
    case Tok::kNewline: return "end of line";
    case Tok::kEnd: return "end of input";
    default: return fmt::format("'{}'", t.text);
  }
}

class Lexer {
 public:
  explicit Lexer(const SourceText& src) : src_(src), text_(src.text()) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_blanks();
      Token t;
      t.offset = pos_;
      if (pos_ >= text_.size()) {
        t.kind = Tok::kEnd;
        out.push_back(t);
        return out;
      }
      const char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        if (out.empty() || out.back().kind == Tok::kNewline) continue;
        t.kind = Tok::kNewline;
        t.text = "\\n";
      } else if (c == '"') {
        lex_string(t);
      } else if (c == '/') {
        lex_regex(t);
      } else if (is_name_start(c)) {
        t.kind = Tok::kName;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) t.text += text_[pos_++];
      } else if (is_digit(c) || (c == '-' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1]))) {
        t.kind = Tok::kNumber;
        t.text += text_[pos_++];
        while (pos_ < text_.size() && is_digit(text_[pos_])) t.text += text_[pos_++];
      } else if (c == '%') {
        ++pos_;
        t.kind = Tok::kDirective;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) t.text += text_[pos_++];
        if (t.text.empty()) src_.fail_at(t.offset, "expected a directive name after '%'");
      } else if (text_.substr(pos_, 2) == "->") {
        pos_ += 2;
        t.kind = Tok::kArrow;
        t.text = "->";
      } else if (text_.substr(pos_, 2) == "..") {
        pos_ += 2;
        t.kind = Tok::kDotDot;
        t.text = "..";
      } else {
        static constexpr std::pair<char, Tok> kPunct[] = {
            {':', Tok::kColon},    {'|', Tok::kPipe},     {'(', Tok::kLParen}, {')', Tok::kRParen},
            {'[', Tok::kLBracket}, {']', Tok::kRBracket}, {'{', Tok::kLBrace}, {'}', Tok::kRBrace},
            {'?', Tok::kOp},       {'*', Tok::kOp},       {'+', Tok::kOp},     {'!', Tok::kBang},
            {'~', Tok::kTilde},    {'.', Tok::kDot},      {',', Tok::kComma}};
        bool found = false;
        for (auto [ch, kind] : kPunct)
          if (ch == c) {
            t.kind = kind;
            t.text = std::string(1, c);
            found = true;
          }
        if (!found) {
          if (uint8_t(c) >= 0x20 && uint8_t(c) < 0x7F)
            src_.fail_at(pos_, fmt::format("unexpected character '{}'", c));
          src_.fail_at(pos_, fmt::format("unexpected byte 0x{:02X}", uint8_t(c)));
        }
        ++pos_;
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_blanks() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "//") {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  uint32_t hex(int digits, size_t start) { return src_.hex_escape(pos_, digits, start); }

  // "..." with Python's string escapes, then an optional i flag.
  void lex_string(Token& t) {
    t.kind = Tok::kString;
    const size_t start = pos_++;
    for (;;) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') src_.fail_at(start, "unterminated string");
      const char c = text_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        const size_t esc = pos_;
        if (pos_ + 1 >= text_.size()) src_.fail_at(start, "unterminated string");
        const char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
          case 'n': t.string.push_back('\n'); break;
          case 't': t.string.push_back('\t'); break;
          case 'r': t.string.push_back('\r'); break;
          case 'f': t.string.push_back('\f'); break;
          case 'v': t.string.push_back('\v'); break;
          case 'a': t.string.push_back('\a'); break;
          case 'b': t.string.push_back('\b'); break;
          case '0': t.string.push_back(0); break;
          case '\\': case '"': case '\'': t.string.push_back(uint32_t(e)); break;
          case 'x': t.string.push_back(hex(2, esc)); break;
          case 'u': t.string.push_back(hex(4, esc)); break;
          case 'U': t.string.push_back(hex(8, esc)); break;
          default:
            src_.fail_at(esc, fmt::format("unknown escape '\\{}' in a string (known: \\n \\t \\r \\f \\v \\a \\b \\0 "
                                          "\\\\ \\\" \\' \\x \\u \\U)",
                                          std::string(1, e)));
        }
        continue;
      }
      uint32_t cp = 0;
      if (!decode_utf8(text_, pos_, cp)) src_.fail_at(pos_, "invalid UTF-8");
      t.string.push_back(cp);
    }
    ++pos_;
    if (pos_ < text_.size() && text_[pos_] == 'i' && !(pos_ + 1 < text_.size() && is_name_char(text_[pos_ + 1]))) {
      t.nocase = true;
      ++pos_;
    }
  }

  // /pattern/flags: the pattern as written (escapes are the regex's business), no flags.
  void lex_regex(Token& t) {
    t.kind = Tok::kRegex;
    const size_t start = pos_++;
    for (;;) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') src_.fail_at(start, "unterminated regular expression");
      const char c = text_[pos_];
      if (c == '/') break;
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') t.text += text_[pos_++];
      t.text += text_[pos_++];
    }
    ++pos_;
    const size_t flags = pos_;
    while (pos_ < text_.size() && std::string_view("imslux").find(text_[pos_]) != std::string_view::npos) ++pos_;
    if (pos_ > flags)
      src_.fail_at(flags, fmt::format("regular expression flags ('{}') are not supported", text_.substr(flags, pos_ - flags)));
  }

  const SourceText& src_;
  std::string_view text_;
  size_t pos_ = 0;
};

// The parsed form of an expansion, lowered once every definition and %ignore is known.
struct Node {
  enum class Kind { kSequence, kChoice, kRepeat, kLiteral, kRange, kRegex, kRef };
  Kind kind = Kind::kSequence;
  size_t offset = 0;
  std::vector<Node> children;
  int min = 0, max = 0;          // kRepeat
  std::vector<uint32_t> string;  // kLiteral
  bool nocase = false;           // kLiteral
  uint32_t lo = 0, hi = 0;       // kRange
  std::string text;              // kRegex pattern, kRef name
};

bool is_terminal_name(std::string_view name) {
  const size_t i = name.find_first_not_of('_');
  return i != std::string_view::npos && name[i] >= 'A' && name[i] <= 'Z';
}

class LarkParser {
 public:
  LarkParser(std::string_view text, const EbnfOptions& options)
      : src_(text), options_(options), rules_(grammar_, src_, "rule"), terminals_(grammar_, src_, "terminal") {}

  Grammar parse() {
    tokens_ = Lexer(src_).run();
    for (;;) {
      while (peek().kind == Tok::kNewline) ++at_;
      if (peek().kind == Tok::kEnd) break;
      if (peek().kind == Tok::kDirective) parse_directive();
      else parse_definition();
      end_of_statement();
    }
    if (definitions_.empty() && imported_.empty()) src_.fail_at(src_.size(), "empty grammar (no rules)");
    check_terminal_cycles();

    if (!ignores_.empty()) {
      ignore_rule_ = grammar_.declare_rule("%ignore");
      std::vector<ExprId> options;
      for (const Node& n : ignores_) options.push_back(lower(n, true, "%ignore"));
      grammar_.define_rule(ignore_rule_, grammar_.star(grammar_.choice(std::move(options))));
    }
    for (const Definition& d : definitions_) grammar_.define_rule(d.rule, lower(d.body, d.terminal, d.name));
    rules_.check_all_defined();
    terminals_.check_all_defined();

    const std::string root = options_.root_rule.empty() ? "start" : options_.root_rule;
    RuleId root_rule = -1;
    if (rules_.defined(root)) root_rule = rules_.find(root);
    else if (terminals_.defined(root)) root_rule = terminals_.find(root);
    else src_.fail_at(src_.size(), fmt::format("no root rule: rule '{}' is not defined", root));
    if (ignore_rule_ >= 0 && !is_terminal_name(root))
      root_rule = grammar_.add_rule(root, grammar_.sequence({grammar_.ref(root_rule), grammar_.ref(ignore_rule_)}));
    grammar_.set_root(root_rule);
    rules_.check_no_left_recursion("x: x \"+\" y | y is x: y (\"+\" y)*");
    grammar_.validate();
    return std::move(grammar_);
  }

 private:
  struct Definition {
    std::string name;
    bool terminal = false;
    RuleId rule = -1;
    Node body;
  };

  // ---- Tokens. Inside ( ) and [ ] (depth > 0) newlines are insignificant.
  const Token& peek(int depth = 0) {
    if (depth > 0)
      while (tokens_[at_].kind == Tok::kNewline) ++at_;
    return tokens_[at_];
  }
  const Token& next(int depth = 0) {
    const Token& t = peek(depth);
    if (t.kind != Tok::kEnd) ++at_;
    return t;
  }
  [[noreturn]] void unexpected(const Token& t, const std::string& expected) {
    src_.fail_at(t.offset, fmt::format("expected {}, found {}", expected, describe(t)));
  }
  const Token& expect(Tok kind, const std::string& what, int depth = 0) {
    const Token& t = peek(depth);
    if (t.kind != kind) unexpected(t, what);
    return next(depth);
  }
  void end_of_statement() {
    const Token& t = peek();
    if (t.kind != Tok::kNewline && t.kind != Tok::kEnd) unexpected(t, "the end of the line");
  }

  // ---- Statements.
  void parse_definition() {
    const size_t start = peek().offset;
    bool modifier = false;
    if ((peek().kind == Tok::kOp && peek().text == "?") || peek().kind == Tok::kBang) {
      next();
      modifier = true;
    }
    const Token& name_tok = expect(Tok::kName, "a rule or terminal definition");
    const std::string name = name_tok.text;
    const bool terminal = is_terminal_name(name);
    if (std::any_of(name.begin(), name.end(), [&](char c) { return terminal ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'); }))
      src_.fail_at(name_tok.offset, fmt::format("name '{}' mixes cases: rules are lowercase, terminals uppercase", name));
    if (modifier && terminal) src_.fail_at(start, fmt::format("'?' and '!' apply to rules, not to terminal '{}'", name));
    if (peek().kind == Tok::kDot) {  // priority
      next();
      expect(Tok::kNumber, "a priority number after '.'");
    }
    if (peek().kind == Tok::kLBrace) src_.fail_at(peek().offset, fmt::format("templates ({}{{...}}) are not supported", name));
    expect(Tok::kColon, fmt::format("':' after '{}'", name));
    Definition d;
    d.name = name;
    d.terminal = terminal;
    d.rule = (terminal ? terminals_ : rules_).define(name, name_tok.offset);
    d.body = parse_expansions(0);
    definitions_.push_back(std::move(d));
  }

  void parse_directive() {
    const Token& d = next();
    if (d.text == "import") return parse_import(d);
    if (d.text == "ignore") {
      ignores_.push_back(parse_expansions(0));
      return;
    }
    src_.fail_at(d.offset, fmt::format("%{} is not supported (only %import common.* and %ignore are)", d.text));
  }

  void parse_import(const Token& directive) {
    if (peek().kind != Tok::kName) unexpected(peek(), "a module name after %import (only common.* is supported)");
    std::vector<const Token*> path{&next()};
    while (peek().kind == Tok::kDot) {
      next();
      path.push_back(&expect(Tok::kName, "a name after '.'"));
    }
    std::vector<std::pair<const Token*, std::string>> names;  // imported name, defined as
    if (peek().kind == Tok::kLParen) {
      next();
      for (;;) {
        const Token& n = expect(Tok::kName, "a name to import", 1);
        names.emplace_back(&n, n.text);
        if (peek(1).kind == Tok::kComma) {
          next(1);
          continue;
        }
        expect(Tok::kRParen, "',' or ')'", 1);
        break;
      }
    } else {
      if (path.size() < 2) unexpected(peek(), "'.NAME' or '(NAMES)' after the module name");
      const Token* n = path.back();
      path.pop_back();
      std::string alias = n->text;
      if (peek().kind == Tok::kArrow) {
        next();
        alias = expect(Tok::kName, "a name after '->'").text;
      }
      names.emplace_back(n, alias);
    }
    std::string module;
    for (const Token* p : path) module += (module.empty() ? "" : ".") + p->text;
    if (module != "common")
      src_.fail_at(path.front()->offset, fmt::format("%import from '{}' is not supported (only common.* is)", module));
    (void)directive;
    for (const auto& [tok, alias] : names) {
      if (!is_terminal_name(tok->text))
        src_.fail_at(tok->offset, fmt::format("common.{} is not a terminal this supports ({})", tok->text, common_terminal_names()));
      if (!is_terminal_name(alias))
        src_.fail_at(tok->offset, fmt::format("a terminal cannot be imported as '{}' (terminal names are uppercase)", alias));
      const ExprId body = common_terminal(grammar_, tok->text);
      if (body < 0)
        src_.fail_at(tok->offset, fmt::format("common.{} is not a terminal this supports ({})", tok->text, common_terminal_names()));
      grammar_.define_rule(terminals_.define(alias, tok->offset), body);
      imported_.push_back(alias);
    }
  }

  // ---- Expansions.
  Node parse_expansions(int depth) {
    Node choice{.kind = Node::Kind::kChoice, .offset = peek(depth).offset};
    choice.children.push_back(parse_alias(depth));
    for (;;) {
      if (peek(depth).kind == Tok::kPipe) {
        next(depth);
      } else if (depth == 0 && peek().kind == Tok::kNewline && tokens_[at_ + 1].kind == Tok::kPipe) {
        at_ += 2;
      } else {
        break;
      }
      choice.children.push_back(parse_alias(depth));
    }
    if (choice.children.size() == 1) return std::move(choice.children[0]);
    return choice;
  }

  Node parse_alias(int depth) {
    Node seq{.kind = Node::Kind::kSequence, .offset = peek(depth).offset};
    for (;;) {
      const Tok k = peek(depth).kind;
      if (k != Tok::kName && k != Tok::kString && k != Tok::kRegex && k != Tok::kLParen && k != Tok::kLBracket) break;
      seq.children.push_back(parse_expr(depth));
    }
    if (peek(depth).kind == Tok::kArrow) {  // alias: names the tree node only
      next(depth);
      expect(Tok::kName, "a name after '->'", depth);
    }
    if (seq.children.size() == 1) return std::move(seq.children[0]);
    return seq;
  }

  Node parse_expr(int depth) {
    Node atom = parse_atom(depth);
    const Token& t = peek(depth);
    if (t.kind == Tok::kOp) {
      next(depth);
      Node r{.kind = Node::Kind::kRepeat, .offset = t.offset};
      r.min = t.text == "+" ? 1 : 0;
      r.max = t.text == "?" ? 1 : kUnbounded;
      r.children.push_back(std::move(atom));
      return r;
    }
    if (t.kind == Tok::kTilde) {
      const size_t offset = t.offset;
      next(depth);
      const int min = count(depth);
      int max = min;
      if (peek(depth).kind == Tok::kDotDot) {
        next(depth);
        max = count(depth);
      }
      if (max < min) src_.fail_at(offset, fmt::format("repetition ~ {}..{} has its maximum below its minimum", min, max));
      Node r{.kind = Node::Kind::kRepeat, .offset = offset, .min = min, .max = max};
      r.children.push_back(std::move(atom));
      return r;
    }
    return atom;
  }

  int count(int depth) {
    const Token& t = expect(Tok::kNumber, "a repetition count", depth);
    if (t.text[0] == '-') src_.fail_at(t.offset, "a repetition count cannot be negative");
    if (t.text.size() > 9 || std::stoll(t.text) > kMaxRepeat)
      src_.fail_at(t.offset, fmt::format("repetition count {} is above the limit of {}", t.text, kMaxRepeat));
    return std::stoi(t.text);
  }

  Node parse_atom(int depth) {
    const Token& t = next(depth);
    switch (t.kind) {
      case Tok::kLParen: {
        Node inner = parse_expansions(depth + 1);
        expect(Tok::kRParen, fmt::format("')' to close the '(' at {}", src_.where(t.offset)), depth + 1);
        return inner;
      }
      case Tok::kLBracket: {
        Node r{.kind = Node::Kind::kRepeat, .offset = t.offset, .min = 0, .max = 1};
        r.children.push_back(parse_expansions(depth + 1));
        expect(Tok::kRBracket, fmt::format("']' to close the '[' at {}", src_.where(t.offset)), depth + 1);
        return r;
      }
      case Tok::kString: {
        if (peek(depth).kind != Tok::kDotDot) {
          return Node{.kind = Node::Kind::kLiteral, .offset = t.offset, .string = t.string, .nocase = t.nocase};
        }
        next(depth);
        const Token& hi = expect(Tok::kString, "a string after '..'", depth);
        if (t.string.size() != 1 || hi.string.size() != 1 || t.nocase || hi.nocase)
          src_.fail_at(t.offset, "a range \"a\"..\"z\" needs one character on each side");
        if (hi.string[0] < t.string[0]) src_.fail_at(t.offset, "range is reversed");
        return Node{.kind = Node::Kind::kRange, .offset = t.offset, .lo = t.string[0], .hi = hi.string[0]};
      }
      case Tok::kRegex: return Node{.kind = Node::Kind::kRegex, .offset = t.offset, .text = t.text};
      case Tok::kName:
        if (peek(depth).kind == Tok::kLBrace)
          src_.fail_at(peek(depth).offset, fmt::format("templates ({}{{...}}) are not supported", t.text));
        return Node{.kind = Node::Kind::kRef, .offset = t.offset, .text = t.text};
      default: unexpected(t, "a rule, terminal, string, regular expression, '(' or '['");
    }
  }

  // ---- Lowering.
  ExprId lower(const Node& n, bool in_terminal, const std::string& owner) {
    switch (n.kind) {
      case Node::Kind::kSequence:
      case Node::Kind::kChoice: {
        std::vector<ExprId> parts;
        for (const Node& c : n.children) parts.push_back(lower(c, in_terminal, owner));
        return n.kind == Node::Kind::kSequence ? grammar_.sequence(std::move(parts)) : grammar_.choice(std::move(parts));
      }
      case Node::Kind::kRepeat: return grammar_.repeat(lower(n.children[0], in_terminal, owner), n.min, n.max);
      case Node::Kind::kLiteral: return token(literal(n), in_terminal);
      case Node::Kind::kRange: {
        const CodepointRange r{n.lo, n.hi};
        return token(grammar_.codepoints(std::span<const CodepointRange>(&r, 1)), in_terminal);
      }
      case Node::Kind::kRegex: return token(regex(n), in_terminal);
      case Node::Kind::kRef:
        if (is_terminal_name(n.text)) return token(grammar_.ref(terminals_.use(n.text, n.offset)), in_terminal);
        if (in_terminal)
          src_.fail_at(n.offset, fmt::format("terminal '{}' refers to rule '{}' (terminals can only use terminals)", owner, n.text));
        return grammar_.ref(rules_.use(n.text, n.offset));
    }
    return grammar_.nothing();
  }

  // /pattern/ through the regex front end; its "regex: <what> at offset N" becomes a grammar
  // error at the same place in the source (the pattern is passed exactly as written).
  ExprId regex(const Node& n) {
    try {
      return add_regex(grammar_, n.text);
    } catch (const Error& e) {
      std::string what = e.what();
      if (what.rfind("regex: ", 0) == 0) what = what.substr(7);
      size_t at = n.offset;
      static constexpr std::string_view kAt = " at offset ";
      if (const size_t k = what.rfind(kAt); k != std::string::npos) {
        const std::string digits = what.substr(k + kAt.size());
        if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 9) {
          at = n.offset + 1 + std::min<size_t>(std::stoul(digits), n.text.size());
          what.resize(k);
        }
      }
      src_.fail_at(at, fmt::format("in regular expression /{}/: {}", n.text, what));
    }
  }

  // A terminal as a rule sees it: the ignored terminals may come before it.
  ExprId token(ExprId e, bool in_terminal) {
    if (in_terminal || ignore_rule_ < 0) return e;
    return grammar_.sequence({grammar_.ref(ignore_rule_), e});
  }

  ExprId literal(const Node& n) {
    std::vector<ExprId> parts;
    std::string bytes;
    for (uint32_t cp : n.string) {
      const bool letter = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
      if (n.nocase && cp >= 0x80)
        src_.fail_at(n.offset, "case-insensitive strings with non-ASCII characters are not supported");
      if (n.nocase && letter) {
        if (!bytes.empty()) parts.push_back(grammar_.literal(bytes));
        bytes.clear();
        ByteSet s = ByteSet::of(uint8_t(cp | 0x20));
        s.add(uint8_t(cp & ~0x20u));
        parts.push_back(grammar_.bytes(s));
      } else {
        append_utf8(bytes, cp);
      }
    }
    if (!bytes.empty()) parts.push_back(grammar_.literal(bytes));
    return grammar_.sequence(std::move(parts));
  }

  // Lark refuses recursive terminals (they would not be regular); so does this.
  void check_terminal_cycles() {
    std::map<std::string, const Definition*> by_name;
    for (const Definition& d : definitions_)
      if (d.terminal) by_name[d.name] = &d;
    std::map<std::string, int> state;  // 1 visiting, 2 done
    std::vector<std::string> path;
    auto refs = [](const Node& n, auto&& self, std::vector<std::string>& out) -> void {
      if (n.kind == Node::Kind::kRef) out.push_back(n.text);
      for (const Node& c : n.children) self(c, self, out);
    };
    auto visit = [&](const std::string& name, auto&& self) -> void {
      auto it = by_name.find(name);
      if (it == by_name.end() || state[name] == 2) return;
      if (state[name] == 1) {
        std::string cycle;
        for (auto p = std::find(path.begin(), path.end(), name); p != path.end(); ++p) cycle += *p + " -> ";
        const Definition& d = *by_name[name];
        src_.fail_at(terminals_.definition_offset(d.name),
                     fmt::format("terminal '{}' is recursive ({}{}); terminals must be regular, use a rule", name, cycle, name));
      }
      state[name] = 1;
      path.push_back(name);
      std::vector<std::string> out;
      refs(it->second->body, refs, out);
      for (const std::string& r : out)
        if (is_terminal_name(r)) self(r, self);
      path.pop_back();
      state[name] = 2;
    };
    for (const Definition& d : definitions_)
      if (d.terminal) visit(d.name, visit);
  }

  SourceText src_;
  EbnfOptions options_;
  Grammar grammar_;
  RuleNames rules_;
  RuleNames terminals_;
  std::vector<Token> tokens_;
  size_t at_ = 0;
  std::vector<Definition> definitions_;
  std::vector<std::string> imported_;
  std::vector<Node> ignores_;
  RuleId ignore_rule_ = -1;
};

}  // namespace

Grammar parse_lark(std::string_view text, const EbnfOptions& options) { return LarkParser(text, options).parse(); }

}  // namespace turbine::structured::ebnf
