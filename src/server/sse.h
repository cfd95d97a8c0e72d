// Server-sent events framing for streamed responses (text/event-stream).
//
// Each event is "data: <payload>\n\n"; a payload with line breaks becomes one "data:" line per
// line (the SSE rule, so a client's parser joins them back with "\n"). The OpenAI stream ends
// with the event "data: [DONE]". HTTP chunking around the events is the HTTP layer's business.
#pragma once

#include <string>
#include <string_view>

namespace turbine::server {

inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

// Appends one event carrying `payload` to `out`.
void append_sse_event(std::string& out, std::string_view payload);

inline std::string sse_event(std::string_view payload) {
  std::string out;
  append_sse_event(out, payload);
  return out;
}

}  // namespace turbine::server
