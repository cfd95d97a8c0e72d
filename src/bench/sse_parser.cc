#include "bench/sse_parser.h"

namespace turbine::bench {

void SseParser::feed(std::string_view bytes, std::vector<std::string>& events) {
  for (char c : bytes) {
    if (c == '\n' && last_was_cr_) {  // the "\n" of a "\r\n" already ended the line
      last_was_cr_ = false;
      continue;
    }
    last_was_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      line(pending_, events);
      pending_.clear();
    } else {
      pending_ += c;
    }
  }
}

void SseParser::finish(std::vector<std::string>& events) {
  if (!pending_.empty()) line(pending_, events);
  pending_.clear();
  line("", events);
}

void SseParser::line(std::string_view text, std::vector<std::string>& events) {
  if (text.empty()) {  // end of the event
    if (has_data_) events.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;
  const size_t colon = text.find(':');
  const std::string_view field = text.substr(0, colon);
  if (field != "data") return;
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_ += value;
  has_data_ = true;
}

}  // namespace turbine::bench
