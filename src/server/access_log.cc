#include "server/access_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iterator>

namespace turbine::server {

std::string format_access_log(const AccessLogEntry& e) {
  std::string line = fmt::format("{} {} {}", e.method, e.path, e.status);
  auto out = std::back_inserter(line);
  if (!e.id.empty()) fmt::format_to(out, " id={}", e.id);
  if (e.prompt_tokens) fmt::format_to(out, " prompt_tokens={}", *e.prompt_tokens);
  if (e.output_tokens) fmt::format_to(out, " output_tokens={}", *e.output_tokens);
  if (e.ttft_seconds) fmt::format_to(out, " ttft_ms={:.1f}", *e.ttft_seconds * 1e3);
  fmt::format_to(out, " total_ms={:.1f}", e.total_seconds * 1e3);
  if (!e.finish_reasons.empty()) fmt::format_to(out, " finish={}", e.finish_reasons);
  if (!e.client.empty()) fmt::format_to(out, " client={}", e.client);
  return line;
}

void AccessLog::write(const AccessLogEntry& entry) const {
  if (enabled_) spdlog::info("{}", format_access_log(entry));
}

}  // namespace turbine::server
