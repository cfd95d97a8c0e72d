// StreamingToolCallParser: what every parser here shares - the stream bookkeeping around a
// format's own state machine, and parse() as that machine run over the whole output.
//
// A parser keeps the whole output so far (text()) and a position up to which it has handled it.
// Its advance() moves that position as far as the text received decides (at_end: all of it,
// nothing more will come) and says what it found through:
//  - emit_content_to(end): the text from where content stopped to `end` is content (content is
//    always one run from the start of the output: text after the first tool call is not
//    content, as in vLLM);
//  - begin_call(name), add_arguments(text), end_call(): a call, sent as it is found;
//  - fail(): the output is malformed. Before any call was sent, everything not yet sent becomes
//    content and so does the rest of the stream (parse() gives the whole output as content); after
//    one was, the stream stops there (parse() gives the whole output as content, vLLM's fallback).
//
// The base holds back an unfinished UTF-8 character at the end of what a feed() sends, so every
// content or argument piece is whole characters; finish() sends the rest. parse() runs a fresh
// copy of the parser over the whole output, so streaming and parse() read the same grammar.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/tool_calls/call_object_scanner.h"
#include "server/tool_calls/tool_call_ids.h"
#include "server/tool_calls/tool_call_parser.h"

namespace turbine::server {

class StreamingToolCallParser : public ToolCallParser {
 public:
  ParsedDelta feed(std::string_view text_delta) final;
  ParsedDelta finish() final;
  Result parse(std::string_view output) final;

 protected:
  explicit StreamingToolCallParser(ToolCallIdStyle id_style) : id_style_(id_style) {}

  // A new parser of the same kind and configuration, with nothing read.
  virtual std::unique_ptr<StreamingToolCallParser> fresh() const = 0;
  // Handles text() from pos() on, as far as it decides; at_end: handle all of it. Returns at once
  // after fail().
  virtual void advance(bool at_end) = 0;

  const std::string& text() const { return text_; }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return std::string_view(text_).substr(pos_); }
  // Text up to `p` is handled; what was not emitted as content is dropped.
  void consume_to(size_t p) { pos_ = p; }

  void emit_content_to(size_t end);
  void begin_call(std::string name);
  void add_arguments(std::string_view arguments);
  // complete = false: the output left the call unfinished and parse() leaves it out (a stream has
  // already sent it).
  void end_call(bool complete = true);
  void fail();

  // Feeds rest() to a JSON call object (hermes, llama3_json, mistral's list) and turns what it
  // read into the call: begun once both its name and its arguments key are read (so an object
  // lacking either fails before anything is sent), arguments sent as they come. kDone: the object
  // is complete, the call still open (the caller ends it); kFailed: fail() was called.
  enum class CallObjectProgress { kWaiting, kDone, kFailed };
  CallObjectProgress stream_call_object(CallObjectScanner& object, bool at_end);

  bool stopped() const { return mode_ != Mode::kParsing; }
  bool call_open() const { return call_open_; }
  size_t calls_begun() const { return calls_.size(); }

 private:
  enum class Mode { kParsing, kPassthrough, kDead };

  void run(bool at_end);
  void flush(bool all);
  ToolCallDelta& delta_for_current_call();
  ParsedDelta take();

  const ToolCallIdStyle id_style_;
  Mode mode_ = Mode::kParsing;
  bool failed_ = false;
  bool finished_ = false;
  std::string text_;
  size_t pos_ = 0;
  size_t content_end_ = 0;  // content has been taken from text_ up to here
  std::string content_pending_;
  std::string arguments_pending_;
  bool call_open_ = false;
  std::vector<ToolCall> calls_;
  std::vector<bool> complete_;
  ParsedDelta out_;
};

}  // namespace turbine::server
