// Every request field of vLLM's CompletionRequest and ChatCompletionRequest, walked through the
// official client on stories260K. Each field is, per endpoint, one of:
//   honored     sent, and its effect seen (against the same request without it);
//   rejected    a non-default value is a 400 whose error `param` names the field;
//   ignored     accepted and without effect, as vLLM itself does; these are exactly the fields
//               listed in src/server/README.md under "Fields accepted and ignored";
//   structured  owned by the structured-outputs and tools work: its behaviour today, to be
//               flipped here as that work lands.
// A field of vLLM's lists without an entry fails the walk, as does an honored field whose effect
// is not seen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  assertApiError,
  client,
  collectChatStream,
  collectCompletionStream,
  config,
  kStoriesPromptIds,
  metrics,
  modelName,
  post,
  servers,
  startOwnServer,
  waitForMetrics,
} from './lib/harness.mjs';

// ---- vLLM's fields, as read from its source.
const kVllm = {
  commit: '002032ee2b18e1f7bd924ec47b62504ba3866063',
  completions: 'vllm/entrypoints/openai/completion/protocol.py, class CompletionRequest',
  chat: 'vllm/entrypoints/openai/chat_completion/protocol.py, class ChatCompletionRequest',
};
const kVllmCompletionFields = [
  'model', 'prompt', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs', 'max_tokens', 'n', 'presence_penalty',
  'seed', 'stop', 'stream', 'stream_options', 'suffix', 'temperature', 'top_p', 'user', 'use_beam_search', 'top_k',
  'min_p', 'repetition_penalty', 'watermarking', 'length_penalty', 'stop_token_ids', 'include_stop_str_in_output',
  'ignore_eos', 'min_tokens', 'skip_special_tokens', 'spaces_between_special_tokens', 'truncate_prompt_tokens',
  'truncation_side', 'allowed_token_ids', 'prompt_logprobs', 'logprob_token_ids', 'bad_words', 'prompt_embeds',
  'add_special_tokens', 'response_format', 'structured_outputs', 'priority', 'request_id', 'session_id',
  'return_tokens_as_token_ids', 'return_token_ids', 'routed_experts_prompt_start', 'return_token_offsets',
  'return_mm_kwargs', 'cache_salt', 'kv_transfer_params', 'ec_transfer_params', 'vllm_xargs', 'repetition_detection',
  'thinking_token_budget', 'stream_interval',
];
const kVllmChatFields = [
  'messages', 'model', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'max_tokens',
  'max_completion_tokens', 'n', 'presence_penalty', 'response_format', 'seed', 'stop', 'stream', 'stream_options',
  'temperature', 'top_p', 'tools', 'tool_choice', 'reasoning_effort', 'thinking_token_budget', 'include_reasoning',
  'parallel_tool_calls', 'user', 'use_beam_search', 'top_k', 'min_p', 'repetition_penalty', 'watermarking',
  'length_penalty', 'stop_token_ids', 'include_stop_str_in_output', 'ignore_eos', 'min_tokens', 'skip_special_tokens',
  'spaces_between_special_tokens', 'truncate_prompt_tokens', 'truncation_side', 'prompt_logprobs', 'logprob_token_ids',
  'allowed_token_ids', 'bad_words', 'echo', 'add_generation_prompt', 'continue_final_message', 'add_special_tokens',
  'documents', 'chat_template', 'chat_template_kwargs', 'media_io_kwargs', 'mm_processor_kwargs', 'structured_outputs',
  'priority', 'request_id', 'session_id', 'return_tokens_as_token_ids', 'return_token_ids',
  'routed_experts_prompt_start', 'return_token_offsets', 'return_prompt_text', 'return_mm_kwargs', 'cache_salt',
  'kv_transfer_params', 'ec_transfer_params', 'vllm_xargs', 'repetition_detection', 'stream_interval',
];
// Fields of older vLLM releases that clients still send (both endpoints).
const kOlderVllmFields = [
  'guided_json', 'guided_regex', 'guided_choice', 'guided_grammar', 'guided_decoding_backend',
  'guided_whitespace_pattern', 'structural_tag', 'early_stopping', 'best_of', 'logits_processors',
];
// OpenAI's fields that vLLM does not declare, and so ignores (both endpoints).
const kOpenAiOnlyFields = ['metadata', 'store', 'service_tier', 'prompt_cache_key', 'safety_identifier'];

