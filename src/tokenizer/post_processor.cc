#include "tokenizer/post_processor.h"

#include <map>
#include <string>

namespace turbine::tokenizer {
namespace {

class NoOpPostProcessor final : public PostProcessor {
 public:
  void process(std::vector<int32_t>&, bool) const override {}
};

// The single-sequence template: a list of items, each either the sequence itself or the ids
// of a named special token.
class TemplatePostProcessor final : public PostProcessor {
 public:
  struct Item {
    bool is_sequence;
    std::vector<int32_t> ids;  // for special tokens
  };
  explicit TemplatePostProcessor(std::vector<Item> items) : items_(std::move(items)) {}

  void process(std::vector<int32_t>& ids, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<int32_t> out;
    out.reserve(ids.size() + 4);
    for (const Item& item : items_) {
      if (item.is_sequence) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        out.insert(out.end(), item.ids.begin(), item.ids.end());
      }
    }
    ids = std::move(out);
  }

 private:
  std::vector<Item> items_;
};

// RobertaProcessing / BertProcessing for one sequence: cls, the sequence, sep.
class WrapPostProcessor final : public PostProcessor {
 public:
  WrapPostProcessor(int32_t cls, int32_t sep) : cls_(cls), sep_(sep) {}
  void process(std::vector<int32_t>& ids, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    ids.insert(ids.begin(), cls_);
    ids.push_back(sep_);
  }

 private:
  int32_t cls_;
  int32_t sep_;
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps)
      : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(ids, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> make_template(const Json& config, std::string_view where) {
  // special_tokens: name -> {"id": name, "ids": [...], "tokens": [...]}
  std::map<std::string, std::vector<int32_t>> specials;
  if (const Json* map = optional_field(config, "special_tokens")) {
    if (!map->is_object()) fail("{}: \"special_tokens\" must be an object", where);
    for (const auto& [name, entry] : map->items()) {
      const Json& ids = require_field(entry, "ids", where);
      if (!ids.is_array()) fail("{}: special_tokens[\"{}\"].ids must be an array", where, name);
      std::vector<int32_t> list;
      for (const Json& id : ids) {
        if (!id.is_number_integer()) fail("{}: special_tokens[\"{}\"].ids must be integers", where, name);
        list.push_back(id.get<int32_t>());
      }
      specials[name] = std::move(list);
    }
  }
  auto special_ids = [&](const std::string& name) {
    const auto it = specials.find(name);
    if (it == specials.end()) {
      fail("{}: template uses special token \"{}\" missing from special_tokens", where, name);
    }
    return it->second;
  };

  std::vector<TemplatePostProcessor::Item> items;
  const Json& single = require_field(config, "single", where);
  if (single.is_string()) {
    // The compact form: "[CLS] $A [SEP]", pieces optionally suffixed with ":type_id".
    const std::string text = single.get<std::string>();
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      std::string piece = text.substr(pos, end - pos);
      pos = end + 1;
      if (piece.empty()) continue;
      const size_t colon = piece.rfind(':');
      if (colon != std::string::npos && colon > 0) piece.resize(colon);
      if (piece[0] == '$') {
        items.push_back({true, {}});
      } else {
        items.push_back({false, special_ids(piece)});
      }
    }
  } else if (single.is_array()) {
    for (const Json& piece : single) {
      if (const Json* sequence = optional_field(piece, "Sequence")) {
        (void)sequence;
        items.push_back({true, {}});
      } else if (const Json* special = optional_field(piece, "SpecialToken")) {
        items.push_back({false, special_ids(string_field(*special, "id", where))});
      } else {
        fail("{}: template piece must be Sequence or SpecialToken, got {}", where, piece.dump());
      }
    }
  } else {
    fail("{}: \"single\" must be a list or a string", where);
  }
  return std::make_unique<TemplatePostProcessor>(std::move(items));
}

int32_t token_pair_id(const Json& config, std::string_view key, std::string_view where) {
  // "cls": ["<s>", 0]
  const Json& pair = require_field(config, key, where);
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer()) {
    fail("{}: \"{}\" must be [token, id]", where, key);
  }
  return pair[1].get<int32_t>();
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& config, std::string_view where) {
  const std::string type = type_of(config, where);
  const std::string here = fmt::format("{} {}", where, type);
  if (type == "TemplateProcessing") return make_template(config, here);
  if (type == "ByteLevel") return std::make_unique<NoOpPostProcessor>();
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    return std::make_unique<WrapPostProcessor>(token_pair_id(config, "cls", here),
                                               token_pair_id(config, "sep", here));
  }
  if (type == "Sequence") {
    const Json& list = require_field(config, "processors", here);
    if (!list.is_array()) fail("{}: \"processors\" must be an array", here);
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (const Json& step : list) steps.push_back(make_post_processor(step, where));
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  fail("{}: unsupported post_processor type \"{}\"", where, type);
}

}  // namespace turbine::tokenizer
