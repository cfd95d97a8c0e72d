#include "server/sse.h"

namespace turbine::server {

void append_sse_event(std::string& out, std::string_view payload) {
  // Lines end at "\r\n", "\n" or "\r" (the SSE grammar); each becomes its own data line.
  size_t pos = 0;
  while (true) {
    const size_t end = payload.find_first_of("\r\n", pos);
    out += "data: ";
    out += payload.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    out += '\n';
    if (end == std::string_view::npos) break;
    pos = end + (payload[end] == '\r' && end + 1 < payload.size() && payload[end + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
}

}  // namespace turbine::server