// ---- The endpoints the walk drives: the same checks run on both.
const plain = client(servers.plain);
const keyed = client(servers.keyed, { apiKey: config.apiKey });
let storiesName;
let own;  // a server of this file's own: a template that renders documents, tools and kwargs; priority

function completionsEndpoint(openai, server, model) {
  return {
    name: 'completions',
    server,
    prefix: 'cmpl-',
    wholeObject: 'text_completion',
    chunkObject: 'text_completion',
    body: (extra = {}) => ({ model: model(), prompt: kStoriesPromptIds, max_tokens: 24, temperature: 0,
                             ignore_eos: true, ...extra }),
    create: (body) => openai.completions.create(body),
    text: (response, i = 0) => response.choices[i].text,
    logprobsOn: { logprobs: 2 },
    logprobTokens: (response) => response.choices[0].logprobs.tokens,
    tokenLogprobs: (response, i = 0) => response.choices[i].logprobs.token_logprobs,
    topLogprobTokens: (response) => response.choices[0].logprobs.top_logprobs.flatMap((top) => Object.keys(top)),
    stream: async (body) => {
      const { texts, chunks, usage } = await collectCompletionStream(await openai.completions.create({ ...body, stream: true }));
      return { text: texts[0], usage, chunks, tokensPerChunk: chunks.map((c) => c.choices[0]?.logprobs?.tokens?.length ?? 0) };
    },
    longPrompt: (words) => ({ prompt: words }),
  };
}

function chatEndpoint(openai, server, model) {
  return {
    name: 'chat',
    server,
    prefix: 'chatcmpl-',
    wholeObject: 'chat.completion',
    chunkObject: 'chat.completion.chunk',
    body: (extra = {}) => ({ model: model(), messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24,
                             temperature: 0, ignore_eos: true, ...extra }),
    create: (body) => openai.chat.completions.create(body),
    text: (response, i = 0) => response.choices[i].message.content,
    logprobsOn: { logprobs: true, top_logprobs: 2 },
    logprobTokens: (response) => response.choices[0].logprobs.content.map((e) => e.token),
    tokenLogprobs: (response, i = 0) => response.choices[i].logprobs.content.map((e) => e.logprob),
    topLogprobTokens: (response) => response.choices[0].logprobs.content.flatMap((e) => e.top_logprobs.map((t) => t.token)),
    stream: async (body) => {
      const { texts, chunks, usage } = await collectChatStream(await openai.chat.completions.create({ ...body, stream: true }));
      return { text: texts[0], usage, chunks, tokensPerChunk: chunks.map((c) => c.choices[0]?.logprobs?.content?.length ?? 0) };
    },
    longPrompt: (words) => ({ messages: [{ role: 'user', content: words }] }),
  };
}

const endpoints = {
  completions: completionsEndpoint(plain, servers.plain, () => storiesName),
  chat: chatEndpoint(keyed, servers.keyed, () => 'stories'),
};
endpoints.completions.demo = completionsEndpoint(client(servers.chat), servers.chat, () => 'turbine-demo');
endpoints.chat.demo = chatEndpoint(client(servers.chat), servers.chat, () => 'turbine-demo');

// ---- Helpers the checks share.
const greedy = (ep, extra = {}) => ep.create(ep.body(extra));
const words = (text) => text.split(/[^A-Za-z]+/).filter((w) => w.length >= 4);
const randomWords = (n) => Array.from({ length: n }, () => Math.random().toString(36).slice(2, 7)).join(' ');

// Long enough for repeats, which the penalties act on.
async function differsFromGreedy(ep, extra) {
  const base = ep.text(await greedy(ep, { max_tokens: 48 }));
  assert.notEqual(ep.text(await greedy(ep, { max_tokens: 48, ...extra })), base, `${JSON.stringify(extra)} changed nothing`);
}

// A filter that leaves only the best token makes sampling greedy (while sampling alone is not).
async function makesSamplingGreedy(ep, extra) {
  const base = ep.text(await greedy(ep));
  const sampling = { temperature: 1, seed: 7 };
  assert.notEqual(ep.text(await greedy(ep, sampling)), base, 'sampling gave the greedy text: the check proves nothing');
  assert.equal(ep.text(await greedy(ep, { ...sampling, ...extra })), base);
}

