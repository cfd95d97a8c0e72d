#include "tokenizer/unigram_model.h"

#include <algorithm>
#include <limits>

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;

}  // namespace

UnigramModel::UnigramModel(const std::vector<std::pair<std::string, double>>& pieces,
                           std::optional<int32_t> unk_id, bool byte_fallback,
                           std::string_view where)
    : byte_fallback_(byte_fallback), where_(where) {
  double min_score = std::numeric_limits<double>::infinity();
  scores_.reserve(pieces.size());
  for (size_t id = 0; id < pieces.size(); ++id) {
    const auto& [token, score] = pieces[id];
    vocabulary_.add(token, static_cast<int32_t>(id));
    scores_.push_back(score);
    min_score = std::min(min_score, score);
  }
  vocabulary_.finish();
  // The trie maps each token to its id as the vocabulary resolves it (the last of duplicates).
  for (const auto& [token, score] : pieces) {
    if (!token.empty()) trie_.insert(token, vocabulary_.find_or_negative(token));
  }
  if (unk_id) {
    if (*unk_id < 0 || static_cast<size_t>(*unk_id) >= pieces.size()) {
      fail("{}: unk_id {} is outside the vocabulary of {} entries", where, *unk_id, pieces.size());
    }
    unk_id_ = *unk_id;
  }
  unk_score_ = (pieces.empty() ? 0.0 : min_score) - kUnkPenalty;
}

std::unique_ptr<UnigramModel> UnigramModel::from_json(const Json& config, std::string_view where) {
  const Json& vocab_json = require_field(config, "vocab", where);
  if (!vocab_json.is_array()) fail("{}: \"vocab\" must be an array of [token, score]", where);
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(vocab_json.size());
  for (size_t i = 0; i < vocab_json.size(); ++i) {
    const Json& entry = vocab_json[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      fail("{}: vocab entry {} must be [token, score], got {}", where, i, entry.dump());
    }
    pieces.emplace_back(entry[0].get<std::string>(), entry[1].get<double>());
  }
  std::optional<int32_t> unk_id;
  if (const Json* unk = optional_field(config, "unk_id")) {
    if (!unk->is_number_integer()) fail("{}: \"unk_id\" must be an integer", where);
    unk_id = unk->get<int32_t>();
  }
  return std::make_unique<UnigramModel>(pieces, unk_id, bool_field(config, "byte_fallback", false, where),
                                        where);
}

void UnigramModel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  struct Node {
    double score = 0;
    int32_t start = -1;  // -1: not reached yet
    int32_t id = -1;
  };
  const size_t size = word.size();
  std::vector<Node> best(size + 1);
  best[0].start = 0;
  for (size_t start = 0; start < size;) {
    const int char_length = utf8::char_length(static_cast<uint8_t>(word[start]));
    const double base = best[start].score;
    bool has_single_char = false;
    trie_.for_each_prefix(word.substr(start), [&](size_t length, int32_t id) {
      Node& target = best[start + length];
      const double candidate = base + scores_[id];
      if (target.start < 0 || candidate > target.score) {
        target = {candidate, static_cast<int32_t>(start), id};
      }
      has_single_char = has_single_char || static_cast<int>(length) == char_length;
      return true;
    });
    if (!has_single_char) {
      if (unk_id_ < 0) {
        fail("{}: the text has a character the vocabulary lacks and the model has no unk_id",
             where_);
      }
      Node& target = best[start + char_length];
      const double candidate = base + unk_score_;
      if (target.start < 0 || candidate > target.score) {
        target = {candidate, static_cast<int32_t>(start), unk_id_};
      }
    }
    start += char_length;
  }

  // Walk back, fusing runs of unk pieces, then emit in order.
  struct Segment {
    uint32_t begin;
    uint32_t end;
    int32_t id;  // -1 for a fused unknown run
  };
  std::vector<Segment> segments;
  for (size_t end = size; end > 0;) {
    const Node& node = best[end];
    const auto begin = static_cast<uint32_t>(node.start);
    if (node.id == unk_id_) {
      if (!segments.empty() && segments.back().id < 0) {
        segments.back().begin = begin;
      } else {
        segments.push_back({begin, static_cast<uint32_t>(end), -1});
      }
    } else {
      segments.push_back({begin, static_cast<uint32_t>(end), node.id});
    }
    end = begin;
  }
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (it->id >= 0) {
      ids.push_back(it->id);
      continue;
    }
    const std::string_view text = word.substr(it->begin, it->end - it->begin);
    const int32_t known = vocabulary_.find_or_negative(text);
    if (known >= 0) {
      ids.push_back(known);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (unsigned char b : text) {
        const int32_t id = vocabulary_.find_or_negative(fmt::format("<0x{:02X}>", b));
        if (id < 0) break;
        bytes.push_back(id);
      }
      if (bytes.size() == text.size()) {
        ids.insert(ids.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    ids.push_back(unk_id_);
  }
}

}  // namespace turbine::tokenizer
