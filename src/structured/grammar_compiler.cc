#include "structured/grammar_compiler.h"


namespace turbine::structured {

GrammarCompiler::GrammarCompiler(std::shared_ptr<const TokenVocabulary> vocabulary, size_t capacity)
    : vocabulary_(std::move(vocabulary)), capacity_(std::max<size_t>(capacity, 1)) {}

std::shared_ptr<const CompiledGrammar> GrammarCompiler::get(const ConstraintSpec& spec) {
  const std::string key = spec.key();
  std::promise<std::shared_ptr<const CompiledGrammar>> promise;
  Result result;
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      result = it->second.result;
    }
  }
  if (result.valid()) return result.get();  // a waiter on another thread's compile blocks here

  // Claim the key (another thread may have claimed it since the lookup: then wait on its).
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      result = it->second.result;
    } else {
      lru_.push_front(key);
      cache_.emplace(key, Entry{promise.get_future().share(), lru_.begin()});
      while (cache_.size() > capacity_) {
        cache_.erase(lru_.back());
        lru_.pop_back();
      }
    }
  }
  if (result.valid()) return result.get();

  try {
    auto compiled = CompiledGrammar::compile(grammar_of(spec), vocabulary_);
    promise.set_value(compiled);
    return compiled;
  } catch (...) {
    promise.set_exception(std::current_exception());
    std::lock_guard lock(mutex_);
    // An invalid spec is not kept: it would only crowd out good ones.
    if (auto it = cache_.find(key); it != cache_.end()) {
      lru_.erase(it->second.position);
      cache_.erase(it);
    }
    throw;
  }
}

}  // namespace turbine::structured