// The ids the endpoint generates greedily (through logprobs named by id).
async function greedyIds(ep, extra = {}) {
  const response = await greedy(ep, { ...ep.logprobsOn, return_tokens_as_token_ids: true, ...extra });
  return ep.logprobTokens(response).map((t) => Number(t.slice('token_id:'.length)));
}

async function tokenId(text) {
  const result = await post(servers.plain, '/tokenize', { prompt: text, add_special_tokens: false });
  assert.equal(result.json.tokens.length, 1, `${text} is not one token`);
  return result.json.tokens[0];
}

const kEos = 2;  // stories260K's </s>: logit_bias +100 makes it the certain next token

// Prefix-cache hits (tokens) a request got, read once the engine has counted its lookup.
async function prefixHits(ep, body) {
  const before = await metrics(ep.server);
  await ep.create(body);
  const after = await waitForMetrics(ep.server, (m) => m.turbine_prefix_cache_queries_total > before.turbine_prefix_cache_queries_total);
  return after.turbine_prefix_cache_hits_total - before.turbine_prefix_cache_hits_total;
}

// On the own server (priority scheduling, one sequence at a time): low-priority requests queue up,
// then one of high priority comes; returns the order in which they all finished.
async function finishOrder(ep) {
  const order = [];
  const run = (name, priority) =>
    ep.ownCreate(ep.ownBody({ max_tokens: 480, priority })).then(() => order.push(name));
  // Enough work queued (each request some tens of ms) that the high one surely comes while
  // several low ones still wait.
  const lows = Array.from({ length: 16 }, (_, i) => run(`low${i}`, 5));
  const queued = await waitForMetrics(own, (m) => m.turbine_requests_waiting >= 4);
  assert.ok(queued.turbine_requests_waiting >= 4,
            `the low-priority requests should queue up (waiting: ${queued.turbine_requests_waiting})`);
  await Promise.all([...lows, run('high', -5)]);
  return order;
}

// Beam search on the demo model, whose beams end (EOS) at different lengths; the EOS stays in the
// tokens so that the logprobs add up to each beam's cumulative logprob
// (tests/e2e/beam_search.test.mjs checks beam search further).
const beamSearch = (ep, extra = {}) =>
  ep.demo.create(ep.demo.body({ ...ep.demo.longPrompt('Tell me a story.'), ...ep.demo.logprobsOn, use_beam_search: true,
                                n: 3, ignore_eos: false, include_stop_str_in_output: true, ...extra }));

// Each choice's score as vLLM ranks beams: cum_logprob / length ** length_penalty, the length
// counting the prompt and not an ending EOS.
function beamScores(ep, response, penalty) {
  return response.choices.map((choice, i) => {
    const logprobs = ep.tokenLogprobs(response, i);
    const cum = logprobs.reduce((a, b) => a + b, 0);
    const length = response.usage.prompt_tokens + logprobs.length - (choice.finish_reason === 'stop' ? 1 : 0);
    return cum / length ** penalty;
  });
}

// ---- What each field does, per endpoint.
const honored = (check) => ({ kind: 'honored', check });
const rejected = (value) => ({ kind: 'rejected', value });
const ignored = (value) => ({ kind: 'ignored', value });
// `expect`: 200, or the param a 400 names; `check`, when given, what an accepted one does today.
const structured = (value, expect, check) => ({ kind: 'structured', value, expect, check });

// The own server's template renders these fields: the prompt grows by them.
const rendered = (fields) => async (ep) => {
  const count = async (extra) => (await ep.ownCreate(ep.ownBody({ max_tokens: 2, ...extra }))).usage.prompt_tokens;
  assert.ok(await count(fields) > await count({}), `${JSON.stringify(fields)} did not reach the template`);
};

