// /v1/completions on stories260K through the openai client: the reference text, streaming,
// usage, stop strings, n with a seed, logprobs, echo, and every prompt form.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  client,
  collectCompletionStream,
  kStoriesGreedy40,
  kStoriesPromptIds,
  modelName,
  servers,
} from './lib/harness.mjs';

const server = servers.plain;
const openai = client(server);
let model;

before(async () => {
  model = await modelName(server);
});

const greedy = (extra) => ({ model, prompt: kStoriesPromptIds, max_tokens: 40, temperature: 0, ...extra });

describe('completions', () => {
  test('greedy from token ids gives the README text, with usage and the vLLM shape', async () => {
    const response = await openai.completions.create(greedy());
    assert.match(response.id, /^cmpl-/);
    assert.equal(response.object, 'text_completion');
    assert.equal(response.model, model);
    assert.equal(typeof response.created, 'number');
    assert.equal(response.choices.length, 1);
    const [choice] = response.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.text, kStoriesGreedy40);
    assert.equal(choice.finish_reason, 'length');
    assert.equal(choice.logprobs, null);
    assert.deepEqual(response.usage, { prompt_tokens: 5, completion_tokens: 40, total_tokens: 45 });
  });

  test('a text prompt is tokenized with BOS like the ids', async () => {
    const response = await openai.completions.create(greedy({ prompt: 'Once upon a time' }));
    assert.equal(response.choices[0].text, kStoriesGreedy40);
    assert.equal(response.usage.prompt_tokens, 5);
  });

  test('streamed deltas concatenate to the non-streamed text; include_usage adds a last usage chunk', async () => {
    const stream = await openai.completions.create(greedy({ stream: true, stream_options: { include_usage: true } }));
    const { texts, finish, usage, chunks } = await collectCompletionStream(stream);
    assert.equal(texts[0], kStoriesGreedy40);
    assert.equal(finish[0], 'length');
    assert.deepEqual(usage, { prompt_tokens: 5, completion_tokens: 40, total_tokens: 45 });
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.usage, null);
    for (const chunk of chunks) assert.equal(chunk.object, 'text_completion');
  });

  test('without include_usage a stream carries no usage', async () => {
    const stream = await openai.completions.create(greedy({ stream: true, max_tokens: 5 }));
    const { usage, chunks } = await collectCompletionStream(stream);
    assert.equal(usage, null);
    for (const chunk of chunks) assert.ok(!('usage' in chunk) || chunk.usage === null);
  });

  test('a stop string ends the text before it, streamed or not', async () => {
    const response = await openai.completions.create(greedy({ stop: ['Lily'] }));
    const [choice] = response.choices;
    assert.equal(choice.text, ', there was a little girl named ');
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.stop_reason, 'Lily');
    assert.ok(response.usage.completion_tokens < 40);
    const stream = await openai.completions.create(greedy({ stop: ['Lily'], stream: true }));
    const streamed = await collectCompletionStream(stream);
    assert.equal(streamed.texts[0], choice.text);
    assert.equal(streamed.finish[0], 'stop');
  });

  test('the earliest of several stop strings wins, across token boundaries', async () => {
    const response = await openai.completions.create(greedy({ stop: ['park', 'girl nam'] }));
    assert.equal(response.choices[0].text, ', there was a little ');
    assert.equal(response.choices[0].stop_reason, 'girl nam');
  });

  test('include_stop_str_in_output keeps the stop string', async () => {
    const response = await openai.completions.create(greedy({ stop: 'Lily', include_stop_str_in_output: true }));
    assert.equal(response.choices[0].text, ', there was a little girl named Lily');
  });

  test('a stop string that never occurs changes nothing, also when streamed', async () => {
    const stream = await openai.completions.create(greedy({ stop: ['zebra!'], stream: true }));
    const { texts, finish } = await collectCompletionStream(stream);
    assert.equal(texts[0], kStoriesGreedy40);
    assert.equal(finish[0], 'length');
  });

  test('n=3 with a seed is reproducible, and the samples differ', async () => {
    const request = { model, prompt: 'Once upon a time', max_tokens: 24, temperature: 1.0, n: 3, seed: 1234 };
    const first = await openai.completions.create(request);
    const second = await openai.completions.create(request);
    assert.equal(first.choices.length, 3);
    assert.deepEqual(first.choices.map((c) => c.index), [0, 1, 2]);
    assert.deepEqual(first.choices.map((c) => c.text), second.choices.map((c) => c.text));
    assert.ok(new Set(first.choices.map((c) => c.text)).size >= 2, 'samples should differ');
    assert.equal(first.usage.prompt_tokens, 5);
    assert.equal(first.usage.completion_tokens, 72);
    const streamed = await collectCompletionStream(await openai.completions.create({ ...request, stream: true }));
    assert.deepEqual(streamed.texts, first.choices.map((c) => c.text));
  });

  test('a different seed gives a different sample', async () => {
    const request = { model, prompt: 'Once upon a time', max_tokens: 24, temperature: 1.0 };
    const a = await openai.completions.create({ ...request, seed: 1 });
    const b = await openai.completions.create({ ...request, seed: 2 });
    assert.notEqual(a.choices[0].text, b.choices[0].text);
  });

  test('logprobs: tokens, token_logprobs, top_logprobs (top N plus the chosen) and text_offset', async () => {
    const response = await openai.completions.create(greedy({ logprobs: 3, max_tokens: 12 }));
    const lp = response.choices[0].logprobs;
    assert.ok(lp);
    assert.equal(lp.tokens.length, 12);
    assert.equal(lp.token_logprobs.length, 12);
    assert.equal(lp.top_logprobs.length, 12);
    assert.equal(lp.text_offset.length, 12);
    for (let i = 0; i < 12; ++i) {
      assert.ok(lp.token_logprobs[i] <= 0);
      const top = lp.top_logprobs[i];
      const entries = Object.entries(top);
      assert.ok(entries.length >= 1 && entries.length <= 4);
      // Greedy: the chosen token is the most likely one.
      const best = Math.max(...entries.map(([, v]) => v));
      assert.ok(Math.abs(best - lp.token_logprobs[i]) < 1e-5);
      assert.equal(top[lp.tokens[i]], lp.token_logprobs[i]);
      if (i > 0) assert.ok(lp.text_offset[i] >= lp.text_offset[i - 1]);
    }
    assert.equal(lp.text_offset[0], 0);
    const streamed = await collectCompletionStream(
      await openai.completions.create(greedy({ logprobs: 3, max_tokens: 12, stream: true })));
    const tokens = streamed.chunks.flatMap((c) => c.choices.flatMap((ch) => ch.logprobs?.tokens ?? []));
    assert.deepEqual(tokens, lp.tokens);
  });

  test('echo puts the prompt in front of the text', async () => {
    const response = await openai.completions.create(greedy({ prompt: 'Once upon a time', echo: true, max_tokens: 8 }));
    assert.ok(response.choices[0].text.startsWith('Once upon a time, there was'), response.choices[0].text);
    const streamed = await collectCompletionStream(
      await openai.completions.create(greedy({ prompt: 'Once upon a time', echo: true, max_tokens: 8, stream: true })));
    assert.equal(streamed.texts[0], response.choices[0].text);
  });

  test('echo with logprobs scores the prompt tokens too (the first has none)', async () => {
    const response = await openai.completions.create(greedy({ echo: true, logprobs: 2, max_tokens: 6 }));
    const [choice] = response.choices;
    const lp = choice.logprobs;
    assert.ok(choice.text.startsWith('Once upon a time'), choice.text);
    assert.equal(lp.tokens.length, 5 + 6);
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.top_logprobs[0], null);
    for (let i = 1; i < 11; ++i) assert.ok(lp.token_logprobs[i] <= 0, `position ${i}`);
    assert.deepEqual(lp.tokens.slice(5), (await openai.completions.create(greedy({ logprobs: 2, max_tokens: 6 })))
      .choices[0].logprobs.tokens);
    assert.equal(response.usage.prompt_tokens, 5);
    assert.equal(response.usage.completion_tokens, 6);
    const streamed = await collectCompletionStream(
      await openai.completions.create(greedy({ echo: true, logprobs: 2, max_tokens: 6, stream: true })));
    assert.equal(streamed.texts[0], choice.text);
    const streamedTokens = streamed.chunks.flatMap((c) => c.choices.flatMap((ch) => ch.logprobs?.tokens ?? []));
    assert.deepEqual(streamedTokens, lp.tokens);
  });

  test('a list of prompts gives n choices per prompt, in order', async () => {
    const response = await openai.completions.create({
      model, prompt: ['Once upon a time', 'Tom had a'], max_tokens: 10, temperature: 0, n: 2, ignore_eos: true,
    });
    assert.equal(response.choices.length, 4);
    assert.deepEqual(response.choices.map((c) => c.index), [0, 1, 2, 3]);
    assert.equal(response.choices[0].text, response.choices[1].text);  // greedy: equal samples
    assert.equal(response.choices[0].text, kStoriesGreedy40.slice(0, response.choices[0].text.length));
    assert.notEqual(response.choices[0].text, response.choices[2].text);
    assert.equal(response.usage.completion_tokens, 40);
  });

  test('a list of token-id lists works like the texts', async () => {
    const response = await openai.completions.create({
      model, prompt: [kStoriesPromptIds, kStoriesPromptIds.slice(0, 3)], max_tokens: 40, temperature: 0,
    });
    assert.equal(response.choices[0].text, kStoriesGreedy40);
    assert.equal(response.usage.prompt_tokens, 8);
  });

  test('max_tokens defaults to 16', async () => {
    const response = await openai.completions.create({ model, prompt: kStoriesPromptIds, temperature: 0, ignore_eos: true });
    assert.equal(response.usage.completion_tokens, 16);
  });

  test('logit_bias forces or bans a token (string keys are token ids)', async () => {
    const forced = await openai.completions.create(greedy({ max_tokens: 3, logit_bias: { 266: 100 }, logprobs: 0 }));
    assert.equal(new Set(forced.choices[0].logprobs.tokens).size, 1);
    const banned = await openai.completions.create(greedy({ max_tokens: 1, logit_bias: { 432: -100 } }));
    assert.notEqual(banned.choices[0].text, ',');
  });

  test('min_tokens with ignore_eos generates exactly max_tokens', async () => {
    const response = await openai.completions.create(greedy({ max_tokens: 300, min_tokens: 300, ignore_eos: true }));
    assert.equal(response.usage.completion_tokens, 300);
    assert.equal(response.choices[0].finish_reason, 'length');
  });

  test('the sampling extras are accepted (top_k, min_p, penalties, stop_token_ids, priority 0)', async () => {
    const response = await openai.completions.create({
      model, prompt: 'Once upon a time', max_tokens: 20, temperature: 0.8, top_p: 0.9, top_k: 20, min_p: 0.05,
      presence_penalty: 0.5, frequency_penalty: 0.5, repetition_penalty: 1.2, seed: 3, stop_token_ids: [13],
      priority: 0, user: 'e2e',
    });
    assert.equal(response.choices.length, 1);
    assert.ok(['stop', 'length'].includes(response.choices[0].finish_reason));
  });

  test('a stop token id ends the choice with stop_reason set to it', async () => {
    // 426 is "." in the reference text's ids: greedy stops at the first full stop.
    const response = await openai.completions.create(greedy({ stop_token_ids: [426] }));
    assert.equal(response.choices[0].finish_reason, 'stop');
    assert.equal(response.choices[0].stop_reason, 426);
    assert.equal(response.choices[0].text, ', there was a little girl named Lily');
  });
});
