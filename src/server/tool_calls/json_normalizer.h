// JsonNormalizer: reads one JSON value as it arrives and writes it out as Python's
// json.dumps(json.loads(text), ensure_ascii=False) would, a piece at a time.
//
// vLLM's non-streaming tool parsers return a call's arguments as json.dumps of the parsed JSON,
// so a call written {"city":"Paris","days":3} comes back as {"city": "Paris", "days": 3}. To stream
// exactly that text, the normalizer writes each token as soon as it is complete: brackets and
// separators at once, string characters as they come (escapes re-encoded as json.dumps encodes
// them: "\u00e9" becomes "é", "\/" becomes "/"), numbers and literals once they end. What it has
// written is therefore always a prefix of the final text, whatever the split of the input.
//
// The input grammar is strict JSON, as json.loads reads it, except: NaN and Infinity are refused
// (json.loads accepts them), a repeated object key is kept (json.loads keeps the last value only)
// and nesting deeper than max_depth is an error (Python fails past its recursion limit). Integers
// keep all their digits, as Python's do; other numbers go through a double.
//
// feed() stops right after the value: a string, object, array or literal ends with its last byte;
// a number ends at the first byte that cannot continue it, which is not consumed (at the end of
// input, finish() completes it). Leading whitespace is skipped; what follows the value is the
// caller's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::server {

class JsonNormalizer {
 public:
  enum class Status { kIncomplete, kComplete, kError };
  static constexpr int kDefaultMaxDepth = 128;

  explicit JsonNormalizer(int max_depth = kDefaultMaxDepth) : max_depth_(max_depth) {}

  // Consumes bytes of `in` up to the end of the value (or an error), appending the normalized text
  // they complete to `out`. Returns how many bytes it consumed.
  size_t feed(std::string_view in, std::string& out);
  // No more input: completes a number still open at the top level; any other unfinished value is
  // an error.
  Status finish(std::string& out);

  Status status() const;
  // The value's first byte ('{', '[', '"', a digit, '-', 't', 'f', 'n'); 0 before it arrives.
  char first_byte() const { return first_; }

 private:
  enum class State : uint8_t {
    kValue, kFirstItemOrEnd, kFirstKeyOrEnd, kKey, kColon, kCommaOrEnd,
    kString, kEscape, kUnicode, kSurrogateBackslash, kSurrogateU,
    kNumber, kLiteral, kDone, kError,
  };

  // Processes one byte; returns false when it is not consumed (it ended a number).
  bool step(char c, std::string& out);
  bool begin_value(char c, std::string& out);
  void value_done();
  void flush_high_surrogate(std::string& out);
  bool end_number(std::string& out);

  int max_depth_;
  State state_ = State::kValue;
  std::vector<char> stack_;  // open containers: '{' or '['
  bool string_is_key_ = false;
  uint32_t unicode_ = 0;
  int unicode_digits_ = 0;
  uint32_t high_surrogate_ = 0;  // a \uD800-\uDBFF escape waiting for its low half
  std::string number_;
  std::string_view literal_;
  size_t literal_pos_ = 0;
  char first_ = 0;
};

// Appends the json.dumps form of one complete JSON number lexeme; false if it is not one.
bool append_normalized_json_number(std::string_view lexeme, std::string& out);

// The json.dumps form of a whole JSON text (one value, whitespace around it allowed); false if it
// is not one (`out` is then unspecified).
bool normalize_json(std::string_view text, std::string& out, int max_depth = JsonNormalizer::kDefaultMaxDepth);

}  // namespace turbine::server