const shared = {
  model: honored(async (ep) => {
    const response = await greedy(ep, { max_tokens: 2 });
    assert.equal(response.model, ep.body().model);
    await assertApiError(greedy(ep, { model: 'no-such-model', max_tokens: 2 }), 404);
  }),
  frequency_penalty: honored((ep) => differsFromGreedy(ep, { frequency_penalty: 2 })),
  presence_penalty: honored((ep) => differsFromGreedy(ep, { presence_penalty: 2 })),
  repetition_penalty: honored((ep) => differsFromGreedy(ep, { repetition_penalty: 2 })),
  temperature: honored((ep) => differsFromGreedy(ep, { temperature: 1.5, seed: 3 })),
  top_p: honored((ep) => makesSamplingGreedy(ep, { top_p: 1e-6 })),
  top_k: honored((ep) => makesSamplingGreedy(ep, { top_k: 1 })),
  min_p: honored((ep) => makesSamplingGreedy(ep, { min_p: 1 })),
  seed: honored(async (ep) => {
    const sample = async (seed) => ep.text(await greedy(ep, { temperature: 1, seed }));
    assert.equal(await sample(11), await sample(11));
    assert.notEqual(await sample(11), await sample(12));
  }),
  logit_bias: honored(async (ep) => {
    const lily = await tokenId('Lily');
    const response = await greedy(ep, { max_tokens: 6, logit_bias: { [lily]: 100 } });
    assert.deepEqual(ep.text(response).trim().split(/\s+/), Array(6).fill('Lily'));
  }),
  max_tokens: honored(async (ep) => {
    assert.equal((await greedy(ep, { max_tokens: 7 })).usage.completion_tokens, 7);
  }),
  n: honored(async (ep) => {
    const response = await greedy(ep, { n: 3, temperature: 1, seed: 5, max_tokens: 16 });
    assert.equal(response.choices.length, 3);
    assert.ok(new Set(response.choices.map((_, i) => ep.text(response, i))).size > 1);
    assert.equal(response.usage.completion_tokens, 48);
  }),
  stop: honored(async (ep) => {
    const base = ep.text(await greedy(ep));
    const stop = words(base)[1];
    const response = await greedy(ep, { stop: [stop] });
    assert.equal(ep.text(response), base.slice(0, base.indexOf(stop)));
    assert.equal(response.choices[0].finish_reason, 'stop');
  }),
  include_stop_str_in_output: honored(async (ep) => {
    const base = ep.text(await greedy(ep));
    const stop = words(base)[1];
    const response = await greedy(ep, { stop: [stop], include_stop_str_in_output: true });
    assert.equal(ep.text(response), base.slice(0, base.indexOf(stop) + stop.length));
  }),
  stream: honored(async (ep) => {
    const whole = await greedy(ep);
    assert.equal(whole.object, ep.wholeObject);
    const streamed = await ep.stream(ep.body());
    assert.ok(streamed.chunks.length >= 1);
    for (const chunk of streamed.chunks) assert.equal(chunk.object, ep.chunkObject);
    assert.equal(streamed.text, ep.text(whole));
  }),
  stream_options: honored(async (ep) => {
    const whole = await greedy(ep);
    assert.equal((await ep.stream(ep.body())).usage, null);
    assert.deepEqual((await ep.stream(ep.body({ stream_options: { include_usage: true } }))).usage, whole.usage);
  }),
  stop_token_ids: honored(async (ep) => {
    const ids = await greedyIds(ep);
    const at = 5;
    const stopAt = ids.indexOf(ids[at]);  // its first occurrence
    const response = await greedy(ep, { stop_token_ids: [ids[at]] });
    assert.equal(response.usage.completion_tokens, stopAt + 1);
    assert.equal(response.choices[0].finish_reason, 'stop');
    assert.equal(response.choices[0].stop_reason, ids[at]);
  }),
  ignore_eos: honored(async (ep) => {
    const forced = { max_tokens: 5, logit_bias: { [kEos]: 100 } };
    const stopped = await greedy(ep, { ...forced, ignore_eos: false });
    assert.equal(stopped.usage.completion_tokens, 1);
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    const ignoring = await greedy(ep, { ...forced, ignore_eos: true });
    assert.equal(ignoring.usage.completion_tokens, 5);
    assert.equal(ignoring.choices[0].finish_reason, 'length');
  }),
  min_tokens: honored(async (ep) => {
    const response = await greedy(ep, { max_tokens: 10, logit_bias: { [kEos]: 100 }, ignore_eos: false, min_tokens: 4 });
    assert.equal(response.usage.completion_tokens, 5);
    assert.equal(response.choices[0].finish_reason, 'stop');
  }),
  skip_special_tokens: honored(async (ep) => {
    const forced = { max_tokens: 3, logit_bias: { [kEos]: 100 } };
    assert.ok(!ep.text(await greedy(ep, forced)).includes('</s>'));
    assert.ok(ep.text(await greedy(ep, { ...forced, skip_special_tokens: false })).includes('</s>'));
  }),
  truncate_prompt_tokens: honored(async (ep) => {
    assert.ok((await greedy(ep, { max_tokens: 2 })).usage.prompt_tokens > 3);
    assert.equal((await greedy(ep, { max_tokens: 2, truncate_prompt_tokens: 3 })).usage.prompt_tokens, 3);
    const whole = (await greedy(ep, { max_tokens: 2 })).usage.prompt_tokens;
    assert.equal((await greedy(ep, { max_tokens: 2, truncate_prompt_tokens: -1 })).usage.prompt_tokens, whole);
    await assertApiError(greedy(ep, { max_tokens: 2, truncate_prompt_tokens: 600 }), 400, 'truncate_prompt_tokens');
  }),
  truncation_side: honored(async (ep) => {
    const last = ep.text(await greedy(ep, { truncate_prompt_tokens: 3 }));
    assert.equal(ep.text(await greedy(ep, { truncate_prompt_tokens: 3, truncation_side: 'left' })), last);
    assert.notEqual(ep.text(await greedy(ep, { truncate_prompt_tokens: 3, truncation_side: 'right' })), last);
  }),
  bad_words: honored(async (ep) => {
    const base = ep.text(await greedy(ep, { max_tokens: 40 }));
    const banned = [...new Set(words(base))].slice(0, 2);
    assert.equal(banned.length, 2, `too few words in ${JSON.stringify(base)}`);
    const text = ep.text(await greedy(ep, { max_tokens: 40, bad_words: banned }));
    for (const word of banned) assert.ok(!words(text).includes(word), `"${word}" in ${JSON.stringify(text)}`);
  }),
  allowed_token_ids: honored(async (ep) => {
    // Every id generated is an allowed one, and the greedy first token, left out, is never taken.
    const base = await greedyIds(ep, { max_tokens: 12 });
    const allowed = [...new Set(base.slice(1))].filter((id) => id !== base[0]);
    assert.ok(allowed.length >= 2, `too few distinct ids in ${base}`);
    const ids = await greedyIds(ep, { max_tokens: 12, allowed_token_ids: allowed });
    assert.equal(ids.length, 12);
    for (const id of ids) assert.ok(allowed.includes(id), `${id} is not in ${allowed}`);
  }),
  priority: honored(async (ep) => {
    // Lower runs first: the high-priority request, sent last, passes the low ones still waiting.
    const order = await finishOrder(ep);
    assert.ok(order.indexOf('high') < order.length - 2, `finish order: ${order.join(' ')}`);
  }),
  request_id: honored(async (ep) => {
    const response = await greedy(ep, { max_tokens: 2, request_id: 'walk-42' });
    assert.equal(response.id, `${ep.prefix}walk-42`);
  }),
  return_tokens_as_token_ids: honored(async (ep) => {
    const plainTokens = ep.logprobTokens(await greedy(ep, { ...ep.logprobsOn, max_tokens: 4 }));
    assert.ok(plainTokens.some((t) => !t.startsWith('token_id:')));
    const response = await greedy(ep, { ...ep.logprobsOn, max_tokens: 4, return_tokens_as_token_ids: true });
    for (const token of [...ep.logprobTokens(response), ...ep.topLogprobTokens(response)])
      assert.match(token, /^token_id:\d+$/);
  }),
  cache_salt: honored(async (ep) => {
    const prompt = ep.body({ ...ep.longPrompt(randomWords(40)), max_tokens: 2 });  // new to the cache
    const salted = (salt) => ({ ...prompt, cache_salt: salt });
    const salt = `salt-${Math.random()}`;
    assert.equal(await prefixHits(ep, salted(salt)), 0);
    assert.ok(await prefixHits(ep, salted(salt)) >= 16, 'the same salt shares the cached prompt');
    assert.equal(await prefixHits(ep, salted(`${salt}-other`)), 0);
    assert.equal(await prefixHits(ep, prompt), 0);
  }),
  stream_interval: honored(async (ep) => {
    // On the demo model, slow enough that a stream otherwise sends about a token per chunk.
    const body = ep.demo.body({ ...ep.demo.logprobsOn, max_tokens: 40 });
    const counts = (await ep.demo.stream({ ...body, stream_interval: 10 })).tokensPerChunk.filter((n) => n > 0);
    assert.equal(counts.reduce((a, b) => a + b, 0), 40);
    // The first and last chunks go at once; the others hold at least 10 tokens.
    for (const n of counts.slice(1, -1)) assert.ok(n >= 10, `chunk token counts ${counts}`);
    assert.ok(counts.length <= 6, `chunk token counts ${counts}`);
  }),

  user: ignored('user-1'),
  session_id: ignored('session-1'),
  spaces_between_special_tokens: ignored(false),
  routed_experts_prompt_start: ignored(3),
  return_token_offsets: ignored(true),
  return_mm_kwargs: ignored(false),
  kv_transfer_params: ignored({ do_remote_decode: true }),
  ec_transfer_params: ignored({ key: 'value' }),
  vllm_xargs: ignored({ key: 'value' }),
  metadata: ignored({ tag: 'walk' }),
  store: ignored(true),
  service_tier: ignored('auto'),
  prompt_cache_key: ignored('key-1'),
  safety_identifier: ignored('user-hash'),

  use_beam_search: honored(async (ep) => {
    assert.equal(ep.text(await greedy(ep, { use_beam_search: true })), ep.text(await greedy(ep)));  // one beam: greedy
    const response = await greedy(ep, { use_beam_search: true, n: 3 });
    assert.equal(new Set(response.choices.map((_, i) => ep.text(response, i))).size, 3);
    assert.equal(response.usage.completion_tokens, 72);
    await assertApiError(greedy(ep, { use_beam_search: true, stop: ['x'] }), 400, 'stop');
  }),
  length_penalty: honored(async (ep) => {
    const texts = async (penalty) => {
      const response = await beamSearch(ep, { length_penalty: penalty });
      const scores = beamScores(ep.demo, response, penalty);
      for (let i = 1; i < scores.length; ++i) assert.ok(scores[i] <= scores[i - 1] + 1e-6, `scores ${scores}`);
      return response.choices.map((_, i) => ep.demo.text(response, i));
    };
    assert.notDeepEqual(await texts(0), await texts(2));
    await assertApiError(greedy(ep, { length_penalty: 0.5 }), 400, 'length_penalty');  // without beam search
  }),
  early_stopping: honored(async (ep) => {
    // Done as soon as n beams have ended: all of them ended by EOS.
    const early = await beamSearch(ep, { early_stopping: true });
    assert.deepEqual(early.choices.map((c) => c.finish_reason), ['stop', 'stop', 'stop']);
    const full = await beamSearch(ep);
    assert.notDeepEqual(full.choices.map((_, i) => ep.demo.text(full, i)), early.choices.map((_, i) => ep.demo.text(early, i)));
    await assertApiError(greedy(ep, { early_stopping: true }), 400, 'early_stopping');  // without beam search
  }),
  best_of: rejected(3),
  watermarking: rejected(true),
  prompt_logprobs: rejected(1),
  logprob_token_ids: rejected([1, 2]),
  return_token_ids: rejected(true),
  repetition_detection: rejected({ max_pattern_size: 4, min_count: 3 }),
  thinking_token_budget: rejected(100),
  logits_processors: rejected(['my.Processor']),

  // Output constraints (tests/e2e/structured.test.mjs checks what they do).
  response_format: structured({ type: 'json_object' }, 200),
  structured_outputs: structured({ regex: 'a+' }, 200),
  guided_json: structured({ type: 'object' }, 200),
  guided_regex: structured('a+', 200),
  guided_choice: structured(['yes', 'no'], 200),
  guided_grammar: structured('root ::= "a"+', 200),
  guided_decoding_backend: structured('xgrammar', 200),  // one backend: accepted, no effect
  guided_whitespace_pattern: structured(' ', 'guided_whitespace_pattern'),
  structural_tag: structured('{}', 'structural_tag'),
};

