#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <bit>

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {

// (left id, right id) -> (rank, merged id), open addressing with Fibonacci hashing.
struct BpeModel::MergeTable {
  struct Entry {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t merged_id = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  explicit MergeTable(size_t count) {
    size_t capacity = 16;
    bits = 4;
    while (capacity < count * 2) {
      capacity *= 2;
      ++bits;
    }
    entries.resize(capacity);
  }
  static uint64_t key_of(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  size_t index_of(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> (64 - bits); }

  // A repeated pair keeps its last rank, as a Rust HashMap insert would.
  void insert(int32_t left, int32_t right, int32_t rank, int32_t merged_id) {
    const uint64_t key = key_of(left, right);
    const size_t mask = entries.size() - 1;
    for (size_t i = index_of(key);; i = (i + 1) & mask) {
      if (entries[i].key == kEmpty || entries[i].key == key) {
        entries[i] = {key, rank, merged_id};
        return;
      }
    }
  }
  const Entry* find(int32_t left, int32_t right) const {
    const uint64_t key = key_of(left, right);
    const size_t mask = entries.size() - 1;
    for (size_t i = index_of(key);; i = (i + 1) & mask) {
      if (entries[i].key == key) return &entries[i];
      if (entries[i].key == kEmpty) return nullptr;
    }
  }

  std::vector<Entry> entries;
  int bits;
};

// Memoized word -> ids, split into shards with one mutex each so that threads rarely contend.
// Each shard is an open-addressing table over an arena of key bytes and ids; a full shard is
// cleared rather than evicting entry by entry: cheap, and the working set of frequent words
// refills it at once.
class BpeModel::WordCache {
 public:
  bool find(std::string_view word, uint64_t hash, std::vector<int32_t>& ids) const {
    const Shard& shard = shards_[hash >> (64 - kShardBits)];
    std::lock_guard lock(shard.mutex);
    const int32_t entry = shard.lookup(word, hash);
    if (entry < 0) return false;
    const Entry& e = shard.entries[entry];
    ids.insert(ids.end(), shard.ids.begin() + e.ids_offset,
               shard.ids.begin() + e.ids_offset + e.id_count);
    return true;
  }

  void insert(std::string_view word, uint64_t hash, std::span<const int32_t> ids) {
    Shard& shard = shards_[hash >> (64 - kShardBits)];
    std::lock_guard lock(shard.mutex);
    if (shard.entries.size() >= kShardEntries) shard.clear();
    if (shard.slots.empty()) shard.slots.assign(kShardSlots, Slot{0, -1});
    if (shard.lookup(word, hash) >= 0) return;  // another thread got here first
    shard.entries.push_back({static_cast<uint32_t>(shard.keys.size()),
                             static_cast<uint32_t>(word.size()),
                             static_cast<uint32_t>(shard.ids.size()),
                             static_cast<uint32_t>(ids.size())});
    shard.keys.append(word);
    shard.ids.insert(shard.ids.end(), ids.begin(), ids.end());
    const size_t mask = kShardSlots - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (shard.slots[i].entry < 0) {
        shard.slots[i] = {hash, static_cast<int32_t>(shard.entries.size() - 1)};
        return;
      }
    }
  }

 private:
  static constexpr int kShardBits = 6;
  static constexpr size_t kShardEntries = 2048;
  static constexpr size_t kShardSlots = 4096;  // at most half full
  struct Slot {
    uint64_t hash;
    int32_t entry;  // -1 when empty
  };
  struct Entry {
    uint32_t key_offset;
    uint32_t key_length;
    uint32_t ids_offset;
    uint32_t id_count;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::vector<Slot> slots;
    std::vector<Entry> entries;
    std::string keys;
    std::vector<int32_t> ids;

    int32_t lookup(std::string_view word, uint64_t hash) const {
      if (slots.empty()) return -1;
      const size_t mask = kShardSlots - 1;
      for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot& slot = slots[i];
        if (slot.entry < 0) return -1;
        if (slot.hash != hash) continue;
        const Entry& e = entries[slot.entry];
        if (std::string_view(keys).substr(e.key_offset, e.key_length) == word) return slot.entry;
      }
    }
    void clear() {
      slots.assign(kShardSlots, Slot{0, -1});
      entries.clear();
      keys.clear();
      ids.clear();
    }
  };
  std::array<Shard, size_t{1} << kShardBits> shards_;
};

// Set of (character, next character) pairs, open addressing over packed 64-bit keys.
class BpeModel::PairSet {
 public:
  void insert(char32_t first, char32_t second) {
    if ((count_ + 1) * 2 > keys_.size()) grow();
    if (insert_key(key_of(first, second))) ++count_;
  }
  bool contains(char32_t first, char32_t second) const {
    const uint64_t key = key_of(first, second);
    const size_t mask = keys_.size() - 1;
    for (size_t i = index_of(key);; i = (i + 1) & mask) {
      if (keys_[i] == key) return true;
      if (keys_[i] == kEmpty) return false;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t key_of(char32_t first, char32_t second) {
    return (uint64_t(first) << 32) | uint64_t(second);
  }
  size_t index_of(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
  bool insert_key(uint64_t key) {
    const size_t mask = keys_.size() - 1;
    for (size_t i = index_of(key);; i = (i + 1) & mask) {
      if (keys_[i] == key) return false;
      if (keys_[i] == kEmpty) {
        keys_[i] = key;
        return true;
      }
    }
  }
  void grow() {
    std::vector<uint64_t> old = std::move(keys_);
    keys_.assign(old.empty() ? 1024 : old.size() * 2, kEmpty);
    shift_ = 64 - std::countr_zero(keys_.size());
    for (const uint64_t key : old) {
      if (key != kEmpty) insert_key(key);
    }
  }
  std::vector<uint64_t> keys_;
  size_t count_ = 0;
  int shift_ = 64;
};

BpeModel::BpeModel(Vocabulary vocabulary,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options, std::string_view where)
    : vocabulary_(std::move(vocabulary)),
      options_(std::move(options)),
      merges_(std::make_unique<MergeTable>(merges.size())),
      cache_(std::make_unique<WordCache>()) {
  if (options_.unk_token) {
    const auto id = vocabulary_.find(*options_.unk_token);
    if (!id) fail("{}: unk_token \"{}\" is not in the vocabulary", where, *options_.unk_token);
    unk_id_ = *id;
  }
  has_all_byte_tokens_ = true;
  for (int b = 0; b < 256; ++b) {
    byte_fallback_ids_[b] = vocabulary_.find_or_negative(fmt::format("<0x{:02X}>", b));
    has_all_byte_tokens_ = has_all_byte_tokens_ && byte_fallback_ids_[b] >= 0;
  }
  plain_chars_ = !options_.continuing_subword_prefix && !options_.end_of_word_suffix;
  small_char_ids_.resize(kDirectCharIds);
  std::string text;
  for (char32_t c = 0; c < kDirectCharIds; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      small_char_ids_[c] = -1;
      continue;
    }
    text.clear();
    utf8::append(text, c);
    small_char_ids_[c] = vocabulary_.find_or_negative(text);
  }

  if (plain_chars_) {
    token_pairs_ = std::make_unique<PairSet>();
    for (int32_t id = 0; id < vocabulary_.id_limit(); ++id) {
      const std::string* token = vocabulary_.token(id);
      if (token == nullptr || !utf8::is_valid(*token)) continue;
      char32_t previous = 0;
      for (size_t pos = 0; pos < token->size();) {
        char32_t c;
        const bool first = pos == 0;
        pos += utf8::decode(*token, pos, &c);
        if (!first) token_pairs_->insert(previous, c);
        previous = c;
      }
    }
  }

  const std::string& prefix = options_.continuing_subword_prefix.value_or(std::string());
  std::string merged;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const int32_t left_id = vocabulary_.find_or_negative(left);
    const int32_t right_id = vocabulary_.find_or_negative(right);
    if (left_id < 0 || right_id < 0) {
      fail("{}: merge {} (\"{}\" \"{}\") uses a token that is not in the vocabulary", where,
           rank, left, right);
    }
    merged.assign(left);
    if (!prefix.empty() && right.rfind(prefix, 0) == 0) {
      merged.append(right, prefix.size());
    } else {
      merged.append(right);
    }
    const int32_t merged_id = vocabulary_.find_or_negative(merged);
    if (merged_id < 0) {
      fail("{}: merge {} (\"{}\" \"{}\") makes \"{}\", which is not in the vocabulary", where,
           rank, left, right, merged);
    }
    merges_->insert(left_id, right_id, static_cast<int32_t>(rank), merged_id);
  }
}

BpeModel::~BpeModel() = default;

std::unique_ptr<BpeModel> BpeModel::from_json(const Json& config, std::string_view where) {
  const Json& vocab_json = require_field(config, "vocab", where);
  if (!vocab_json.is_object()) fail("{}: \"vocab\" must be an object of token -> id", where);
  Vocabulary vocabulary;
  for (const auto& [token, id] : vocab_json.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      fail("{}: vocab entry \"{}\" must have a non-negative integer id", where, token);
    }
    vocabulary.add(token, id.get<int32_t>());
  }
  vocabulary.finish();

  std::vector<std::pair<std::string, std::string>> merges;
  if (const Json* merges_json = optional_field(config, "merges")) {
    if (!merges_json->is_array()) fail("{}: \"merges\" must be an array", where);
    merges.reserve(merges_json->size());
    for (size_t i = 0; i < merges_json->size(); ++i) {
      const Json& merge = (*merges_json)[i];
      if (merge.is_string()) {
        const std::string& text = merge.get_ref<const std::string&>();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
          fail("{}: merge {} (\"{}\") must be two tokens separated by one space", where, i, text);
        }
        merges.emplace_back(text.substr(0, space), text.substr(space + 1));
      } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                 merge[1].is_string()) {
        merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      } else {
        fail("{}: merge {} must be \"a b\" or [\"a\", \"b\"], got {}", where, i, merge.dump());
      }
    }
  }

  BpeOptions options;
  options.unk_token = optional_string_field(config, "unk_token", where);
  options.continuing_subword_prefix =
      optional_string_field(config, "continuing_subword_prefix", where);
  options.end_of_word_suffix = optional_string_field(config, "end_of_word_suffix", where);
  options.fuse_unk = bool_field(config, "fuse_unk", false, where);
  options.byte_fallback = bool_field(config, "byte_fallback", false, where);
  options.ignore_merges = bool_field(config, "ignore_merges", false, where);
  return std::make_unique<BpeModel>(std::move(vocabulary), merges, std::move(options), where);
}

