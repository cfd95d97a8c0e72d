// The parsed form of a chat template: expression and statement trees.
//
// Built once by the parser and never mutated afterwards, so any number of threads may render the
// same tree at once. Nodes carry their source location for error messages. Dispatch is on `kind`
// with a static_cast to the concrete node (one switch per consumer, no default, so adding a kind
// fails to compile until every consumer handles it).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat_template/lexer.h"
#include "tokenizer/chat_template/value.h"

namespace turbine::chat_template {

using FilterFn = Value (*)(const Value& input, CallArgs& args);
using TestFn = bool (*)(const Value& input, CallArgs& args);

struct Expr {
  enum class Kind {
    kLiteral, kName, kList, kTuple, kDict, kGetAttr, kGetItem, kSlice, kCall, kFilter, kTest,
    kUnary, kBinary, kCompare, kConditional,
  };
  Expr(Kind k, Location loc) : kind(k), location(loc) {}
  virtual ~Expr() = default;
  Kind kind;
  Location location;
};
using ExprPtr = std::unique_ptr<Expr>;

struct LiteralExpr : Expr {
  LiteralExpr(Location loc, Value v) : Expr(Kind::kLiteral, loc), value(std::move(v)) {}
  Value value;  // None, bool, int, float or str only: never shared mutable state
};

struct NameExpr : Expr {
  NameExpr(Location loc, std::string n) : Expr(Kind::kName, loc), name(std::move(n)) {}
  std::string name;
};

// kList or kTuple.
struct SequenceExpr : Expr {
  SequenceExpr(Kind k, Location loc) : Expr(k, loc) {}
  std::vector<ExprPtr> items;
};

struct DictExpr : Expr {
  explicit DictExpr(Location loc) : Expr(Kind::kDict, loc) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};

struct GetAttrExpr : Expr {
  GetAttrExpr(Location loc, ExprPtr o, std::string n)
      : Expr(Kind::kGetAttr, loc), object(std::move(o)), name(std::move(n)) {}
  ExprPtr object;
  std::string name;
};

struct GetItemExpr : Expr {
  GetItemExpr(Location loc, ExprPtr o, ExprPtr i)
      : Expr(Kind::kGetItem, loc), object(std::move(o)), index(std::move(i)) {}
  ExprPtr object;
  ExprPtr index;
};

struct SliceExpr : Expr {
  SliceExpr(Location loc, ExprPtr o) : Expr(Kind::kSlice, loc), object(std::move(o)) {}
  ExprPtr object;
  ExprPtr start, stop, step;  // each may be null
};

struct Arguments {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star;         // *args, may be null
  ExprPtr double_star;  // **kwargs, may be null
};

struct CallExpr : Expr {
  CallExpr(Location loc, ExprPtr c) : Expr(Kind::kCall, loc), callee(std::move(c)) {}
  ExprPtr callee;
  Arguments args;
};

struct FilterExpr : Expr {
  FilterExpr(Location loc, ExprPtr o, std::string n, FilterFn f)
      : Expr(Kind::kFilter, loc), operand(std::move(o)), name(std::move(n)), fn(f) {}
  ExprPtr operand;  // null at the start of a filter block's chain: the block's output goes there
  std::string name;
  FilterFn fn;
  Arguments args;
};

struct TestExpr : Expr {
  TestExpr(Location loc, ExprPtr o, std::string n, TestFn f, bool neg)
      : Expr(Kind::kTest, loc), operand(std::move(o)), name(std::move(n)), fn(f), negated(neg) {}
  ExprPtr operand;
  std::string name;
  TestFn fn;
  bool negated;
  Arguments args;
};

enum class UnaryOp { kNot, kNegate, kPlus };

struct UnaryExpr : Expr {
  UnaryExpr(Location loc, UnaryOp o, ExprPtr x) : Expr(Kind::kUnary, loc), op(o), operand(std::move(x)) {}
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp { kAdd, kSubtract, kMultiply, kDivide, kFloorDivide, kModulo, kPower, kConcat, kAnd, kOr };

struct BinaryExpr : Expr {
  BinaryExpr(Location loc, BinaryOp o, ExprPtr l, ExprPtr r)
      : Expr(Kind::kBinary, loc), op(o), left(std::move(l)), right(std::move(r)) {}
  BinaryOp op;
  ExprPtr left;
  ExprPtr right;
};

enum class CompareOp { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual, kIn, kNotIn };

// Python comparison chains: `a < b < c` is `a < b and b < c`.
struct CompareExpr : Expr {
  CompareExpr(Location loc, ExprPtr f) : Expr(Kind::kCompare, loc), first(std::move(f)) {}
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};

struct ConditionalExpr : Expr {
  explicit ConditionalExpr(Location loc) : Expr(Kind::kConditional, loc) {}
  ExprPtr condition, if_true;
  ExprPtr if_false;  // null: `a if b` yields Undefined when b is false
};

struct Stmt {
  enum class Kind {
    kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro, kCallBlock, kFilterBlock, kWith,
    kBreak, kContinue,
  };
  Stmt(Kind k, Location loc) : kind(k), location(loc) {}
  virtual ~Stmt() = default;
  Kind kind;
  Location location;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct TextStmt : Stmt {
  TextStmt(Location loc, std::string t) : Stmt(Kind::kText, loc), text(std::move(t)) {}
  std::string text;
};

struct OutputStmt : Stmt {
  OutputStmt(Location loc, ExprPtr e) : Stmt(Kind::kOutput, loc), expr(std::move(e)) {}
  ExprPtr expr;
};

struct IfStmt : Stmt {
  explicit IfStmt(Location loc) : Stmt(Kind::kIf, loc) {}
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, elif...
  Body else_body;
};

// Where a `set` or `for` stores: one name, several names (unpacking), or `ns.attr`.
struct AssignTarget {
  std::vector<std::string> names;
  bool unpack = false;     // `a, b = ...`
  std::string attribute;   // non-empty for `ns.attr`: names[0] is the namespace
};

struct ForStmt : Stmt {
  explicit ForStmt(Location loc) : Stmt(Kind::kFor, loc) {}
  AssignTarget target;
  ExprPtr iterable;
  ExprPtr filter;  // `for x in y if cond`, may be null
  Body body;
  Body else_body;
};

struct SetStmt : Stmt {
  explicit SetStmt(Location loc) : Stmt(Kind::kSet, loc) {}
  AssignTarget target;
  ExprPtr value;
};

struct SetBlockStmt : Stmt {
  explicit SetBlockStmt(Location loc) : Stmt(Kind::kSetBlock, loc) {}
  AssignTarget target;
  ExprPtr filter;  // optional filter chain applied to the captured text
  Body body;
};

struct Parameter {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct MacroStmt : Stmt {
  explicit MacroStmt(Location loc) : Stmt(Kind::kMacro, loc) {}
  std::string name;
  std::vector<Parameter> params;
  Body body;
};

struct CallBlockStmt : Stmt {
  explicit CallBlockStmt(Location loc) : Stmt(Kind::kCallBlock, loc) {}
  std::unique_ptr<CallExpr> call;
  std::vector<Parameter> caller_params;
  Body body;
};

struct FilterBlockStmt : Stmt {
  explicit FilterBlockStmt(Location loc) : Stmt(Kind::kFilterBlock, loc) {}
  ExprPtr filter;  // chain whose innermost operand is null
  Body body;
};

struct WithStmt : Stmt {
  explicit WithStmt(Location loc) : Stmt(Kind::kWith, loc) {}
  std::vector<std::pair<AssignTarget, ExprPtr>> assignments;
  Body body;
};

struct LoopControlStmt : Stmt {
  LoopControlStmt(Kind k, Location loc) : Stmt(k, loc) {}  // kBreak or kContinue
};

struct Program {
  Body body;
};

}  // namespace turbine::chat_template
