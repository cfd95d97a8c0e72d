// libFuzzer target: the OpenAI server's request parser on arbitrary bodies, end to end up to the
// engine: JSON (the ordered SAX builder), the typed request and its validation, then the plan
// against a real model's tokenizer and chat template (tokenization, rendering, context checks).
//
// The first byte picks the endpoint ('0'+k: completions, chat, tokenize, detokenize); the rest is
// the body. Rejecting a body (ApiError, or turbine::Error from a tokenizer or template) is the
// expected outcome. Anything else escaping, a sanitizer report, or a broken invariant (checked
// below on every accepted request) is a bug.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/error.h"
#include "server/api_error.h"
#include "server/generation_plan.h"
#include "server/protocol.h"

namespace {

using namespace turbine;
using namespace turbine::server;

const ServedModel& demo_model() {
  static const ServedModel model = [] {
    const std::filesystem::path dir = std::filesystem::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m";
    return ServedModel{
        .names = {"demo"},
        .root = dir.string(),
        .tokenizer = Tokenizer::from_dir(dir),
        .chat = std::make_shared<const ChatPromptRenderer>(ChatTemplateConfig::load(dir), std::nullopt),
        .max_model_len = 1024,
        .vocab_size = 8192,
        .max_num_seqs = 16,
        .eos_token_ids = {1},
    };
  }();
  return model;
}

// What the engine may assume about an accepted plan.
void check_plan(const GenerationPlan& plan, const ServedModel& model) {
  TURBINE_CHECK(!plan.prompts.empty());
  TURBINE_CHECK(plan.n >= 1 && plan.n <= model.max_num_seqs);
  for (const PlannedPrompt& p : plan.prompts) {
    TURBINE_CHECK(!p.token_ids.empty() && int64_t(p.token_ids.size()) < model.max_model_len);
    for (const int32_t id : p.token_ids) TURBINE_CHECK(id >= 0 && id < model.vocab_size, "id {}", id);
    TURBINE_CHECK(p.params.max_tokens >= 1 && int64_t(p.token_ids.size()) + p.params.max_tokens <= model.max_model_len);
    TURBINE_CHECK(p.params.min_tokens >= 0 && p.params.min_tokens <= p.params.max_tokens);
    // Must not throw: the parser rejected every bad value with its parameter named, and the
    // engine's one validation at submit is the backstop.
    p.params.validate(model.vocab_size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ServedModel& model = demo_model();
  const int endpoint = (data[0] - '0') & 3;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const Json json = parse_json_object(body);
    switch (endpoint) {
      case 0: check_plan(plan_completion(parse_completion_request(json), model), model); break;
      case 1: check_plan(plan_chat_completion(parse_chat_completion_request(json), model), model); break;
      case 2: {
        const TokenizeRequest r = parse_tokenize_request(json);
        if (r.text) (void)model.tokenizer.encode(*r.text, r.add_special_tokens.value_or(true));
        if (r.chat) (void)model.chat->render(*r.chat);
        break;
      }
      case 3: {
        const DetokenizeRequest r = parse_detokenize_request(json);
        for (const int32_t id : r.tokens) TURBINE_CHECK(id >= 0);
        break;
      }
    }
  } catch (const ApiError& e) {
    TURBINE_CHECK(e.status() == 400 || e.status() == 404, "unexpected status {}", e.status());
    TURBINE_CHECK(nlohmann::json::accept(e.to_json()), "error body is not JSON");
  } catch (const Error&) {
    // A tokenizer or template rejecting its input with a message is fine too.
  }
  return 0;
}
