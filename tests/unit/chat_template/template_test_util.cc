#include "template_test_util.h"

#include "common/error.h"
#include "tokenizer/chat_template/chat_template.h"

namespace turbine::chat_template_test {

std::string render(const std::string& source, const std::string& context) {
  return ChatTemplate::compile(source).render(nlohmann::ordered_json::parse(context));
}

std::string render_error(const std::string& source, const std::string& context) {
  try {
    render(source, context);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace turbine::chat_template_test
