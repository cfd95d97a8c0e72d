#include "model/strict_json.h"

#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace turbine {

namespace {

using nlohmann::json;

class StrictJsonCallback {
 public:
  StrictJsonCallback(std::string_view file_label, int max_depth)
      : file_label_(file_label), max_depth_(max_depth) {}

  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        check_depth(depth);
        keys_.emplace_back();
        break;
      case json::parse_event_t::array_start:
        check_depth(depth);
        break;
      case json::parse_event_t::object_end:
        TURBINE_CHECK(!keys_.empty());
        keys_.pop_back();
        break;
      case json::parse_event_t::key: {
        TURBINE_CHECK(!keys_.empty());
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys_.back().insert(key).second) {
          fail("{}: key '{}' appears twice in one JSON object", file_label_, key);
        }
        break;
      }
      case json::parse_event_t::array_end:
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

 private:
  // `depth` counts the containers around the one being opened.
  void check_depth(int depth) const {
    if (depth >= max_depth_) fail("{}: JSON nests deeper than {} levels", file_label_, max_depth_);
  }

  std::string_view file_label_;
  int max_depth_;
  std::vector<std::set<std::string, std::less<>>> keys_;  // one set per open object
};

}  // namespace

json parse_strict_json(std::string_view text, std::string_view file_label, int max_depth) {
  // nlohmann stops at a NUL byte as if the text ended there, which would hide whatever follows.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    fail("{}: not valid JSON: NUL byte at offset {}", file_label, nul);
  }
  try {
    return json::parse(text.begin(), text.end(), StrictJsonCallback(file_label, max_depth));
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", file_label, e.what());
  }
}

}  // namespace turbine
