#include "tokenizer/vocabulary.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace turbine::tokenizer {

uint64_t hash_bytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

void Vocabulary::add(std::string token, int32_t id) {
  TURBINE_CHECK(id >= 0);
  if (static_cast<size_t>(id) >= tokens_.size()) {
    tokens_.resize(id + 1);
    present_.resize(id + 1, 0);
  }
  count_ += present_[id] ? 0 : 1;
  tokens_[id] = std::move(token);
  present_[id] = 1;
}

void Vocabulary::finish() {
  size_t capacity = 16;
  while (capacity < count_ * 2) capacity *= 2;
  slots_.assign(capacity, Slot{-1, 0, {}});
  mask_ = capacity - 1;
  for (size_t id = 0; id < tokens_.size(); ++id) {
    if (!present_[id]) continue;
    // A token text listed under two ids maps back to the larger one (the later add wins).
    insert_slot(static_cast<int32_t>(id));
  }
}

bool Vocabulary::slot_matches(const Slot& slot, std::string_view token) const {
  if (slot.length != std::min<size_t>(token.size(), 255)) return false;
  const size_t inline_bytes = std::min(token.size(), kInlineBytes);
  if (std::memcmp(slot.prefix, token.data(), inline_bytes) != 0) return false;
  return token.size() <= kInlineBytes || tokens_[slot.id] == token;
}

void Vocabulary::insert_slot(int32_t id) {
  const std::string& text = tokens_[id];
  for (uint64_t i = hash_bytes(text) & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.id < 0) {
      slot.id = id;
      slot.length = static_cast<uint8_t>(std::min<size_t>(text.size(), 255));
      std::memset(slot.prefix, 0, kInlineBytes);
      std::memcpy(slot.prefix, text.data(), std::min(text.size(), kInlineBytes));
      return;
    }
    if (slot_matches(slot, text)) {
      slot.id = id;
      return;
    }
  }
}

int32_t Vocabulary::find_or_negative(std::string_view token) const {
  if (slots_.empty()) return -1;
  for (uint64_t i = hash_bytes(token) & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot_matches(slot, token)) return slot.id;
  }
}

}  // namespace turbine::tokenizer