const completionFields = {
  ...shared,
  prompt: honored(async (ep) => {
    const response = await greedy(ep, { prompt: [kStoriesPromptIds, [1, 403]], max_tokens: 8 });
    assert.equal(response.choices.length, 2);
    assert.equal(response.usage.prompt_tokens, 7);
    assert.notEqual(ep.text(response, 0), ep.text(response, 1));
  }),
  echo: honored(async (ep) => {
    assert.ok(!ep.text(await greedy(ep, { prompt: 'Once upon a time' })).startsWith('Once upon a time'));
    assert.ok(ep.text(await greedy(ep, { prompt: 'Once upon a time', echo: true })).startsWith('Once upon a time'));
  }),
  logprobs: honored(async (ep) => {
    assert.equal((await greedy(ep, { max_tokens: 4 })).choices[0].logprobs, null);
    const response = await greedy(ep, { max_tokens: 4, logprobs: 2 });
    assert.equal(response.choices[0].logprobs.tokens.length, 4);
    for (const top of response.choices[0].logprobs.top_logprobs) assert.ok(Object.keys(top).length >= 2);
  }),
  add_special_tokens: honored(async (ep) => {
    const count = async (extra) => (await greedy(ep, { prompt: 'Once upon a time', max_tokens: 2, ...extra })).usage.prompt_tokens;
    assert.equal(await count({}), 5);
    assert.equal(await count({ add_special_tokens: false }), 4);
  }),
  truncation_side: honored(async (ep) => {
    const echoed = async (side) =>
      ep.text(await greedy(ep, { max_tokens: 1, echo: true, truncate_prompt_tokens: 2, truncation_side: side }));
    assert.ok((await echoed('left')).startsWith('a time'));
    assert.ok((await echoed('right')).startsWith('Once'));
  }),
  suffix: rejected('the end'),
  prompt_embeds: rejected('AAAA'),
};

