// Incremental parser of a text/event-stream body (the server-sent events format).
//
// Bytes arrive in arbitrary pieces (TCP reads, HTTP chunks); complete events come out. An event
// ends at a blank line; its "data:" lines (one leading space dropped) are joined with "\n";
// comment lines (":" first, used as keep-alive pings) and other fields are ignored. Lines may
// end in "\n", "\r\n" or "\r".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace turbine::bench {

class SseParser {
 public:
  // Feeds bytes; appends the data of every event they complete to `events`.
  void feed(std::string_view bytes, std::vector<std::string>& events);
  // The stream ended: an event without its closing blank line still counts (as browsers do not,
  // but a server that closes right after "data: [DONE]\n" should not lose it).
  void finish(std::vector<std::string>& events);

 private:
  void line(std::string_view text, std::vector<std::string>& events);

  std::string pending_;  // an incomplete line
  std::string data_;     // the current event's data
  bool has_data_ = false;
  bool last_was_cr_ = false;
};

}  // namespace turbine::bench
