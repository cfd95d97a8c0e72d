// Beam search (use_beam_search, vLLM's semantics) through the official client: one beam is
// greedy decoding; n beams are distinct, real continuations (their logprobs are the model's, as
// the prompt logprobs of prompt + beam say), best score first; a two-token search equals a
// reference built from plain one-token requests; usage, echo, chat streaming, the refusals, and a
// client that leaves.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  assertApiError,
  client,
  collectChatStream,
  kStoriesPromptIds,
  metrics,
  modelName,
  servers,
  waitForMetrics,
} from './lib/harness.mjs';

const stories = client(servers.plain);
const demo = client(servers.chat);
let storiesName;

before(async () => {
  storiesName = await modelName(servers.plain);
});

const complete = (extra) =>
  stories.completions.create({ model: storiesName, prompt: kStoriesPromptIds, max_tokens: 16, temperature: 0,
                               ignore_eos: true, ...extra });
const idsOf = (choice) => choice.logprobs.tokens.map((t) => Number(t.slice('token_id:'.length)));
const sum = (values) => values.reduce((a, b) => a + b, 0);

// vLLM's score: cum_logprob / length ** length_penalty, the length counting the prompt and not
// an ending EOS (kept among the tokens here by include_stop_str_in_output).
function score(cum, promptTokens, tokens, endedByEos, penalty) {
  return cum / (promptTokens + tokens - (endedByEos ? 1 : 0)) ** penalty;
}

// The top `k` next tokens after `prompt` with their logprobs, from a plain greedy request.
async function topNext(prompt, k) {
  const response = await stories.completions.create({ model: storiesName, prompt, max_tokens: 1, temperature: 0,
                                                      logprobs: k, return_tokens_as_token_ids: true });
  return Object.entries(response.choices[0].logprobs.top_logprobs[0])
    .map(([token, logprob]) => ({ id: Number(token.slice('token_id:'.length)), logprob }))
    .sort((a, b) => b.logprob - a.logprob)
    .slice(0, k);
}

