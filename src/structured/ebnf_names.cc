#include "structured/ebnf_names.h"

#include <fmt/format.h>

#include "structured/ebnf_left_recursion.h"

namespace turbine::structured::ebnf {

RuleId RuleNames::use(const std::string& name, size_t offset) {
  Entry& e = entries_[name];
  if (e.rule < 0) e.rule = grammar_.declare_rule(name);
  if (e.first_use == kNone || offset < e.first_use) e.first_use = offset;
  return e.rule;
}

RuleId RuleNames::define(const std::string& name, size_t offset) {
  Entry& e = entries_[name];
  if (e.defined_at != kNone)
    source_.fail_at(offset, fmt::format("duplicate definition of {} '{}' (first defined at {})", kind_, name,
                                        source_.where(e.defined_at)));
  if (e.rule < 0) e.rule = grammar_.declare_rule(name);
  e.defined_at = offset;
  order_.push_back(name);
  return e.rule;
}

bool RuleNames::defined(const std::string& name) const {
  auto it = entries_.find(name);
  return it != entries_.end() && it->second.defined_at != kNone;
}

RuleId RuleNames::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? -1 : it->second.rule;
}

size_t RuleNames::definition_offset(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? kNone : it->second.defined_at;
}

void RuleNames::check_all_defined() const {
  const std::string* worst = nullptr;
  size_t at = kNone;
  for (const auto& [name, e] : entries_)
    if (e.defined_at == kNone && e.first_use < at) {
      worst = &name;
      at = e.first_use;
    }
  if (worst) source_.fail_at(at, fmt::format("undefined {} '{}'", kind_, *worst));
}

void RuleNames::check_no_left_recursion(std::string_view example) const {
  std::vector<RuleId> order;
  for (const std::string& name : order_) order.push_back(entries_.at(name).rule);
  const std::vector<RuleId> cycle = find_left_recursion(grammar_, order);
  if (cycle.empty()) return;
  std::string path;
  for (RuleId r : cycle) path += (path.empty() ? "" : " -> ") + grammar_.rule_name(r);
  const std::string& name = grammar_.rule_name(cycle.front());
  source_.fail_at(definition_offset(name),
                  fmt::format("{} '{}' is left-recursive ({}), which is not supported: write the recursion as "
                              "repetition ({})",
                              kind_, name, path, example));
}

}  // namespace turbine::structured::ebnf
