#include "tokenizer/chat_template/parser.h"

#include <algorithm>
#include <initializer_list>

#include "common/error.h"
#include "tokenizer/chat_template/filters.h"
#include "tokenizer/chat_template/jinja_tests.h"

namespace turbine::chat_template {
namespace {

std::string describe(const Token& token) {
  switch (token.type) {
    case TokenType::kText: return "template text";
    case TokenType::kBlockBegin: return "'{%'";
    case TokenType::kBlockEnd: return "'%}'";
    case TokenType::kVariableBegin: return "'{{'";
    case TokenType::kVariableEnd: return "'}}'";
    case TokenType::kName: return "'" + token.value + "'";
    case TokenType::kString: return "a string";
    case TokenType::kInteger: return "an integer";
    case TokenType::kFloat: return "a float";
    case TokenType::kOperator: return "'" + token.value + "'";
    case TokenType::kEnd: return "end of template";
  }
  return "?";
}

// Nesting of expressions and blocks, bounded so hostile input cannot overflow the native stack;
// real chat templates nest a handful of levels.
constexpr int kMaxNesting = 200;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Program parse_program() {
    Program program;
    parse_body(program.body, {}, "", {});
    return program;
  }

 private:
  using Names = std::initializer_list<std::string_view>;

  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() {
    const Token& token = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return token;
  }
  bool is_op(std::string_view op, std::size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.type == TokenType::kOperator && t.value == op;
  }
  bool is_name(std::string_view name, std::size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.type == TokenType::kName && t.value == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  template <typename... Args>
  [[noreturn]] void fail_at(Location loc, fmt::format_string<Args...> format, Args&&... args) const {
    fail("chat template syntax error at line {}, column {}: {}", loc.line, loc.column,
         fmt::format(format, std::forward<Args>(args)...));
  }
  [[noreturn]] void fail_unexpected(std::string_view expected) const {
    fail_at(peek().location, "expected {}, got {}", expected, describe(peek()));
  }

  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail_unexpected(fmt::format("'{}'", op));
  }
  std::string expect_name() {
    if (peek().type != TokenType::kName) fail_unexpected("a name");
    return next().value;
  }
  void expect_block_end(std::string_view statement) {
    if (peek().type != TokenType::kBlockEnd) {
      fail_at(peek().location, "expected '%}}' to end the '{}' tag, got {}", statement, describe(peek()));
    }
    next();
  }

  // Parses statements until a `{% name %}` tag with a name in `end_names` (left unconsumed).
  void parse_body(Body& body, Names end_names, std::string_view construct, Location opened_at) {
    while (true) {
      const Token& token = peek();
      switch (token.type) {
        case TokenType::kText:
          body.push_back(std::make_unique<TextStmt>(token.location, token.value));
          next();
          break;
        case TokenType::kVariableBegin: {
          next();
          ExprPtr expr = parse_tuple(false, true, {}, false);
          if (peek().type != TokenType::kVariableEnd) fail_unexpected("'}}'");
          next();
          body.push_back(std::make_unique<OutputStmt>(token.location, std::move(expr)));
          break;
        }
        case TokenType::kBlockBegin: {
          const Token& name = peek(1);
          if (name.type != TokenType::kName) fail_at(name.location, "expected a statement name after '{{%'");
          if (std::find(end_names.begin(), end_names.end(), name.value) != end_names.end()) return;
          next();
          next();
          parse_statement(body, name);
          break;
        }
        case TokenType::kEnd:
          if (end_names.size() == 0) return;
          fail_at(opened_at, "'{}' block is never closed (expected '{{% {} %}}')", construct, *end_names.begin());
        default:
          fail_at(token.location, "unexpected {}", describe(token));
      }
    }
  }

  // Consumes `{% name %}` that closes a block.
  void expect_end_tag(std::string_view name) {
    next();  // {%
    next();  // name
    expect_block_end(name);
  }

