// PreTokenized: a text buffer cut into pieces (words) that the model tokenizes one by one.
//
// Pre-tokenizers rewrite a PreTokenized: splitting only replaces `pieces` (the text stays),
// transforming (byte-level mapping, Metaspace) writes a new buffer. A piece remembers whether it
// starts at offset 0 of the caller's original input, because Metaspace's prepend_scheme "first"
// depends on that.
//
// split_piece implements Hugging Face's SplitDelimiterBehavior on a list of matches.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace turbine::tokenizer {

struct Piece {
  uint32_t begin;
  uint32_t end;
  bool at_original_start;
};

struct PreTokenized {
  std::string text;
  std::vector<Piece> pieces;

  std::string_view view(const Piece& piece) const {
    return std::string_view(text).substr(piece.begin, piece.end - piece.begin);
  }
};

struct SplitEvent {
  uint32_t begin;
  uint32_t end;
  bool is_match;
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Parses "Removed", "Isolated", ...; throws turbine::Error naming `where` otherwise.
SplitBehavior parse_split_behavior(std::string_view name, std::string_view where);

// Splits `piece` at `matches` (absolute, sorted, non-overlapping, inside the piece) following
// `behavior`, and appends the non-empty results to `out`. With `invert`, the text between
// matches plays the role of the delimiters. `scratch` is reused storage.
void split_piece(const Piece& piece, std::span<const MatchRange> matches, SplitBehavior behavior,
                 bool invert, std::vector<Piece>& out, std::vector<SplitEvent>& scratch);

}  // namespace turbine::tokenizer
