#include "structured/compiled_grammar.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "structured/pushdown_parser.h"

namespace turbine::structured {
namespace {

// One trie walk from a single stack top (state, kEscapeBottom): classifies every token.
class StateTokenWalk {
 public:
  StateTokenWalk(const GrammarAutomaton& a, const TokenVocabulary& v) : parser_(a), vocab_(v) {}

  CompiledGrammar::StateTokens run(StateId state) {
    pool_.truncate(0);
    const auto nodes = vocab_.nodes();
    const size_t max_depth = max_depth_of(nodes);
    if (levels_.size() < max_depth + 1) levels_.resize(max_depth + 1);
    if (escaped_before_.size() < max_depth + 1) escaped_before_.resize(max_depth + 1);
    levels_[0].clear();
    levels_[0].tops.push_back({state, kEscapeBottom});
    escaped_before_[0] = false;
    accepted_.clear();
    uncertain_.clear();

    for (size_t i = 1; i < nodes.size();) {
      const TokenVocabulary::Node& n = nodes[i];
      const size_t d = size_t(n.depth);
      const ParseState& parent = levels_[d - 1];
      const bool escaped_earlier = escaped_before_[d - 1];
      ParseState& here = levels_[d];
      here.clear();
      if (!parent.tops.empty()) parser_.step(pool_, parent, n.byte, here);
      if (here.tops.empty() && !here.escaped && !escaped_earlier) {
        i = size_t(n.subtree_end);  // every token under this prefix is rejected
        continue;
      }
      // Tokens ending here: consumed by a live path, or returning exactly at their last byte.
      const bool accepted = !here.tops.empty() || here.escaped;
      for (int32_t id : vocab_.token_ids(n)) (accepted ? accepted_ : uncertain_).push_back(id);
      escaped_before_[d] = escaped_earlier || here.escaped;
      if (here.tops.empty()) {
        // Only escaped paths remain: every longer token under this prefix is uncertain.
        for (size_t j = i + 1; j < size_t(n.subtree_end); ++j)
          for (int32_t id : vocab_.token_ids(nodes[j])) uncertain_.push_back(id);
        i = size_t(n.subtree_end);
        continue;
      }
      ++i;
    }

    CompiledGrammar::StateTokens out;
    const int32_t words = vocab_.mask_words();
    if (int64_t(accepted_.size()) > int64_t(words)) {
      out.accepted_bits.assign(size_t(words), 0);
      for (int32_t id : accepted_) out.accepted_bits[size_t(id) >> 5] |= uint32_t(1) << (id & 31);
    } else {
      out.accepted_ids = accepted_;
    }
    out.uncertain_ids = uncertain_;
    return out;
  }

 private:
  static size_t max_depth_of(std::span<const TokenVocabulary::Node> nodes) {
    size_t d = 0;
    for (const auto& n : nodes) d = std::max(d, size_t(n.depth));
    return d;
  }

  PushdownParser parser_;
  const TokenVocabulary& vocab_;
  FramePool pool_;
  std::vector<ParseState> levels_;
  std::vector<uint8_t> escaped_before_;
  std::vector<int32_t> accepted_, uncertain_;
};

}  // namespace

std::shared_ptr<const CompiledGrammar> CompiledGrammar::compile(const Grammar& grammar,
                                                                std::shared_ptr<const TokenVocabulary> vocabulary,
                                                                const AutomatonLimits& limits) {
  auto g = std::make_shared<CompiledGrammar>();
  g->automaton_ = GrammarAutomaton::build(grammar, limits);
  g->vocabulary_ = std::move(vocabulary);
  g->tokens_.resize(size_t(g->automaton_.num_states()));
  g->built_ = std::make_unique<std::once_flag[]>(size_t(g->automaton_.num_states()));
  std::vector<StateId> states;
  for (StateId s = 0; s < g->automaton_.num_states(); ++s)
    if (g->automaton_.has_byte_edges(s)) states.push_back(s);
  if (states.size() > size_t(kEagerTableStates)) return g;  // built on demand (see the header)
  // States are independent walks: split them over a few threads (the compile runs on a request's
  // worker thread, and its time is the first such request's wait).
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::min<size_t>({size_t(hw), size_t(8), (states.size() + 15) / 16});
  std::atomic<size_t> next{0};
  const CompiledGrammar& cg = *g;
  auto work = [&] {
    for (size_t i = next++; i < states.size(); i = next++) cg.tokens(states[i]);
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  return g;
}

const CompiledGrammar::StateTokens& CompiledGrammar::tokens(StateId s) const {
  std::call_once(built_[size_t(s)], [&] {
    if (automaton_.has_byte_edges(s)) tokens_[size_t(s)] = build_tokens(s);
  });
  return tokens_[size_t(s)];
}

CompiledGrammar::StateTokens CompiledGrammar::build_tokens(StateId s) const {
  StateTokenWalk walk(automaton_, *vocabulary_);  // its buffers cost little beside the walk itself
  return walk.run(s);
}

size_t CompiledGrammar::num_uncertain() const {
  size_t n = 0;
  for (const StateTokens& t : tokens_) n += t.uncertain_ids.size();
  return n;
}

size_t CompiledGrammar::memory_bytes() const {
  size_t n = 0;
  for (const StateTokens& t : tokens_)
    n += 4 * (t.accepted_bits.size() + t.accepted_ids.size() + t.uncertain_ids.size());
  return n;
}

}  // namespace turbine::structured