  void parse_statement(Body& body, const Token& name_token) {
    NestingGuard guard(*this);
    const std::string& name = name_token.value;
    const Location loc = name_token.location;
    if (name == "if") return body.push_back(parse_if(loc));
    if (name == "for") return body.push_back(parse_for(loc));
    if (name == "set") return body.push_back(parse_set(loc));
    if (name == "macro") return body.push_back(parse_macro(loc));
    if (name == "call") return body.push_back(parse_call_block(loc));
    if (name == "filter") return body.push_back(parse_filter_block(loc));
    if (name == "with") return body.push_back(parse_with(loc));
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) fail_at(loc, "'{}' outside of a for loop", name);
      expect_block_end(name);
      return body.push_back(std::make_unique<LoopControlStmt>(
          name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, loc));
    }
    if (name == "generation") {
      // transformers' assistant-mask marker: renders as its body.
      expect_block_end(name);
      parse_body(body, {"endgeneration"}, "generation", loc);
      return expect_end_tag("endgeneration");
    }
    static constexpr std::string_view kKnownUnsupported[] = {
        "extends", "block", "include", "import", "from", "do", "autoescape", "trans"};
    if (std::find(std::begin(kKnownUnsupported), std::end(kKnownUnsupported), name) != std::end(kKnownUnsupported)) {
      fail_at(loc, "the '{{% {} %}}' statement is not supported in chat templates", name);
    }
    fail_at(loc, "unknown statement '{{% {} %}}'", name);
  }

  StmtPtr parse_if(Location loc) {
    auto node = std::make_unique<IfStmt>(loc);
    while (true) {
      ExprPtr test = parse_tuple(false, false, {}, false);
      expect_block_end("if");
      Body branch;
      parse_body(branch, {"elif", "else", "endif"}, "if", loc);
      node->branches.emplace_back(std::move(test), std::move(branch));
      next();  // {%
      const std::string tag = next().value;
      if (tag == "elif") continue;
      if (tag == "else") {
        expect_block_end("else");
        parse_body(node->else_body, {"endif"}, "if", loc);
        expect_end_tag("endif");
      } else {
        expect_block_end("endif");
      }
      return node;
    }
  }

  AssignTarget parse_assign_target(bool with_namespace, std::string_view statement) {
    AssignTarget target;
    if (with_namespace && peek().type == TokenType::kName && is_op(".", 1)) {
      target.names.push_back(next().value);
      next();  // .
      target.attribute = expect_name();
      return target;
    }
    const bool parenthesized = skip_op("(");
    while (true) {
      if (peek().type != TokenType::kName) fail_unexpected(fmt::format("a variable name in '{}'", statement));
      target.names.push_back(next().value);
      if (!skip_op(",")) break;
      target.unpack = true;
      if (parenthesized && is_op(")")) break;
      if (!parenthesized && (is_name("in") || is_op("="))) break;
    }
    if (parenthesized) {
      expect_op(")");
      target.unpack = true;
    }
    return target;
  }

  StmtPtr parse_for(Location loc) {
    auto node = std::make_unique<ForStmt>(loc);
    node->target = parse_assign_target(false, "for");
    if (!skip_name("in")) fail_unexpected("'in'");
    node->iterable = parse_tuple(false, false, {"recursive"}, false);
    if (skip_name("if")) node->filter = parse_expression(true);
    if (is_name("recursive")) fail_at(peek().location, "recursive for loops are not supported");
    expect_block_end("for");
    ++loop_depth_;
    parse_body(node->body, {"endfor", "else"}, "for", loc);
    --loop_depth_;
    next();  // {%
    if (next().value == "else") {
      expect_block_end("else");
      parse_body(node->else_body, {"endfor"}, "for", loc);
      expect_end_tag("endfor");
    } else {
      expect_block_end("endfor");
    }
    return node;
  }

  StmtPtr parse_set(Location loc) {
    AssignTarget target = parse_assign_target(true, "set");
    if (skip_op("=")) {
      auto node = std::make_unique<SetStmt>(loc);
      node->target = std::move(target);
      node->value = parse_tuple(false, true, {}, false);
      expect_block_end("set");
      return node;
    }
    auto node = std::make_unique<SetBlockStmt>(loc);
    node->target = std::move(target);
    if (is_op("|")) {
      next();
      node->filter = parse_filter_chain(nullptr);
    }
    expect_block_end("set");
    parse_body(node->body, {"endset"}, "set", loc);
    expect_end_tag("endset");
    return node;
  }

  std::vector<Parameter> parse_parameters() {
    std::vector<Parameter> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      Parameter param;
      param.name = expect_name();
      if (skip_op("=")) {
        param.default_value = parse_expression(true);
      } else if (!params.empty() && params.back().default_value) {
        fail_at(peek().location, "non-default argument '{}' follows default argument", param.name);
      }
      params.push_back(std::move(param));
    }
    expect_op(")");
    return params;
  }

  StmtPtr parse_macro(Location loc) {
    auto node = std::make_unique<MacroStmt>(loc);
    node->name = expect_name();
    node->params = parse_parameters();
    expect_block_end("macro");
    const int saved_depth = loop_depth_;
    loop_depth_ = 0;  // break/continue cannot cross a macro boundary
    parse_body(node->body, {"endmacro"}, "macro", loc);
    loop_depth_ = saved_depth;
    expect_end_tag("endmacro");
    return node;
  }

  StmtPtr parse_call_block(Location loc) {
    auto node = std::make_unique<CallBlockStmt>(loc);
    if (is_op("(")) node->caller_params = parse_parameters();
    ExprPtr call = parse_expression(true);
    if (call->kind != Expr::Kind::kCall) fail_at(call->location, "'{{% call %}}' expects a macro call");
    node->call.reset(static_cast<CallExpr*>(call.release()));
    expect_block_end("call");
    const int saved_depth = loop_depth_;
    loop_depth_ = 0;
    parse_body(node->body, {"endcall"}, "call", loc);
    loop_depth_ = saved_depth;
    expect_end_tag("endcall");
    return node;
  }

  StmtPtr parse_filter_block(Location loc) {
    auto node = std::make_unique<FilterBlockStmt>(loc);
    node->filter = parse_filter_chain(nullptr);
    expect_block_end("filter");
    parse_body(node->body, {"endfilter"}, "filter", loc);
    expect_end_tag("endfilter");
    return node;
  }

  StmtPtr parse_with(Location loc) {
    auto node = std::make_unique<WithStmt>(loc);
    while (peek().type != TokenType::kBlockEnd) {
      if (!node->assignments.empty()) expect_op(",");
      AssignTarget target = parse_assign_target(false, "with");
      expect_op("=");
      node->assignments.emplace_back(std::move(target), parse_expression(true));
    }
    expect_block_end("with");
    parse_body(node->body, {"endwith"}, "with", loc);
    expect_end_tag("endwith");
    return node;
  }

  // ---- expressions (Jinja2 precedence, loosest first) ----

  bool is_tuple_end(Names extra_end_names) const {
    const Token& t = peek();
    if (t.type == TokenType::kVariableEnd || t.type == TokenType::kBlockEnd || is_op(")")) return true;
    return t.type == TokenType::kName &&
           std::find(extra_end_names.begin(), extra_end_names.end(), t.value) != extra_end_names.end();
  }

  // A comma-separated expression list; a single item without a comma is that item.
  ExprPtr parse_tuple(bool simplified, bool with_condexpr, Names extra_end_names, bool explicit_parentheses) {
    const Location loc = peek().location;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end_names)) break;
      items.push_back(simplified ? parse_primary() : parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items.front());
      if (!explicit_parentheses) fail_unexpected("an expression");
    }
    auto tuple = std::make_unique<SequenceExpr>(Expr::Kind::kTuple, loc);
    tuple->items = std::move(items);
    return tuple;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    NestingGuard guard(*this);
    return with_condexpr ? parse_conditional() : parse_or();
  }

  ExprPtr parse_conditional() {
    NestingGuard guard(*this);
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      const Location loc = next().location;
      auto cond = std::make_unique<ConditionalExpr>(loc);
      cond->if_true = std::move(expr);
      cond->condition = parse_or();
      if (skip_name("else")) cond->if_false = parse_conditional();
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Location loc = next().location;
      left = std::make_unique<BinaryExpr>(loc, BinaryOp::kOr, std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Location loc = next().location;
      left = std::make_unique<BinaryExpr>(loc, BinaryOp::kAnd, std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    NestingGuard guard(*this);
    if (is_name("not")) {
      const Location loc = next().location;
      return std::make_unique<UnaryExpr>(loc, UnaryOp::kNot, parse_not());
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Location loc = peek().location;
    ExprPtr first = parse_math1();
    std::vector<std::pair<CompareOp, ExprPtr>> rest;
    while (true) {
      CompareOp op;
      if (is_op("==")) op = CompareOp::kEqual;
      else if (is_op("!=")) op = CompareOp::kNotEqual;
      else if (is_op("<")) op = CompareOp::kLess;
      else if (is_op("<=")) op = CompareOp::kLessEqual;
      else if (is_op(">")) op = CompareOp::kGreater;
      else if (is_op(">=")) op = CompareOp::kGreaterEqual;
      else if (is_name("in")) op = CompareOp::kIn;
      else if (is_name("not") && is_name("in", 1)) {
        next();
        op = CompareOp::kNotIn;
      } else {
        break;
      }
      next();
      rest.emplace_back(op, parse_math1());
    }
    if (rest.empty()) return first;
    auto compare = std::make_unique<CompareExpr>(loc, std::move(first));
    compare->rest = std::move(rest);
    return compare;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& op = next();
      const BinaryOp kind = op.value == "+" ? BinaryOp::kAdd : BinaryOp::kSubtract;
      left = std::make_unique<BinaryExpr>(op.location, kind, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Location loc = next().location;
      left = std::make_unique<BinaryExpr>(loc, BinaryOp::kConcat, std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& op = next();
      const BinaryOp kind = op.value == "*"    ? BinaryOp::kMultiply
                            : op.value == "/"  ? BinaryOp::kDivide
                            : op.value == "//" ? BinaryOp::kFloorDivide
                                               : BinaryOp::kModulo;
      left = std::make_unique<BinaryExpr>(op.location, kind, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Location loc = next().location;
      left = std::make_unique<BinaryExpr>(loc, BinaryOp::kPower, std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    NestingGuard guard(*this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const Token& op = next();
      node = std::make_unique<UnaryExpr>(op.location, op.value == "-" ? UnaryOp::kNegate : UnaryOp::kPlus,
                                         parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& token = peek();
    switch (token.type) {
      case TokenType::kName: {
        next();
        const std::string& name = token.value;
        if (name == "true" || name == "True") return std::make_unique<LiteralExpr>(token.location, Value::boolean(true));
        if (name == "false" || name == "False") return std::make_unique<LiteralExpr>(token.location, Value::boolean(false));
        if (name == "none" || name == "None") return std::make_unique<LiteralExpr>(token.location, Value::none());
        return std::make_unique<NameExpr>(token.location, name);
      }
      case TokenType::kString: {
        std::string value;
        while (peek().type == TokenType::kString) value += next().value;  // 'a' 'b' is 'ab'
        return std::make_unique<LiteralExpr>(token.location, Value::string(std::move(value)));
      }
      case TokenType::kInteger:
        next();
        return std::make_unique<LiteralExpr>(token.location, Value::integer(token.int_value));
      case TokenType::kFloat:
        next();
        return std::make_unique<LiteralExpr>(token.location, Value::floating(token.float_value));
      case TokenType::kOperator:
        if (token.value == "(") {
          next();
          ExprPtr inner = parse_tuple(false, true, {}, true);
          expect_op(")");
          return inner;
        }
        if (token.value == "[") return parse_list();
        if (token.value == "{") return parse_dict();
        break;
      default:
        break;
    }
    fail_unexpected("an expression");
  }

  ExprPtr parse_list() {
    auto list = std::make_unique<SequenceExpr>(Expr::Kind::kList, next().location);
    while (!is_op("]")) {
      if (!list->items.empty()) expect_op(",");
      if (is_op("]")) break;
      list->items.push_back(parse_expression(true));
    }
    expect_op("]");
    return list;
  }

  ExprPtr parse_dict() {
    auto dict = std::make_unique<DictExpr>(next().location);
    while (!is_op("}")) {
      if (!dict->items.empty()) expect_op(",");
      if (is_op("}")) break;
      ExprPtr key = parse_expression(true);
      expect_op(":");
      dict->items.emplace_back(std::move(key), parse_expression(true));
    }
    expect_op("}");
    return dict;
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        next();
        node = parse_filter_chain(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    const Token& open = next();
    if (open.value == ".") {
      const Token& attr = next();
      if (attr.type == TokenType::kName) return std::make_unique<GetAttrExpr>(open.location, std::move(node), attr.value);
      if (attr.type == TokenType::kInteger) {
        return std::make_unique<GetItemExpr>(open.location, std::move(node),
                                             std::make_unique<LiteralExpr>(attr.location, Value::integer(attr.int_value)));
      }
      fail_at(attr.location, "expected an attribute name after '.', got {}", describe(attr));
    }
    // `[`: an index or a slice.
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (is_op(",")) fail_at(peek().location, "tuple subscripts are not supported");
      if (!is_op(":")) {
        expect_op("]");
        return std::make_unique<GetItemExpr>(open.location, std::move(node), std::move(start));
      }
    }
    auto slice = std::make_unique<SliceExpr>(open.location, std::move(node));
    slice->start = std::move(start);
    expect_op(":");
    if (!is_op(":") && !is_op("]")) slice->stop = parse_expression(true);
    if (skip_op(":") && !is_op("]")) slice->step = parse_expression(true);
    expect_op("]");
    return slice;
  }

  void parse_call_args(Arguments& args) {
    expect_op("(");
    bool need_comma = false;
    while (!is_op(")")) {
      if (need_comma) {
        expect_op(",");
        if (is_op(")")) break;
      }
      const Location loc = peek().location;
      if (skip_op("*")) {
        if (args.star || args.double_star) fail_at(loc, "invalid use of '*' in call arguments");
        args.star = parse_expression(true);
      } else if (skip_op("**")) {
        if (args.double_star) fail_at(loc, "invalid use of '**' in call arguments");
        args.double_star = parse_expression(true);
      } else if (peek().type == TokenType::kName && is_op("=", 1)) {
        if (args.double_star) fail_at(loc, "keyword argument after '**'");
        std::string key = next().value;
        next();  // =
        args.keyword.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (args.star || args.double_star || !args.keyword.empty()) {
          fail_at(loc, "positional argument follows keyword argument");
        }
        args.positional.push_back(parse_expression(true));
      }
      need_comma = true;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto call = std::make_unique<CallExpr>(peek().location, std::move(callee));
    parse_call_args(call->args);
    return call;
  }

  // After a '|': `name(args) | name2 ...`. `operand` is null for filter blocks.
  ExprPtr parse_filter_chain(ExprPtr operand) {
    while (true) {
      const Location loc = peek().location;
      std::string name = expect_name();
      const FilterFn fn = find_filter(name);
      if (fn == nullptr) fail_at(loc, "no filter named '{}'", name);
      auto filter = std::make_unique<FilterExpr>(loc, std::move(operand), std::move(name), fn);
      if (is_op("(")) parse_call_args(filter->args);
      operand = std::move(filter);
      if (!is_op("|")) return operand;
      next();
    }
  }

  ExprPtr parse_test(ExprPtr operand) {
    const Location loc = next().location;  // 'is'
    const bool negated = skip_name("not");
    const Location name_loc = peek().location;
    std::string name = expect_name();
    const TestFn fn = find_test(name);
    if (fn == nullptr) fail_at(name_loc, "no test named '{}'", name);
    auto test = std::make_unique<TestExpr>(loc, std::move(operand), std::move(name), fn, negated);
    const Token& t = peek();
    if (is_op("(")) {
      parse_call_args(test->args);
    } else if ((t.type == TokenType::kName && t.value != "else" && t.value != "or" && t.value != "and" &&
                t.value != "if") ||
               t.type == TokenType::kString || t.type == TokenType::kInteger || t.type == TokenType::kFloat ||
               is_op("[") || is_op("{")) {
      // Jinja2 allows one bare argument: `x is divisibleby 3`, `x is sameas none`.
      if (t.type == TokenType::kName && t.value == "is") fail_at(t.location, "tests cannot be chained with 'is'");
      test->args.positional.push_back(parse_postfix(parse_primary()));
    }
    return test;
  }

  // Counts one level of recursion for as long as it lives.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser& parser) : parser_(parser) {
      if (++parser_.nesting_ > kMaxNesting) {
        parser_.fail_at(parser_.peek().location, "the template nests more than {} levels deep", kMaxNesting);
      }
    }
    ~NestingGuard() { --parser_.nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    Parser& parser_;
  };

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int loop_depth_ = 0;
  int nesting_ = 0;
};

}  // namespace

Program parse_template(std::string_view source) { return Parser(tokenize(source)).parse_program(); }

}  // namespace turbine::chat_template
