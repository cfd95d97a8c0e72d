// IncrementalDetokenizer: turns generated ids into text piece by piece, for streaming (SSE).
//
// Contract, for any id sequence (valid or not as UTF-8):
//   - every piece returned by push() or finish() is valid UTF-8 on its own;
//   - the pieces joined equal tokenizer.decode(ids, skip_special_tokens), byte for byte (with a
//     context, they equal what the ids add after the context; see the constructor);
//   - text is released as soon as it is final: a trailing U+FFFD (what an incomplete multi-byte
//     character decodes to) is held back until the next id settles it, and a run of
//     byte-fallback ids ("<0xE2>") until a non-byte id ends it, because the ByteFallback decoder
//     turns a whole run into U+FFFDs when any byte of it is invalid (releasing part of a run
//     early could not match decode()).
//
// How: like vLLM's prefix/read offsets, each step decodes a short window of recent ids and
// releases what it adds beyond the text already released from that window. The window starts
// at an id released earlier, so decoder effects tied to the first token (Metaspace/Strip
// removing a leading space) apply to text that is already out, and each step costs O(window),
// not O(length).
//
// Not thread-safe: one instance per stream, used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace turbine {

class IncrementalDetokenizer {
 public:
  // `context` holds ids that precede the stream (usually the prompt): they are never released,
  // but the first generated token is decoded after them, so e.g. SentencePiece's "▁Hello" comes
  // out as " Hello" rather than "Hello". Only its last few ids are kept.
  IncrementalDetokenizer(Tokenizer tokenizer, bool skip_special_tokens,
                         std::span<const int32_t> context = {});

  // Adds one id and returns the text it releases (often empty). Throws turbine::Error naming the
  // id if it is not in the vocabulary (the stream is then unchanged).
  std::string push(int32_t id);

  // Ends the stream: returns everything still held back, incomplete characters included (as
  // U+FFFD, like decode()). push() must not be called afterwards.
  std::string finish();

  // Number of ids pushed so far (context not counted).
  size_t size() const { return pushed_; }

 private:
  std::string decode_window(size_t begin, size_t end) const;
  void compact();

  Tokenizer tokenizer_;
  bool skip_special_tokens_;
  std::vector<int32_t> ids_;   // the current window and the ids after it
  size_t prefix_offset_ = 0;   // window start
  size_t read_offset_ = 0;     // the text of the ids before this is fully released
  std::string window_text_;    // the released part of the window's decoded text
  bool in_byte_run_ = false;   // the last visible id is a byte-fallback token
  size_t pushed_ = 0;
  bool finished_ = false;
};

}  // namespace turbine
