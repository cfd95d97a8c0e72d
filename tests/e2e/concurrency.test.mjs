// 64 concurrent streams, a quarter of which disconnect early: the rest complete, the aborted
// ones leave the engine (nothing running, KV usage back to 0), and the server still gives the
// reference text afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  client,
  kStoriesGreedy40,
  kStoriesPromptIds,
  metrics,
  modelName,
  servers,
  waitForMetrics,
} from './lib/harness.mjs';

const server = servers.plain;

describe('concurrency and disconnects', () => {
  test('64 streams, 16 disconnecting early', async () => {
    const openai = client(server);
    const model = await modelName(server);
    const before = await metrics(server);
    const kTokens = 400;
    // The 48 that run to the end start first and are all streaming before the 16 that leave
    // early start: the batch is then large (slow steps), so the leavers cannot finish their
    // 400 tokens before their client gets to disconnect.
    let streaming = 0;
    let allStreaming;
    const allStreamingPromise = new Promise((resolve) => { allStreaming = resolve; });
    const full = Array.from({ length: 48 }, async (_, i) => {
      const stream = await openai.completions.create({
        model, prompt: `Once upon a time, story ${i}:`, max_tokens: kTokens, ignore_eos: true, temperature: 0.7,
        seed: i, stream: true,
      });
      const texts = [];
      const finish = [];
      for await (const chunk of stream) {
        for (const choice of chunk.choices) {
          if (texts[choice.index] === undefined && ++streaming === 48) allStreaming();
          texts[choice.index] = (texts[choice.index] ?? '') + choice.text;
          if (choice.finish_reason) finish[choice.index] = choice.finish_reason;
        }
      }
      return { aborted: false, texts, finish };
    });
    await allStreamingPromise;
    const leaving = Array.from({ length: 16 }, async (_, i) => {
      const stream = await openai.completions.create({
        model, prompt: `Once upon a time, story ${48 + i}:`, max_tokens: kTokens, ignore_eos: true, temperature: 0.7,
        seed: 48 + i, stream: true,
      });
      let chunks = 0;
      for await (const chunk of stream) {
        if (chunk.choices.length && ++chunks === 2) break;  // leaving the loop aborts the request
      }
      return { aborted: true };
    });
    const runs = [...full, ...leaving];
    const results = await Promise.all(runs);
    for (const r of results.filter((x) => !x.aborted)) {
      assert.equal(r.finish[0], 'length');
      assert.ok(r.texts[0].length > 0);
    }
    // The aborted requests leave the engine within a step; nothing may stay running or hold KV.
    const after = await waitForMetrics(server, (m) => m.turbine_requests_running === 0 &&
      m.turbine_requests_waiting === 0 && m.turbine_kv_cache_usage_ratio === 0);
    assert.equal(after.turbine_requests_running, 0);
    assert.equal(after.turbine_requests_waiting, 0);
    assert.equal(after.turbine_kv_cache_usage_ratio, 0);
    const key = (reason) => `turbine_request_success_total{finish_reason="${reason}"}`;
    assert.equal(after[key('length')] - before[key('length')], 48);
    assert.equal(after[key('abort')] - before[key('abort')], 16);
    // Aborted streams stopped early: far fewer tokens than 64 full ones.
    const generated = after.turbine_generation_tokens_total - before.turbine_generation_tokens_total;
    assert.ok(generated >= 48 * kTokens, `generated ${generated}`);
    assert.ok(generated < 64 * kTokens, `generated ${generated}: the aborted streams ran to the end`);

    const check = await openai.completions.create({ model, prompt: kStoriesPromptIds, max_tokens: 40, temperature: 0 });
    assert.equal(check.choices[0].text, kStoriesGreedy40);
  });

  test('a client that disconnects from a non-streamed request aborts it too', async () => {
    const model = await modelName(server);
    const before = await metrics(server);
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/completions`, {
      method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'Once upon a time', max_tokens: 500, n: 8, ignore_eos: true }),
    }).catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await pending;
    const after = await waitForMetrics(server, (m) =>
      m['turbine_request_success_total{finish_reason="abort"}'] > before['turbine_request_success_total{finish_reason="abort"}'] &&
      m.turbine_requests_running === 0 && m.turbine_kv_cache_usage_ratio === 0);
    assert.equal(after.turbine_requests_running, 0);
    assert.equal(after.turbine_kv_cache_usage_ratio, 0);
  });
});