int32_t BpeModel::char_id(std::string_view text, bool first, bool last,
                          std::string& scratch) const {
  if (plain_chars_) {
    if (text.size() <= 3) {
      char32_t c;
      utf8::decode(text, 0, &c);
      return small_char_ids_[c];
    }
    return vocabulary_.find_or_negative(text);
  }
  scratch.clear();
  if (!first && options_.continuing_subword_prefix) scratch.append(*options_.continuing_subword_prefix);
  scratch.append(text);
  if (last && options_.end_of_word_suffix) scratch.append(*options_.end_of_word_suffix);
  return vocabulary_.find_or_negative(scratch);
}

bool BpeModel::is_known_char(std::string_view text) const {
  if (text.size() <= 3) {
    char32_t c;
    utf8::decode(text, 0, &c);
    return small_char_ids_[c] >= 0;
  }
  return vocabulary_.find_or_negative(text) >= 0;
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    const int32_t id = vocabulary_.find_or_negative(word);
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
  }
  if (word.size() <= kCutWordsLongerThan || !token_pairs_) {
    tokenize_piece(word, ids);
    return;
  }
  // Cut between two known characters that no vocabulary token has side by side. Unknown
  // characters (byte fallback, unk fusion) stay attached to their neighbours.
  size_t piece_start = 0;
  char32_t previous = 0;
  bool previous_known = false;
  for (size_t pos = 0; pos < word.size();) {
    char32_t c;
    const int length = utf8::decode(word, pos, &c);
    const bool known = is_known_char(word.substr(pos, length));
    if (pos > piece_start && previous_known && known && !token_pairs_->contains(previous, c)) {
      tokenize_piece(word.substr(piece_start, pos - piece_start), ids);
      piece_start = pos;
    }
    previous = c;
    previous_known = known;
    pos += length;
  }
  tokenize_piece(word.substr(piece_start), ids);
}

