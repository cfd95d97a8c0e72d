#include "tokenizer/decoder.h"

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/pattern.h"
#include "tokenizer/utf8.h"

namespace turbine::tokenizer {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Maps each token through the byte-level alphabet (tokens with characters outside it, such as
// most added tokens, are kept as they are) and joins the bytes, replacing invalid UTF-8 (kept
// raw in bytes mode).
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    tokens.assign(1, utf8::lossy(join_bytes(tokens)));
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& joined) const override {
    tokens.assign(1, join_bytes(tokens));
    joined = true;
  }

 private:
  static std::string join_bytes(const std::vector<std::string>& tokens) {
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::get();
    std::string bytes;
    for (const std::string& token : tokens) {
      if (!alphabet.decode(token, bytes)) bytes.append(token);
    }
    return bytes;
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = pattern_.replace_all(token, content_);
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& /*joined*/) const override {
    decode_chain(tokens);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become the text their bytes spell, or one U+FFFD per byte when the
// run is not valid UTF-8 as a whole (in bytes mode, always the raw bytes).
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override { run(tokens, false); }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& /*joined*/) const override {
    run(tokens, true);
  }

 private:
  static void run(std::vector<std::string>& tokens, bool raw) {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string bytes;
    auto flush = [&] {
      if (bytes.empty()) return;
      if (raw || utf8::is_valid(bytes)) {
        out.push_back(bytes);
      } else {
        for (size_t i = 0; i < bytes.size(); ++i) out.emplace_back(utf8::kReplacementChar);
      }
      bytes.clear();
    };
    for (std::string& token : tokens) {
      const int byte = parse_byte_token(token);
      if (byte >= 0) {
        bytes.push_back(static_cast<char>(byte));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined.append(token);
    tokens.assign(1, std::move(joined));
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& joined) const override {
    decode_chain(tokens);
    joined = true;
  }
};

// Removes up to `start` leading and `stop` trailing copies of `content` from each token. In bytes
// mode after a join the one string is the whole sequence, whose ends are elsewhere: nothing to do.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : start_(start), stop_(stop) {
    utf8::append(content_, content);
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      size_t begin = 0;
      for (size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0; ++i) {
        begin += content_.size();
      }
      size_t end = token.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& joined) const override {
    if (!joined) decode_chain(tokens);
  }

 private:
  std::string content_;
  size_t start_;
  size_t stop_;
};

// The replacement character becomes a space, except in the first token, where it is dropped
// (all of its occurrences there, as Hugging Face does) unless prepend_scheme is "never". In bytes
// mode no token is the first.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override { run(tokens, strip_first_); }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& /*joined*/) const override {
    run(tokens, false);
  }

 private:
  void run(std::vector<std::string>& tokens, bool strip_first) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = pattern_.replace_all(tokens[i], i == 0 && strip_first ? "" : " ");
    }
  }

  std::string replacement_;
  Pattern pattern_ = Pattern::literal(replacement_);
  bool strip_first_;
};

// BPEDecoder: the end-of-word suffix becomes a space (nothing after the last token; in bytes
// mode no token is the last).
class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : pattern_(Pattern::literal(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = pattern_.replace_all(tokens[i], i + 1 == tokens.size() ? "" : " ");
    }
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& /*joined*/) const override {
    for (std::string& token : tokens) token = pattern_.replace_all(token, " ");
  }

 private:
  Pattern pattern_;
};

// WordPiece: a token without the continuation prefix starts a new word (a space before it),
// except the first one, which in bytes mode is not the first of the sequence.
class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override { run(tokens, true); }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& /*joined*/) const override {
    run(tokens, false);
  }

 private:
  void run(std::vector<std::string>& tokens, bool at_start) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0 || !at_start) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token = " " + token;
        }
      }
      if (cleanup_) token = cleanup(token);
    }
  }
  static std::string cleanup(std::string text) {
    static const std::pair<std::string_view, std::string_view> kRules[] = {
        {" .", "."},   {" ?", "?"},   {" !", "!"},     {" ,", ","},          {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"},
        {" 're", "'re"}};
    for (const auto& [from, to] : kRules) text = Pattern::literal(std::string(from)).replace_all(text, to);
    return text;
  }
  std::string prefix_;
  bool cleanup_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }
  void decode_bytes_chain(std::vector<std::string>& tokens, bool& joined) const override {
    for (const auto& step : steps_) step->decode_bytes_chain(tokens, joined);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

char32_t single_char(const std::string& text, std::string_view key, std::string_view where) {
  char32_t c = 0;
  if (text.empty() || !utf8::is_valid(text) ||
      static_cast<size_t>(utf8::decode(text, 0, &c)) != text.size()) {
    fail("{}: field \"{}\" must be a single character", where, key);
  }
  return c;
}

}  // namespace

int parse_byte_token(std::string_view token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return -1;
  const int high = hex_value(token[3]);
  const int low = hex_value(token[4]);
  if (high < 0 || low < 0) return -1;
  return high * 16 + low;
}

std::unique_ptr<Decoder> make_decoder(const Json& config, std::string_view where) {
  const std::string type = type_of(config, where);
  const std::string here = fmt::format("{} {}", where, type);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Replace") {
    return std::make_unique<ReplaceDecoder>(
        Pattern::from_json(require_field(config, "pattern", here), here),
        string_field(config, "content", here));
  }
  if (type == "Strip") {
    const std::string content = string_field(config, "content", here);
    const int64_t start = int_field(config, "start", 0, here);
    const int64_t stop = int_field(config, "stop", 0, here);
    if (start < 0 || stop < 0) fail("{}: \"start\" and \"stop\" must not be negative", here);
    return std::make_unique<StripDecoder>(single_char(content, "content", here),
                                          static_cast<size_t>(start), static_cast<size_t>(stop));
  }
  if (type == "Metaspace") {
    const std::string replacement = string_field(config, "replacement", here);
    single_char(replacement, "replacement", here);
    bool strip_first = bool_field(config, "add_prefix_space", true, here);
    if (const auto scheme = optional_string_field(config, "prepend_scheme", here)) {
      strip_first = *scheme != "never";
    }
    return std::make_unique<MetaspaceDecoder>(replacement, strip_first);
  }
  if (type == "BPEDecoder") {
    return std::make_unique<BpeSuffixDecoder>(
        optional_string_field(config, "suffix", here).value_or("</w>"));
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(
        optional_string_field(config, "prefix", here).value_or("##"),
        bool_field(config, "cleanup", true, here));
  }
  if (type == "Sequence") {
    const Json& list = require_field(config, "decoders", here);
    if (!list.is_array()) fail("{}: \"decoders\" must be an array", here);
    std::vector<std::unique_ptr<Decoder>> steps;
    for (const Json& step : list) steps.push_back(make_decoder(step, where));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  fail("{}: unsupported decoder type \"{}\"", where, type);
}

}  // namespace turbine::tokenizer