const kTools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

const chatFields = {
  ...shared,
  messages: honored(async (ep) => {
    const count = async (content) =>
      (await greedy(ep, { messages: [{ role: 'user', content }], max_tokens: 2 })).usage.prompt_tokens;
    assert.ok(await count('Tell me a long story about a cat.') > await count('Hi.'));
  }),
  logprobs: honored(async (ep) => {
    assert.equal((await greedy(ep, { max_tokens: 4 })).choices[0].logprobs, null);
    const content = (await greedy(ep, { max_tokens: 4, logprobs: true })).choices[0].logprobs.content;
    assert.equal(content.length, 4);
  }),
  top_logprobs: honored(async (ep) => {
    const content = (await greedy(ep, { max_tokens: 4, logprobs: true, top_logprobs: 3 })).choices[0].logprobs.content;
    for (const entry of content) assert.equal(entry.top_logprobs.length, 3);
  }),
  max_completion_tokens: honored(async (ep) => {
    const response = await greedy(ep, { max_tokens: undefined, max_completion_tokens: 6 });
    assert.equal(response.usage.completion_tokens, 6);
  }),
  echo: honored(async (ep) => {
    const prefill = { messages: [{ role: 'user', content: 'Tell me a story.' }, { role: 'assistant', content: 'Once upon a time' }],
                      continue_final_message: true, add_generation_prompt: false, max_tokens: 6 };
    const without = ep.text(await greedy(ep, prefill));
    assert.ok(!without.startsWith('Once upon a time'));
    assert.equal(ep.text(await greedy(ep, { ...prefill, echo: true })), `Once upon a time${without}`);
    const streamed = await ep.stream(ep.body({ ...prefill, echo: true }));
    const firstContent = streamed.chunks.map((c) => c.choices[0]?.delta?.content).find((c) => c);
    assert.equal(firstContent, 'Once upon a time');  // a delta of its own, after the role (vLLM)
    assert.equal(streamed.text, `Once upon a time${without}`);
  }),
  add_generation_prompt: honored(async (ep) => {
    const count = async (extra) => (await greedy(ep, { max_tokens: 2, ...extra })).usage.prompt_tokens;
    assert.ok(await count({ add_generation_prompt: false }) < await count({}));
  }),
  continue_final_message: honored(async (ep) => {
    const prefill = [{ role: 'user', content: 'Tell me a story.' }, { role: 'assistant', content: 'Once upon' }];
    const count = async (extra) =>
      (await greedy(ep, { messages: prefill, max_tokens: 2, add_generation_prompt: false, ...extra })).usage.prompt_tokens;
    assert.ok(await count({ continue_final_message: true }) < await count({}));  // no end of turn after it
  }),
  add_special_tokens: honored(async (ep) => {
    const count = async (extra) => (await greedy(ep, { max_tokens: 2, ...extra })).usage.prompt_tokens;
    assert.equal(await count({ add_special_tokens: true }), await count({}) + 1);  // a BOS on top of the template's
  }),
  documents: honored(rendered({ documents: [{ title: 'Cats', text: 'Cats like milk.' }] })),
  chat_template: rejected('{{ messages }}'),
  return_prompt_text: rejected(true),
  media_io_kwargs: ignored({ image: { num_frames: 1 } }),
  mm_processor_kwargs: ignored({ do_resize: false }),

  // Tools alone mean tool_choice "auto", which needs --enable-auto-tool-choice and a parser; with
  // "none" they are passed to the template.
  tools: structured(kTools, 'tool_choice', rendered({ tools: kTools, tool_choice: 'none' })),
  tool_choice: structured('required', 'tool_choice'),  // without tools
  // Accepted today; replies are not parsed into tool calls or reasoning yet.
  parallel_tool_calls: structured(false, 200),
  reasoning_effort: structured('low', 200),
  include_reasoning: structured(false, 200),
  chat_template_kwargs: structured({ story_style: 'short' }, 200, rendered({ chat_template_kwargs: { story_style: 'short' } })),
};

