// One benchmark request as the client saw it (vLLM's RequestFuncOutput). Times are in seconds.
#pragma once

#include <string>
#include <vector>

namespace turbine::bench {

struct RequestResult {
  bool success = false;
  int prompt_len = 0;            // the dataset's prompt length, in tokens
  int output_tokens = 0;         // the server's usage.completion_tokens
  bool output_tokens_from_usage = false;  // false: the server sent no usage; counted with the tokenizer
  int server_prompt_tokens = -1;  // the server's usage.prompt_tokens; -1 when absent
  double start_time = 0;         // when the request was sent, from the start of the run
  double ttft = 0;               // time to the first chunk with content
  std::vector<double> itl;       // gaps between consecutive chunks with content
  double latency = 0;            // end to end: to the last chunk of the stream
  double finish_time = 0;        // when the client was done with it (success or not), from the start
  std::string generated_text;
  std::string error;             // empty when success
};

}  // namespace turbine::bench
