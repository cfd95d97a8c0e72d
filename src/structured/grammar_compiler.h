// GrammarCompiler: ConstraintSpec -> CompiledGrammar for one model's vocabulary, with a cache.
//
// One per served model, shared by the API threads (which compile a request's constraint before
// submitting it, so that a bad one is a 400 and the compile happens off the engine thread) and
// the runner (which finds the compiled grammar in the cache). Thread-safe: concurrent requests
// for one spec compile it once and share the result. The cache keeps the most recently used
// `capacity` grammars; a grammar still held by a request stays valid after eviction.
#pragma once

#include <cstddef>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "structured/compiled_grammar.h"
#include "structured/constraint_spec.h"
#include "structured/token_vocabulary.h"

namespace turbine::structured {

class GrammarCompiler {
 public:
  explicit GrammarCompiler(std::shared_ptr<const TokenVocabulary> vocabulary, size_t capacity = 256);

  // The compiled grammar for `spec`; throws turbine::Error for an invalid spec (every caller
  // waiting on the same spec gets the same error).
  std::shared_ptr<const CompiledGrammar> get(const ConstraintSpec& spec);

  const TokenVocabulary& vocabulary() const { return *vocabulary_; }

 private:
  using Result = std::shared_future<std::shared_ptr<const CompiledGrammar>>;
  std::shared_ptr<const TokenVocabulary> vocabulary_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::string> lru_;  // most recent first
  struct Entry {
    Result result;
    std::list<std::string>::iterator position;
  };
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace turbine::structured
