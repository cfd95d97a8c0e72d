// DetokenizingStopMatcher: the engine's StopStringMatcher for requests with stop strings.
//
// The scheduler feeds it each sampled token on the engine thread; it detokenizes incrementally
// and scans the text with the same GeneratedTextStream the server uses for the response, so a
// request finishes ("stop") on exactly the token where the server's text reaches a stop string,
// and never in the middle of a UTF-8 character. The cost per token is one short-window decode.
#pragma once

#include <memory>

#include "engine/stop_string_matcher.h"
#include "server/generated_text_stream.h"

namespace turbine::server {

class DetokenizingStopMatcher final : public StopStringMatcher {
 public:
  explicit DetokenizingStopMatcher(std::shared_ptr<const TextStreamConfig> config) : stream_(std::move(config)) {}

  bool append_token(int32_t token_id, bool may_stop) override {
    if (stream_.stopped()) return may_stop;
    stream_.push(token_id, may_stop);
    return stream_.stopped();
  }

  std::unique_ptr<StopStringMatcher> clone_initial() const override {
    return std::make_unique<DetokenizingStopMatcher>(stream_.config());
  }

 private:
  GeneratedTextStream stream_;
};

}  // namespace turbine::server