describe('beam search', () => {
  test('one beam is greedy decoding', async () => {
    const greedy = await complete({ max_tokens: 32 });
    const beam = await complete({ max_tokens: 32, use_beam_search: true });
    assert.equal(beam.choices.length, 1);
    assert.equal(beam.choices[0].text, greedy.choices[0].text);
    assert.equal(beam.choices[0].finish_reason, 'length');
    assert.deepEqual(beam.usage, greedy.usage);
  });

  test('n beams are distinct real continuations, best first', async () => {
    const response = await complete({ use_beam_search: true, n: 3, logprobs: 1, return_tokens_as_token_ids: true });
    assert.equal(response.choices.length, 3);
    assert.equal(response.usage.completion_tokens, 3 * 16);
    assert.equal(response.usage.prompt_tokens, kStoriesPromptIds.length);
    const seen = new Set();
    let previous = Infinity;
    for (const [i, choice] of response.choices.entries()) {
      assert.equal(choice.index, i);
      const ids = idsOf(choice);
      assert.equal(ids.length, 16);
      assert.ok(!seen.has(ids.join()), 'two beams are the same');
      seen.add(ids.join());
      // Teacher forcing: the model's logprob of each token after the prompt and the beam's tokens
      // before it (echo with logprobs reports the prompt's).
      const forced = await stories.completions.create({ model: storiesName, prompt: [...kStoriesPromptIds, ...ids],
                                                        max_tokens: 1, echo: true, logprobs: 0 });
      const modelLogprobs = forced.choices[0].logprobs.token_logprobs.slice(kStoriesPromptIds.length, -1);
      assert.equal(modelLogprobs.length, ids.length);
      for (const [t, logprob] of choice.logprobs.token_logprobs.entries())
        assert.ok(Math.abs(logprob - modelLogprobs[t]) < 1e-3, `beam ${i} token ${t}: ${logprob} vs ${modelLogprobs[t]}`);
      const cum = sum(choice.logprobs.token_logprobs);
      assert.ok(cum <= previous + 1e-6, `beam ${i} scores ${cum} after ${previous}`);
      previous = cum;
    }
  });

  test('two steps of three beams equal a reference built from plain requests', async () => {
    // Step 1: the best 3 of the top 6 first tokens; step 2: the best 3 of their top 6 each.
    const first = (await topNext(kStoriesPromptIds, 6)).slice(0, 3);
    const candidates = [];
    for (const t1 of first)
      for (const t2 of await topNext([...kStoriesPromptIds, t1.id], 6))
        candidates.push({ ids: [t1.id, t2.id], cum: t1.logprob + t2.logprob });
    candidates.sort((a, b) => b.cum - a.cum);
    const response = await complete({ use_beam_search: true, n: 3, max_tokens: 2, logprobs: 0,
                                      return_tokens_as_token_ids: true });
    for (const [i, choice] of response.choices.entries()) {
      assert.deepEqual(idsOf(choice), candidates[i].ids, `beam ${i}`);
      assert.ok(Math.abs(sum(choice.logprobs.token_logprobs) - candidates[i].cum) < 1e-3);
    }
  });

  test('beams that end by EOS are ranked by the length penalty', async () => {
    for (const penalty of [0, 1, 2]) {
      const response = await demo.chat.completions.create({
        model: 'turbine-demo', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24,
        use_beam_search: true, n: 4, length_penalty: penalty, include_stop_str_in_output: true, logprobs: true });
      assert.equal(response.choices.length, 4);
      const scores = response.choices.map((c) => {
        const logprobs = c.logprobs.content.map((e) => e.logprob);
        return score(sum(logprobs), response.usage.prompt_tokens, logprobs.length, c.finish_reason === 'stop', penalty);
      });
      for (let i = 1; i < scores.length; ++i) assert.ok(scores[i] <= scores[i - 1] + 1e-6, `penalty ${penalty}: ${scores}`);
      assert.ok(response.choices.some((c) => c.finish_reason === 'stop'), 'no beam ended by EOS: the check proves little');
      for (const c of response.choices) {
        if (c.finish_reason === 'stop') assert.equal(c.stop_reason, 1);  // the EOS, as vLLM's beam search names it
        assert.ok(!c.message.content.includes('<|end_of_text|>'));
      }
      assert.equal(response.usage.completion_tokens, sum(response.choices.map((c) => c.logprobs.content.length)));
    }
  });

  test('an EOS left out of the output is not counted', async () => {
    const body = { model: 'turbine-demo', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24,
                   use_beam_search: true, n: 3, logprobs: true };
    const kept = await demo.chat.completions.create({ ...body, include_stop_str_in_output: true });
    const left = await demo.chat.completions.create(body);
    const stops = kept.choices.filter((c) => c.finish_reason === 'stop').length;
    assert.ok(stops > 0);
    assert.deepEqual(left.choices.map((c) => c.message.content), kept.choices.map((c) => c.message.content));
    assert.equal(left.usage.completion_tokens, kept.usage.completion_tokens - stops);
  });

  test('completions echo the prompt, with its logprobs when asked', async () => {
    const response = await stories.completions.create({ model: storiesName, prompt: 'Once upon a time', max_tokens: 4,
                                                        temperature: 0, use_beam_search: true, n: 2, echo: true,
                                                        logprobs: 1 });
    for (const choice of response.choices) {
      assert.ok(choice.text.startsWith('Once upon a time'), choice.text);
      assert.equal(choice.logprobs.tokens.length, response.usage.prompt_tokens + 4);
      assert.equal(choice.logprobs.token_logprobs[0], null);
      assert.equal(typeof choice.logprobs.token_logprobs[1], 'number');
    }
  });

  test('chat streams the result, as vLLM does; completions refuse to stream', async () => {
    const body = { model: 'turbine-demo', messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 16,
                   use_beam_search: true, n: 2 };
    const whole = await demo.chat.completions.create(body);
    const streamed = await collectChatStream(await demo.chat.completions.create({ ...body, stream: true,
                                                                                  stream_options: { include_usage: true } }));
    assert.deepEqual(streamed.texts, whole.choices.map((c) => c.message.content));
    assert.deepEqual(streamed.roles, ['assistant', 'assistant']);
    assert.deepEqual(streamed.finish, whole.choices.map((c) => c.finish_reason));
    assert.deepEqual(streamed.usage, whole.usage);
    await assertApiError(complete({ use_beam_search: true, stream: true }), 400, 'stream');
  });

  test('what beam search cannot honor is a 400 naming it', async () => {
    await assertApiError(complete({ use_beam_search: true, n: 11 }), 400, 'n');
    await assertApiError(complete({ use_beam_search: true, stop: ['.'] }), 400, 'stop');
    await assertApiError(complete({ use_beam_search: true, min_tokens: 2 }), 400, 'min_tokens');
    await assertApiError(complete({ use_beam_search: true, presence_penalty: 1 }), 400, 'presence_penalty');
    await assertApiError(complete({ use_beam_search: true, response_format: { type: 'json_object' } }), 400,
                         'response_format');
    await assertApiError(complete({ length_penalty: 2 }), 400, 'length_penalty');
  });

  test('a client that leaves ends the search', async () => {
    // Each step's requests start and end within one engine step, so the running gauge stays at 0:
    // the engine's prefix-cache lookups (every step looks its prompts up) show the search at work.
    const kAborted = 'turbine_request_success_total{finish_reason="abort"}';
    const kLookups = 'turbine_prefix_cache_queries_total';
    const before = await metrics(servers.plain);
    const controller = new AbortController();
    const request = fetch(`${servers.plain.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Seconds of work: 500 steps of 10 beams.
      body: JSON.stringify({ model: storiesName, prompt: kStoriesPromptIds, max_tokens: 500, use_beam_search: true,
                             n: 10, ignore_eos: true }),
      signal: controller.signal,
    }).catch(() => 'aborted');
    const started = await waitForMetrics(servers.plain, (m) => m[kLookups] > before[kLookups] + 1000);
    assert.ok(started[kLookups] > before[kLookups] + 1000, 'the search did not start');
    controller.abort();
    assert.equal(await request, 'aborted');
    // Its 10 beams end as aborted, and the engine does no more of it.
    const after = await waitForMetrics(servers.plain, (m) => m[kAborted] >= before[kAborted] + 10);
    assert.equal(after[kAborted], before[kAborted] + 10);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await metrics(servers.plain);
    assert.equal(later[kLookups], after[kLookups]);
    assert.equal(later.turbine_requests_running + later.turbine_requests_waiting, 0);
  });
});
