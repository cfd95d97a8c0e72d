#include "tokenizer/chat_template/interpreter.h"

#include <fmt/format.h>

#include <memory>

#include "common/error.h"
#include "tokenizer/chat_template/globals.h"
#include "tokenizer/chat_template/json_value.h"
#include "tokenizer/chat_template/methods.h"
#include "tokenizer/chat_template/operators.h"

namespace turbine::chat_template {
namespace {

// Deep macro recursion would overflow the native stack (Python stops near 1000 frames, a few
// per macro call); 100 levels stay well inside even a small thread stack.
constexpr int kMaxCallDepth = 100;

// Variables of one block. Children keep their parents alive; macros hold a weak reference to the
// scope they were defined in, so no ownership cycle forms.
class Scope {
 public:
  explicit Scope(std::shared_ptr<Scope> parent) : parent_(std::move(parent)) {}

  const Value* find(std::string_view name) const {
    for (const Scope* scope = this; scope != nullptr; scope = scope->parent_.get()) {
      if (const Value* v = scope->vars_.find(name)) return v;
    }
    return nullptr;
  }
  void set(const std::string& name, Value value) { vars_.set(name, std::move(value)); }

 private:
  std::shared_ptr<Scope> parent_;
  Dict vars_;
};
using ScopePtr = std::shared_ptr<Scope>;

ScopePtr child_of(const ScopePtr& parent) { return std::make_shared<Scope>(parent); }

enum class Flow { kNormal, kBreak, kContinue };

template <typename... Args>
[[noreturn]] void fail_at(Location loc, fmt::format_string<Args...> format, Args&&... args) {
  fail("chat template error at line {}, column {}: {}", loc.line, loc.column,
       fmt::format(format, std::forward<Args>(args)...));
}

class Interpreter {
 public:
  std::string run(const Program& program, const nlohmann::ordered_json& context) {
    if (!context.is_object() && !context.is_null()) throw Error("chat template context must be a JSON object");
    auto root = std::make_shared<Scope>(nullptr);
    if (context.is_object()) {
      for (const auto& [key, value] : context.items()) root->set(key, from_json(value));
    }
    std::string out;
    exec_body(program.body, root, out);
    return out;
  }

 private:
  // ---- statements ----

