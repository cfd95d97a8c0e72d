// The named rules of an EBNF grammar while it is parsed: a reference declares the rule (forward
// references and recursion), a definition defines it once, and at the end every referenced name
// must have been defined. Errors point at the source (the duplicate definition, the first use of
// an undefined name).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "structured/ebnf_source.h"
#include "structured/grammar.h"

namespace turbine::structured::ebnf {

class RuleNames {
 public:
  static constexpr size_t kNone = size_t(-1);

  RuleNames(Grammar& grammar, const SourceText& source, std::string kind = "rule")
      : grammar_(grammar), source_(source), kind_(std::move(kind)) {}

  // The rule `name` refers to (declared now if new); `offset` is where the reference is.
  RuleId use(const std::string& name, size_t offset);
  // Marks `name` defined at `offset` and returns its rule; a second definition is an error.
  RuleId define(const std::string& name, size_t offset);

  bool defined(const std::string& name) const;
  RuleId find(const std::string& name) const;  // -1 when never used nor defined
  size_t definition_offset(const std::string& name) const;
  // Names in the order they were defined.
  const std::vector<std::string>& definition_order() const { return order_; }

  // Throws for the earliest reference (in the source) to a name never defined.
  void check_all_defined() const;
  // Throws, naming the rule and the cycle at the rule's definition, if the grammar's rules are
  // left-recursive (the compiler cannot build them).
  // `example` shows the rewrite in the dialect's syntax.
  void check_no_left_recursion(std::string_view example) const;

 private:
  struct Entry {
    RuleId rule = -1;
    size_t defined_at = kNone;
    size_t first_use = kNone;
  };
  Grammar& grammar_;
  const SourceText& source_;
  std::string kind_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
};

}  // namespace turbine::structured::ebnf
