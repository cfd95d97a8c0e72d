// The `pattern` of Split, Replace (normalizer and decoder): {"String": s} matches s literally,
// {"Regex": r} is an Oniguruma regular expression.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_fields.h"
#include "tokenizer/regex.h"

namespace turbine::tokenizer {

class Pattern {
 public:
  static Pattern from_json(const Json& pattern, std::string_view where);
  static Pattern literal(std::string text);

  // Appends every non-overlapping match, left to right (text must be valid UTF-8).
  void find_all(std::string_view text, std::vector<MatchRange>& out) const;

  // Replaces every match with `content`.
  std::string replace_all(std::string_view text, std::string_view content) const;

  bool is_literal() const { return !regex_.has_value(); }
  const std::string& literal_text() const { return literal_; }

 private:
  std::string literal_;
  std::optional<Regex> regex_;
};

}  // namespace turbine::tokenizer
