// The other endpoints: /v1/models, /health, /version, /tokenize, /detokenize, /metrics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, config, get, kStoriesGreedy40, kStoriesPromptIds, metrics, post, servers } from './lib/harness.mjs';

describe('endpoints', () => {
  test('/v1/models lists the served model with its context length', async () => {
    const list = await client(servers.chat).models.list();
    assert.equal(list.data.length, 1);
    const [model] = list.data;
    assert.equal(model.id, 'turbine-demo');
    assert.equal(model.object, 'model');
    assert.equal(model.owned_by, 'turbine');
    assert.equal(model.max_model_len, 1024);
    assert.equal(model.root, config.models.demo);
    const plain = await client(servers.plain).models.list();
    assert.equal(plain.data[0].id, config.models.stories);  // the default name: the --model path
    assert.equal(plain.data[0].max_model_len, 512);
  });

  test('/health and /version', async () => {
    const health = await get(servers.plain, '/health');
    assert.equal(health.status, 200);
    const version = await get(servers.plain, '/version');
    assert.equal(version.status, 200);
    assert.match(version.json.version, /^\d+\.\d+\.\d+/);
  });

  test('/tokenize a prompt (vLLM shape), with token strings on request', async () => {
    const result = await post(servers.plain, '/tokenize', { prompt: 'Once upon a time', return_token_strs: true });
    assert.equal(result.status, 200);
    assert.deepEqual(result.json.tokens, kStoriesPromptIds);
    assert.equal(result.json.count, 5);
    assert.equal(result.json.max_model_len, 512);
    assert.equal(result.json.token_strs.length, 5);
    assert.equal(result.json.token_strs[0], '<s>');
    const plain = await post(servers.plain, '/tokenize', { prompt: 'Once upon a time', add_special_tokens: false });
    assert.deepEqual(plain.json.tokens, kStoriesPromptIds.slice(1));
    assert.equal(plain.json.token_strs, null);
  });

  test('/detokenize returns the text', async () => {
    const result = await post(servers.plain, '/detokenize', {
      tokens: [432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426],
    });
    assert.equal(result.status, 200);
    assert.equal(result.json.prompt, kStoriesGreedy40.slice(0, kStoriesGreedy40.indexOf('.') + 1));
  });

  test('/metrics has every series in Prometheus text format', async () => {
    const result = await get(servers.plain, '/metrics');
    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type'), /^text\/plain/);
    for (const name of ['turbine_requests_running', 'turbine_requests_waiting', 'turbine_kv_cache_usage_ratio',
      'turbine_prefix_cache_queries_total', 'turbine_prefix_cache_hits_total', 'turbine_prompt_tokens_total',
      'turbine_generation_tokens_total', 'turbine_request_success_total', 'turbine_preemptions_total']) {
      assert.match(result.text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name);
    }
    for (const name of ['turbine_time_to_first_token_seconds', 'turbine_inter_token_latency_seconds',
      'turbine_e2e_request_latency_seconds']) {
      assert.match(result.text, new RegExp(`^# TYPE ${name} histogram$`, 'm'));
      assert.match(result.text, new RegExp(`^${name}_bucket\\{le="\\+Inf"\\} \\d+$`, 'm'));
      assert.match(result.text, new RegExp(`^${name}_sum `, 'm'));
      assert.match(result.text, new RegExp(`^${name}_count \\d+$`, 'm'));
    }
    for (const reason of ['stop', 'length', 'abort'])
      assert.match(result.text, new RegExp(`^turbine_request_success_total\\{finish_reason="${reason}"\\} \\d+$`, 'm'));
  });

  test('/metrics counts tokens, requests and latencies', async () => {
    const before = await metrics(servers.plain);
    await client(servers.plain).completions.create({
      model: config.models.stories, prompt: kStoriesPromptIds, max_tokens: 10, temperature: 0, ignore_eos: true,
    });
    const after = await metrics(servers.plain);
    assert.equal(after.turbine_prompt_tokens_total - before.turbine_prompt_tokens_total, 5);
    assert.equal(after.turbine_generation_tokens_total - before.turbine_generation_tokens_total, 10);
    assert.equal(after['turbine_request_success_total{finish_reason="length"}'] -
                 before['turbine_request_success_total{finish_reason="length"}'], 1);
    assert.equal(after.turbine_time_to_first_token_seconds_count - before.turbine_time_to_first_token_seconds_count, 1);
    assert.equal(after.turbine_e2e_request_latency_seconds_count - before.turbine_e2e_request_latency_seconds_count, 1);
    assert.equal(after.turbine_inter_token_latency_seconds_count - before.turbine_inter_token_latency_seconds_count, 9);
    assert.ok(after.turbine_prefix_cache_queries_total >= before.turbine_prefix_cache_queries_total);
    assert.equal(after.turbine_requests_running, 0);
    assert.equal(after.turbine_kv_cache_usage_ratio, 0);
  });

  test('a repeated prompt hits the prefix cache', async () => {
    const prompt = 'Once upon a time there was a big brown dog who liked to run in the green park every day';
    const openai = client(servers.plain);
    await openai.completions.create({ model: config.models.stories, prompt, max_tokens: 2 });
    const before = await metrics(servers.plain);
    await openai.completions.create({ model: config.models.stories, prompt, max_tokens: 2 });
    const after = await metrics(servers.plain);
    assert.ok(after.turbine_prefix_cache_hits_total > before.turbine_prefix_cache_hits_total);
  });

  test('keep-alive: many requests over one connection', async () => {
    // fetch pools connections per origin: sequential requests reuse one socket.
    for (let i = 0; i < 20; ++i) assert.equal((await get(servers.plain, '/health')).status, 200);
  });
});
