#include "server/stop_string_scanner.h"

namespace turbine::server {

StopStringScanner::StopStringScanner(std::vector<std::string> stop_strings, bool include_in_output)
    : include_in_output_(include_in_output) {
  for (std::string& s : stop_strings) {
    if (s.empty()) continue;
    Automaton a;
    a.failure.assign(s.size() + 1, 0);
    for (size_t i = 1, k = 0; i < s.size(); ++i) {
      while (k > 0 && s[i] != s[k]) k = a.failure[k];
      if (s[i] == s[k]) ++k;
      a.failure[i + 1] = k;
    }
    a.stop = std::move(s);
    automata_.push_back(std::move(a));
  }
}

std::string StopStringScanner::append(std::string_view text, bool may_stop) {
  if (matched_) return {};
  const size_t old_size = pending_.size();
  pending_.append(text);
  // Run every automaton over the new bytes; remember the earliest-starting match (ties: the
  // longer string, then the client's order).
  size_t best_start = std::string::npos;
  const std::string* best = nullptr;
  for (Automaton& a : automata_) {
    for (size_t i = old_size; i < pending_.size(); ++i) {
      while (a.state > 0 && pending_[i] != a.stop[a.state]) a.state = a.failure[a.state];
      if (pending_[i] == a.stop[a.state]) ++a.state;
      if (a.state == a.stop.size()) {
        const size_t start = i + 1 - a.stop.size();
        if (may_stop && (start < best_start || (start == best_start && a.stop.size() > best->size()))) {
          best_start = start;
          best = &a.stop;
        }
        a.state = a.failure[a.state];  // keep the state a proper prefix
      }
    }
  }
  if (best) {
    matched_ = *best;
    std::string released = pending_.substr(0, include_in_output_ ? best_start + best->size() : best_start);
    pending_.clear();
    return released;
  }
  size_t keep = 0;
  for (const Automaton& a : automata_) keep = std::max(keep, a.state);
  std::string released = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  return released;
}

std::string StopStringScanner::flush() {
  std::string released;
  released.swap(pending_);
  return released;
}

}  // namespace turbine::server
