// Vocabulary: the bidirectional token <-> id table of a model.
//
// Lookups by text use an open-addressing hash table (XXH3) whose slots hold the first bytes of
// their token, so that a lookup of a short token touches one cache line and never builds a
// std::string. Immutable after construction, so concurrent lookups are safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::tokenizer {

class Vocabulary {
 public:
  Vocabulary() = default;

  // Adds a token. Ids may come in any order and leave holes; a repeated token keeps its last id.
  // Call finish() once after the last add().
  void add(std::string token, int32_t id);
  void finish();

  std::optional<int32_t> find(std::string_view token) const {
    const int32_t id = find_or_negative(token);
    if (id < 0) return std::nullopt;
    return id;
  }
  int32_t find_or_negative(std::string_view token) const;

  // Token text of `id`, or nullptr for an id outside the table or a hole.
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !present_[id]) return nullptr;
    return &tokens_[id];
  }

  // One more than the largest id.
  int32_t id_limit() const { return static_cast<int32_t>(tokens_.size()); }
  size_t size() const { return count_; }

 private:
  static constexpr size_t kInlineBytes = 11;
  struct Slot {
    int32_t id;       // -1 when empty
    uint8_t length;   // token length, capped at 255 (longer tokens compare in full)
    char prefix[kInlineBytes];  // the token's first bytes, zero-padded
  };
  bool slot_matches(const Slot& slot, std::string_view token) const;
  void insert_slot(int32_t id);

  std::vector<std::string> tokens_;
  std::vector<uint8_t> present_;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t count_ = 0;
};

uint64_t hash_bytes(std::string_view bytes);

}  // namespace turbine::tokenizer