const tables = { completions: completionFields, chat: chatFields };
const vllmFields = { completions: kVllmCompletionFields, chat: kVllmChatFields };

before(async () => {
  storiesName = await modelName(servers.plain);
  own = await startOwnServer(['--model', config.models.stories, '--kv-cache-memory', '16MiB', '--served-model-name',
    'own', '--chat-template', path.join(config.sourceDir, 'tests/e2e/fixtures/fields_chat.jinja'),
    '--scheduling-policy', 'priority', '--max-num-seqs', '1']);
  const ownClient = client(own);
  Object.assign(endpoints.completions, {
    ownCreate: (body) => ownClient.completions.create(body),
    ownBody: (extra) => ({ ...endpoints.completions.body(extra), model: 'own' }),
  });
  Object.assign(endpoints.chat, {
    ownCreate: (body) => ownClient.chat.completions.create(body),
    ownBody: (extra) => ({ ...endpoints.chat.body(extra), model: 'own' }),
  });
});

after(() => own?.child.kill('SIGKILL'));

describe(`request fields of vLLM ${kVllm.commit.slice(0, 12)}`, () => {
  test('every field of vLLM\'s requests has an entry, and every entry is a field', () => {
    for (const [name, table] of Object.entries(tables)) {
      const missing = vllmFields[name].filter((field) => !(field in table));
      assert.deepEqual(missing, [], `${name}: fields of ${kVllm[name]} with no entry`);
      const known = new Set([...vllmFields[name], ...kOlderVllmFields, ...kOpenAiOnlyFields]);
      assert.deepEqual(Object.keys(table).filter((field) => !known.has(field)), [], `${name}: entries of no field`);
    }
  });

  test('the README lists exactly the fields accepted and ignored', () => {
    const readme = fs.readFileSync(path.join(config.sourceDir, 'src/server/README.md'), 'utf8');
    const section = /^## Fields accepted and ignored\n([\s\S]*?)(?=^## )/m.exec(readme);
    assert.ok(section, 'no "Fields accepted and ignored" section in src/server/README.md');
    const listed = [...section[1].matchAll(/^- `([a-z_]+)`/gm)].map((m) => m[1]).sort();
    const ignoredHere = new Set();
    for (const table of Object.values(tables))
      for (const [field, entry] of Object.entries(table)) if (entry.kind === 'ignored') ignoredHere.add(field);
    assert.deepEqual(listed, [...ignoredHere].sort());
  });

  for (const [name, table] of Object.entries(tables)) {
    describe(name, () => {
      const ep = endpoints[name];
      for (const [field, entry] of Object.entries(table)) {
        test(`${field}: ${entry.kind}`, async () => {
          if (entry.kind === 'honored') {
            await entry.check(ep);
          } else if (entry.kind === 'rejected') {
            const body = await assertApiError(greedy(ep, { max_tokens: 2, [field]: entry.value }), 400, field);
            assert.ok(body.message.includes(field), body.message);
          } else if (entry.kind === 'ignored') {
            const response = await greedy(ep, { max_tokens: 2, [field]: entry.value });
            assert.equal(response.usage.completion_tokens, 2);
          } else {
            const call = greedy(ep, { max_tokens: 2, [field]: entry.value });
            if (entry.expect === 200) assert.ok((await call).usage.completion_tokens >= 1);
            else await assertApiError(call, 400, entry.expect);
            if (entry.check) await entry.check(ep);
          }
        });
      }
    });
  }
});
