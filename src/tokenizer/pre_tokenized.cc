#include "tokenizer/pre_tokenized.h"

#include "common/error.h"

namespace turbine::tokenizer {

SplitBehavior parse_split_behavior(std::string_view name, std::string_view where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  fail("{}: unknown split behavior \"{}\"", where, name);
}

void split_piece(const Piece& piece, std::span<const MatchRange> matches, SplitBehavior behavior,
                 bool invert, std::vector<Piece>& out, std::vector<SplitEvent>& events) {
  auto emit = [&](uint32_t begin, uint32_t end) {
    if (begin == end) return;
    out.push_back({begin, end, piece.at_original_start && begin == piece.begin});
  };
  if (matches.empty()) {
    // No delimiter: the whole piece is one non-match (or, inverted, one match).
    const bool is_match = invert;
    if (!(is_match && behavior == SplitBehavior::kRemoved)) emit(piece.begin, piece.end);
    return;
  }
  if (behavior == SplitBehavior::kIsolated) {
    // Every match and every gap becomes its own piece, whatever `invert` says.
    uint32_t previous = piece.begin;
    for (const MatchRange& m : matches) {
      emit(previous, m.begin);
      emit(m.begin, m.end);
      previous = m.end;
    }
    emit(previous, piece.end);
    return;
  }

  events.clear();
  uint32_t previous = piece.begin;
  for (const MatchRange& m : matches) {
    if (previous != m.begin) events.push_back({previous, m.begin, invert});
    events.push_back({m.begin, m.end, !invert});
    previous = m.end;
  }
  if (previous != piece.end) events.push_back({previous, piece.end, invert});

  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const SplitEvent& e : events) {
        if (!e.is_match) emit(e.begin, e.end);
      }
      return;
    case SplitBehavior::kIsolated:
      return;  // handled above
    case SplitBehavior::kContiguous: {
      // Consecutive matches fuse into one piece.
      std::vector<MatchRange> merged;
      bool previous_match = false;
      for (const SplitEvent& e : events) {
        if (e.is_match == previous_match && !merged.empty()) {
          merged.back().end = e.end;
        } else {
          merged.push_back({e.begin, e.end});
        }
        previous_match = e.is_match;
      }
      for (const MatchRange& r : merged) emit(r.begin, r.end);
      return;
    }
    case SplitBehavior::kMergedWithPrevious: {
      // A match joins the piece before it.
      std::vector<MatchRange> merged;
      bool previous_match = false;
      for (const SplitEvent& e : events) {
        if (e.is_match && !previous_match && !merged.empty()) {
          merged.back().end = e.end;
        } else {
          merged.push_back({e.begin, e.end});
        }
        previous_match = e.is_match;
      }
      for (const MatchRange& r : merged) emit(r.begin, r.end);
      return;
    }
    case SplitBehavior::kMergedWithNext: {
      // A match joins the piece after it (scan from the right).
      std::vector<MatchRange> merged;
      bool previous_match = false;
      for (auto it = events.rbegin(); it != events.rend(); ++it) {
        if (it->is_match && !previous_match && !merged.empty()) {
          merged.back().begin = it->begin;
        } else {
          merged.push_back({it->begin, it->end});
        }
        previous_match = it->is_match;
      }
      for (auto it = merged.rbegin(); it != merged.rend(); ++it) emit(it->begin, it->end);
      return;
    }
  }
}

}  // namespace turbine::tokenizer