void BpeModel::tokenize_piece(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.size() > kMaxCachedWordBytes) {
    merge_word(piece, ids);
    return;
  }
  const uint64_t hash = hash_bytes(piece);
  if (cache_->find(piece, hash, ids)) return;
  const size_t start = ids.size();
  merge_word(piece, ids);
  cache_->insert(piece, hash, std::span<const int32_t>(ids).subspan(start));
}

namespace {

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t length;  // bytes of the word covered; 0 once merged into its left neighbour
};

struct MergeCandidate {
  int32_t rank;
  int32_t pos;
  int32_t merged_id;
  // std::push_heap builds a max-heap: "less" means lower priority, i.e. higher rank, then
  // further right.
  bool operator<(const MergeCandidate& other) const {
    if (rank != other.rank) return rank > other.rank;
    return pos > other.pos;
  }
};

}  // namespace

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& ids) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto push_symbol = [&](int32_t id, uint32_t length) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, length});
    if (index > 0) symbols[index - 1].next = index;
  };

  // 1. One symbol per character (or per byte under byte_fallback, or a run of unknowns).
  std::string scratch;
  int32_t pending_unk_length = 0;  // bytes of a pending (possibly fused) unk symbol
  for (size_t pos = 0; pos < word.size();) {
    const int length = utf8::char_length(static_cast<uint8_t>(word[pos]));
    const bool first = pos == 0;
    const bool last = pos + length >= word.size();
    const std::string_view text = word.substr(pos, length);
    pos += length;
    const int32_t id = char_id(text, first, last, scratch);
    if (id >= 0) {
      if (pending_unk_length > 0) {
        push_symbol(unk_id_, pending_unk_length);
        pending_unk_length = 0;
      }
      push_symbol(id, length);
      continue;
    }
    if (options_.byte_fallback) {
      // Byte fallback looks up the bytes of the decorated text, as Hugging Face does.
      const std::string_view bytes = plain_chars_ ? text : std::string_view(scratch);
      bool all_found = true;
      for (unsigned char b : bytes) all_found = all_found && byte_fallback_ids_[b] >= 0;
      if (all_found) {
        for (unsigned char b : bytes) push_symbol(byte_fallback_ids_[b], 1);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (pending_unk_length > 0 && !options_.fuse_unk) {
        push_symbol(unk_id_, pending_unk_length);
        pending_unk_length = 0;
      }
      pending_unk_length += length;
    }
    // Without an unk token an unknown character is dropped.
  }
  if (pending_unk_length > 0) push_symbol(unk_id_, pending_unk_length);

  // 2. Merge the best-ranked pair until none is left.
  if (symbols.size() > 1) {
    std::vector<MergeCandidate> heap;
    heap.reserve(symbols.size() * 2);
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      if (const auto* m = merges_->find(symbols[i].id, symbols[i + 1].id)) {
        heap.push_back({m->rank, static_cast<int32_t>(i), m->merged_id});
      }
    }
    std::make_heap(heap.begin(), heap.end());
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end());
      const MergeCandidate top = heap.back();
      heap.pop_back();
      Symbol& left = symbols[top.pos];
      if (left.length == 0 || left.next < 0) continue;
      const int32_t right_index = left.next;
      Symbol& right = symbols[right_index];
      // Skip stale candidates: the pair at `pos` must still merge into the same token.
      const auto* current = merges_->find(left.id, right.id);
      if (current == nullptr || current->merged_id != top.merged_id) continue;

      left.id = top.merged_id;
      left.length += right.length;
      left.next = right.next;
      right.length = 0;
      if (left.next >= 0) symbols[left.next].prev = top.pos;

      if (left.prev >= 0) {
        if (const auto* m = merges_->find(symbols[left.prev].id, left.id)) {
          heap.push_back({m->rank, left.prev, m->merged_id});
          std::push_heap(heap.begin(), heap.end());
        }
      }
      if (left.next >= 0) {
        if (const auto* m = merges_->find(left.id, symbols[left.next].id)) {
          heap.push_back({m->rank, top.pos, m->merged_id});
          std::push_heap(heap.begin(), heap.end());
        }
      }
    }
  }

  for (const Symbol& symbol : symbols) {
    if (symbol.length > 0) ids.push_back(symbol.id);
  }
}

}  // namespace turbine::tokenizer