  Flow exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
    for (const StmtPtr& stmt : body) {
      const Flow flow = exec(*stmt, scope, out);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Flow exec(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
    try {
      return exec_unguarded(stmt, scope, out);
    } catch (const EvalError& error) {
      // Errors inside expressions were already located there; this names the statement.
      fail_at(stmt.location, "'{}' statement: {}", statement_name(stmt.kind), error.what());
    }
  }

  static std::string_view statement_name(Stmt::Kind kind) {
    switch (kind) {
      case Stmt::Kind::kText: return "text";
      case Stmt::Kind::kOutput: return "{{ }}";
      case Stmt::Kind::kIf: return "if";
      case Stmt::Kind::kFor: return "for";
      case Stmt::Kind::kSet: return "set";
      case Stmt::Kind::kSetBlock: return "set";
      case Stmt::Kind::kMacro: return "macro";
      case Stmt::Kind::kCallBlock: return "call";
      case Stmt::Kind::kFilterBlock: return "filter";
      case Stmt::Kind::kWith: return "with";
      case Stmt::Kind::kBreak: return "break";
      case Stmt::Kind::kContinue: return "continue";
    }
    return "?";
  }

  Flow exec_unguarded(const Stmt& stmt, const ScopePtr& scope, std::string& out) {
    switch (stmt.kind) {
      case Stmt::Kind::kText:
        out += static_cast<const TextStmt&>(stmt).text;
        return Flow::kNormal;
      case Stmt::Kind::kOutput:
        out += eval(*static_cast<const OutputStmt&>(stmt).expr, scope).str();
        return Flow::kNormal;
      case Stmt::Kind::kIf: {
        const auto& node = static_cast<const IfStmt&>(stmt);
        for (const auto& [condition, body] : node.branches) {
          if (eval(*condition, scope).truthy()) return exec_body(body, scope, out);
        }
        return exec_body(node.else_body, scope, out);
      }
      case Stmt::Kind::kFor:
        exec_for(static_cast<const ForStmt&>(stmt), scope, out);
        return Flow::kNormal;
      case Stmt::Kind::kSet: {
        const auto& node = static_cast<const SetStmt&>(stmt);
        assign(node.target, eval(*node.value, scope), scope);
        return Flow::kNormal;
      }
      case Stmt::Kind::kSetBlock: {
        const auto& node = static_cast<const SetBlockStmt&>(stmt);
        std::string captured;
        exec_body(node.body, child_of(scope), captured);
        Value value = Value::string(std::move(captured));
        if (node.filter) value = apply_filter_chain(*node.filter, std::move(value), scope);
        assign(node.target, std::move(value), scope);
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro: {
        const auto& node = static_cast<const MacroStmt&>(stmt);
        scope->set(node.name, make_macro(node.name, node.params, node.body, scope));
        return Flow::kNormal;
      }
      case Stmt::Kind::kCallBlock:
        out += exec_call_block(static_cast<const CallBlockStmt&>(stmt), scope).str();
        return Flow::kNormal;
      case Stmt::Kind::kFilterBlock: {
        const auto& node = static_cast<const FilterBlockStmt&>(stmt);
        std::string captured;
        exec_body(node.body, child_of(scope), captured);
        out += apply_filter_chain(*node.filter, Value::string(std::move(captured)), scope).str();
        return Flow::kNormal;
      }
      case Stmt::Kind::kWith: {
        const auto& node = static_cast<const WithStmt&>(stmt);
        std::vector<Value> values;
        for (const auto& assignment : node.assignments) values.push_back(eval(*assignment.second, scope));
        ScopePtr inner = child_of(scope);
        for (std::size_t i = 0; i < values.size(); ++i) assign(node.assignments[i].first, std::move(values[i]), inner);
        return exec_body(node.body, inner, out);
      }
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  void bind_target(const AssignTarget& target, const Value& value, Scope& scope) {
    if (!target.unpack) {
      scope.set(target.names[0], value);
      return;
    }
    if (!value.is_list() && !value.is_string()) {
      throw EvalError(fmt::format("cannot unpack non-iterable {} object", value.type_name()));
    }
    const std::vector<Value> parts = iterate(value);
    if (parts.size() != target.names.size()) {
      throw EvalError(parts.size() > target.names.size()
                          ? fmt::format("too many values to unpack (expected {})", target.names.size())
                          : fmt::format("not enough values to unpack (expected {}, got {})", target.names.size(), parts.size()));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) scope.set(target.names[i], parts[i]);
  }

  void assign(const AssignTarget& target, Value value, const ScopePtr& scope) {
    if (target.attribute.empty()) {
      bind_target(target, value, *scope);
      return;
    }
    const Value* object = scope->find(target.names[0]);
    if (object == nullptr || !object->is_namespace()) {
      throw EvalError(fmt::format("cannot assign attribute '{}' on non-namespace object '{}'", target.attribute,
                                  target.names[0]));
    }
    if (reaches(value, &object->as_namespace())) {
      throw EvalError(fmt::format("cannot store namespace '{}' inside itself (reference cycle)", target.names[0]));
    }
    object->as_namespace().attributes.set(target.attribute, std::move(value));
  }

  void exec_for(const ForStmt& node, const ScopePtr& scope, std::string& out) {
    std::vector<Value> items = iterate(eval(*node.iterable, scope));
    if (node.filter) {
      std::vector<Value> kept;
      for (Value& item : items) {
        ScopePtr probe = child_of(scope);
        bind_target(node.target, item, *probe);
        if (eval(*node.filter, probe).truthy()) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      exec_body(node.else_body, child_of(scope), out);
      return;
    }
    const auto length = static_cast<std::int64_t>(items.size());
    for (std::int64_t i = 0; i < length; ++i) {
      ScopePtr iteration = child_of(scope);
      iteration->set("loop", loop_object(items, i));
      bind_target(node.target, items[static_cast<std::size_t>(i)], *iteration);
      if (exec_body(node.body, iteration, out) == Flow::kBreak) break;
    }
  }

  static Value loop_object(const std::vector<Value>& items, std::int64_t i) {
    const auto n = static_cast<std::int64_t>(items.size());
    Dict loop;
    loop.set("index", Value::integer(i + 1));
    loop.set("index0", Value::integer(i));
    loop.set("revindex", Value::integer(n - i));
    loop.set("revindex0", Value::integer(n - i - 1));
    loop.set("first", Value::boolean(i == 0));
    loop.set("last", Value::boolean(i == n - 1));
    loop.set("length", Value::integer(n));
    loop.set("depth", Value::integer(1));
    loop.set("depth0", Value::integer(0));
    loop.set("previtem", i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("there is no previous item"));
    loop.set("nextitem", i + 1 < n ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("there is no next item"));
    loop.set("cycle", Value::callable("loop.cycle", [i](CallArgs& args) {
               if (args.positional.empty()) throw EvalError("no items for cycling given");
               return args.positional[static_cast<std::size_t>(i) % args.positional.size()];
             }));
    return Value::dict(std::move(loop));
  }

  // ---- macros and call blocks ----

  Value make_macro(const std::string& name, const std::vector<Parameter>& params, const Body& body,
                   const ScopePtr& defined_in) {
    std::weak_ptr<Scope> home = defined_in;
    return Value::callable(name, [this, name, &params, &body, home](CallArgs& args) {
      ScopePtr parent = home.lock();
      if (!parent) throw EvalError(fmt::format("macro '{}' called after its scope ended", name));
      return invoke_macro(name, params, body, parent, args);
    });
  }

  Value invoke_macro(const std::string& name, const std::vector<Parameter>& params, const Body& body,
                     const ScopePtr& parent, CallArgs& args) {
    if (call_depth_ >= kMaxCallDepth) throw EvalError(fmt::format("macro '{}': maximum call depth exceeded", name));
    ScopePtr scope = child_of(parent);
    Dict extra_keywords;
    std::vector<std::optional<Value>> bound(params.size());
    for (std::size_t i = 0; i < args.positional.size() && i < params.size(); ++i) bound[i] = args.positional[i];
    for (auto& [key, value] : args.keyword) {
      if (key == "caller") {
        scope->set("caller", value);
        continue;
      }
      std::size_t i = 0;
      while (i < params.size() && params[i].name != key) ++i;
      if (i == params.size()) {
        extra_keywords.set(key, value);
      } else if (bound[i]) {
        throw EvalError(fmt::format("macro '{}' got multiple values for argument '{}'", name, key));
      } else {
        bound[i] = value;
      }
    }
    // Defaults see the parameters bound before them, as in Jinja2.
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (bound[i]) {
        scope->set(params[i].name, *bound[i]);
      } else if (params[i].default_value) {
        scope->set(params[i].name, eval(*params[i].default_value, scope));
      } else {
        scope->set(params[i].name, Value::undefined(fmt::format("parameter '{}' was not provided", params[i].name)));
      }
    }
    std::vector<Value> varargs;
    for (std::size_t i = params.size(); i < args.positional.size(); ++i) varargs.push_back(args.positional[i]);
    scope->set("varargs", Value::tuple(std::move(varargs)));
    scope->set("kwargs", Value::dict(std::move(extra_keywords)));
    ++call_depth_;
    std::string out;
    try {
      exec_body(body, scope, out);
    } catch (...) {
      --call_depth_;
      throw;
    }
    --call_depth_;
    return Value::string(std::move(out));
  }

  Value exec_call_block(const CallBlockStmt& node, const ScopePtr& scope) {
    Value caller = make_macro("caller", node.caller_params, node.body, scope);
    CallArgs args = eval_args(node.call->args, scope);
    args.keyword.emplace_back("caller", std::move(caller));
    return call_value(eval(*node.call->callee, scope), args);
  }

  // ---- expressions ----

  Value eval(const Expr& expr, const ScopePtr& scope) {
    try {
      return eval_unguarded(expr, scope);
    } catch (const EvalError& error) {
      fail_at(expr.location, "{}", error.what());
    }
  }

  Value lookup(const std::string& name, const ScopePtr& scope) {
    if (const Value* v = scope->find(name)) return *v;
    if (const Value* v = find_global(name)) return *v;
    return Value::undefined(fmt::format("'{}' is undefined", name));
  }

  CallArgs eval_args(const Arguments& args, const ScopePtr& scope) {
    CallArgs call;
    for (const ExprPtr& arg : args.positional) call.positional.push_back(eval(*arg, scope));
    if (args.star) {
      for (Value& v : iterate(eval(*args.star, scope))) call.positional.push_back(std::move(v));
    }
    for (const auto& [key, arg] : args.keyword) call.keyword.emplace_back(key, eval(*arg, scope));
    if (args.double_star) {
      const Value extra = eval(*args.double_star, scope);
      if (!extra.is_dict()) throw EvalError(fmt::format("argument after ** must be a mapping, not {}", extra.type_name()));
      for (const auto& [key, value] : extra.as_dict().entries()) call.keyword.emplace_back(key, value);
    }
    return call;
  }

  static Value call_value(const Value& callee, CallArgs& args) {
    if (callee.is_callable()) return callee.as_callable().invoke(args);
    if (callee.is_undefined()) throw_undefined(callee);
    throw EvalError(fmt::format("'{}' object is not callable", callee.type_name()));
  }

  Value apply_filter_chain(const Expr& expr, Value input, const ScopePtr& scope) {
    const auto& filter = static_cast<const FilterExpr&>(expr);
    if (filter.operand) input = apply_filter_chain(*filter.operand, std::move(input), scope);
    CallArgs args = eval_args(filter.args, scope);
    try {
      return filter.fn(input, args);
    } catch (const EvalError& error) {
      fail_at(filter.location, "filter '{}': {}", filter.name, error.what());
    }
  }

  Value eval_unguarded(const Expr& expr, const ScopePtr& scope) {
    switch (expr.kind) {
      case Expr::Kind::kLiteral:
        return static_cast<const LiteralExpr&>(expr).value;
      case Expr::Kind::kName:
        return lookup(static_cast<const NameExpr&>(expr).name, scope);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        std::vector<Value> items;
        for (const ExprPtr& item : static_cast<const SequenceExpr&>(expr).items) items.push_back(eval(*item, scope));
        return expr.kind == Expr::Kind::kList ? Value::list(std::move(items)) : Value::tuple(std::move(items));
      }
      case Expr::Kind::kDict: {
        Dict dict;
        for (const auto& [key_expr, value_expr] : static_cast<const DictExpr&>(expr).items) {
          const Value key = eval(*key_expr, scope);
          if (!key.is_string()) throw EvalError(fmt::format("dict keys must be strings, got {}", key.type_name()));
          dict.set(key.as_string(), eval(*value_expr, scope));
        }
        return Value::dict(std::move(dict));
      }
      case Expr::Kind::kGetAttr: {
        const auto& node = static_cast<const GetAttrExpr&>(expr);
        return get_attribute(eval(*node.object, scope), node.name);
      }
      case Expr::Kind::kGetItem: {
        const auto& node = static_cast<const GetItemExpr&>(expr);
        const Value object = eval(*node.object, scope);
        return get_item(object, eval(*node.index, scope));
      }
      case Expr::Kind::kSlice: {
        const auto& node = static_cast<const SliceExpr&>(expr);
        const Value object = eval(*node.object, scope);
        auto optional = [&](const ExprPtr& e) { return e ? eval(*e, scope) : Value::none(); };
        const Value start = optional(node.start);
        const Value stop = optional(node.stop);
        return slice_value(object, start, stop, optional(node.step));
      }
      case Expr::Kind::kCall:
        return eval_call(static_cast<const CallExpr&>(expr), scope);
      case Expr::Kind::kFilter: {
        const auto& node = static_cast<const FilterExpr&>(expr);
        Value input = eval(*node.operand, scope);
        CallArgs args = eval_args(node.args, scope);
        try {
          return node.fn(input, args);
        } catch (const EvalError& error) {
          throw EvalError(fmt::format("filter '{}': {}", node.name, error.what()));
        }
      }
      case Expr::Kind::kTest: {
        const auto& node = static_cast<const TestExpr&>(expr);
        const Value operand = eval(*node.operand, scope);
        CallArgs args = eval_args(node.args, scope);
        return Value::boolean(node.fn(operand, args) != node.negated);
      }
      case Expr::Kind::kUnary: {
        const auto& node = static_cast<const UnaryExpr&>(expr);
        const Value operand = eval(*node.operand, scope);
        switch (node.op) {
          case UnaryOp::kNot: return Value::boolean(!operand.truthy());
          case UnaryOp::kNegate: return negate(operand);
          case UnaryOp::kPlus:
            if (operand.is_float()) return operand;
            if (operand.is_int() || operand.is_bool()) return Value::integer(operand.as_integral());
            if (operand.is_undefined()) throw_undefined(operand);
            throw EvalError(fmt::format("bad operand type for unary +: '{}'", operand.type_name()));
        }
        return operand;
      }
      case Expr::Kind::kBinary: {
        const auto& node = static_cast<const BinaryExpr&>(expr);
        Value left = eval(*node.left, scope);
        if (node.op == BinaryOp::kAnd) return left.truthy() ? eval(*node.right, scope) : left;
        if (node.op == BinaryOp::kOr) return left.truthy() ? left : eval(*node.right, scope);
        return binary_op(node.op, left, eval(*node.right, scope));
      }
      case Expr::Kind::kCompare: {
        const auto& node = static_cast<const CompareExpr&>(expr);
        Value left = eval(*node.first, scope);
        for (const auto& [op, right_expr] : node.rest) {
          Value right = eval(*right_expr, scope);
          if (!compare_op(op, left, right)) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case Expr::Kind::kConditional: {
        const auto& node = static_cast<const ConditionalExpr&>(expr);
        if (eval(*node.condition, scope).truthy()) return eval(*node.if_true, scope);
        if (node.if_false) return eval(*node.if_false, scope);
        return Value::undefined("the inline if expression evaluated to false and no else section was defined");
      }
    }
    return Value::undefined();
  }

  Value eval_call(const CallExpr& node, const ScopePtr& scope) {
    // `x.method(...)` calls the method directly instead of binding it first.
    if (node.callee->kind == Expr::Kind::kGetAttr) {
      const auto& attr = static_cast<const GetAttrExpr&>(*node.callee);
      const Value object = eval(*attr.object, scope);
      CallArgs args = eval_args(node.args, scope);
      if (has_method(object, attr.name)) return call_method(object, attr.name, args);
      return call_value(get_attribute(object, attr.name), args);
    }
    const Value callee = eval(*node.callee, scope);
    CallArgs args = eval_args(node.args, scope);
    return call_value(callee, args);
  }

  int call_depth_ = 0;
};

}  // namespace

std::string render_template(const Program& program, const nlohmann::ordered_json& context) {
  return Interpreter().run(program, context);
}

}  // namespace turbine::chat_template
