// A compiled regular expression for tokenizer.json patterns (PCRE2, UTF + UCP, JIT).
//
// Hugging Face compiles these patterns with Oniguruma, so `Regex` first rewrites the few
// constructs whose meaning differs in PCRE2 (see translate_oniguruma in regex.cc). Matching
// assumes the subject is valid UTF-8 (checked once by the caller) and passes PCRE2_NO_UTF_CHECK:
// without it PCRE2 re-validates the whole subject on every call, which makes a scan over many
// matches quadratic.
//
// A Regex is immutable after construction and safe to use from many threads at once (match
// data and JIT stacks are per thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine::tokenizer {

struct MatchRange {
  uint32_t begin;
  uint32_t end;
};

class Regex {
 public:
  // Compiles an Oniguruma-flavoured pattern; throws turbine::Error mentioning `context` (for
  // example "pre_tokenizer Split in tokenizer.json") when it does not compile.
  Regex(std::string_view pattern, std::string_view context);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Appends every non-overlapping match in `text`, left to right. After an empty match the
  // search resumes one character further on.
  void find_all(std::string_view text, std::vector<MatchRange>& out) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

// Escapes `literal` so that it matches itself as a PCRE2 pattern.
std::string regex_escape(std::string_view literal);

// Rewrites Oniguruma (Ruby syntax) constructs into their PCRE2 equivalents. With
// `with_additions`, general-category classes also list the characters PCRE2's Unicode tables
// are too old to know (see unicode_additions.inc). Exposed for tests.
std::string translate_oniguruma(std::string_view pattern, bool with_additions = true);

}  // namespace turbine::tokenizer
