// Every error a client can cause, in OpenAI's shape with the right status, and the API key.
import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, test } from 'node:test';

import {
  assertApiError,
  assertErrorBody,
  client,
  config,
  get,
  kStoriesPromptIds,
  modelName,
  post,
  servers,
} from './lib/harness.mjs';

const server = servers.plain;
const openai = client(server);
let model;

before(async () => {
  model = await modelName(server);
});

const completion = (extra) => ({ model, prompt: 'Once upon a time', max_tokens: 4, ...extra });

describe('400: malformed requests', () => {
  test('malformed JSON, a non-object body, an empty body', async () => {
    for (const body of ['{"prompt": "x",', 'not json', '[1, 2]', '"text"', '']) {
      const error = assertErrorBody(await post(server, '/v1/completions', body), 400);
      assert.equal(error.type, 'invalid_request_error');
    }
    assertErrorBody(await post(server, '/v1/chat/completions', '{'), 400);
  });

  test('JSON nested too deep', async () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    assertErrorBody(await post(server, '/v1/completions', `{"prompt": ${deep}}`), 400);
  });

  test('wrong types name the field', async () => {
    const cases = [
      [{ temperature: 'hot' }, 'temperature'], [{ max_tokens: '10' }, 'max_tokens'], [{ n: 1.5 }, 'n'],
      [{ stream: 'yes' }, 'stream'], [{ stop: 5 }, 'stop'], [{ stop: ['a', 3] }, 'stop'],
      [{ logit_bias: [1] }, 'logit_bias'], [{ seed: 'abc' }, 'seed'], [{ top_k: 2.5 }, 'top_k'],
      [{ prompt: 5 }, 'prompt'], [{ prompt: [1, 'a'] }, 'prompt[1]'], [{ prompt: ['a', [1]] }, 'prompt[1]'],
      [{ model: 7 }, 'model'], [{ echo: 1 }, 'echo'], [{ stop_token_ids: 'x' }, 'stop_token_ids'],
    ];
    for (const [extra, param] of cases) {
      await assertApiError(openai.completions.create(completion(extra)), 400, param);
    }
  });

  test('out-of-range parameters', async () => {
    const cases = [
      [{ temperature: -0.5 }, 'temperature'], [{ top_p: 0 }, 'top_p'], [{ top_p: 1.5 }, 'top_p'],
      [{ n: 0 }, 'n'], [{ max_tokens: 0 }, 'max_tokens'], [{ max_tokens: -3 }, 'max_tokens'],
      [{ logprobs: 21 }, 'logprobs'], [{ logprobs: -1 }, 'logprobs'], [{ min_p: 1.5 }, 'min_p'],
      [{ top_k: -2 }, 'top_k'], [{ presence_penalty: 2.5 }, 'presence_penalty'],
      [{ frequency_penalty: -3 }, 'frequency_penalty'], [{ repetition_penalty: 0 }, 'repetition_penalty'],
      [{ logit_bias: { 5: 101 } }, 'logit_bias'], [{ logit_bias: { abc: 1 } }, 'logit_bias'],
      [{ logit_bias: { 99999: 1 } }, 'logit_bias'], [{ min_tokens: 10, max_tokens: 5 }, 'min_tokens'],
      [{ stop: [''] }, 'stop'], [{ n: 1000 }, 'n'], [{ best_of: 3 }, 'best_of'],
      [{ stream_options: { include_usage: true } }, 'stream_options'], [{ priority: 5 }, 'priority'],
      [{ suffix: 'x' }, 'suffix'],
    ];
    for (const [extra, param] of cases) {
      const body = await assertApiError(openai.completions.create(completion(extra)), 400, param);
      assert.ok(body.message.length > 10, body.message);
    }
    await assertApiError(client(servers.chat).chat.completions.create({
      model: 'turbine-demo', messages: [{ role: 'user', content: 'hi' }], top_logprobs: 21, logprobs: true }), 400,
    'top_logprobs');
    await assertApiError(client(servers.chat).chat.completions.create({
      model: 'turbine-demo', messages: [{ role: 'user', content: 'hi' }], top_logprobs: 2 }), 400, 'top_logprobs');
  });

  test('invalid token ids', async () => {
    await assertApiError(openai.completions.create(completion({ prompt: [1, 99999] })), 400, 'prompt');
    await assertApiError(openai.completions.create(completion({ prompt: [1, -1] })), 400, 'prompt[1]');
    await assertApiError(openai.completions.create(completion({ prompt: [[1, 2], [512]] })), 400, 'prompt[1]');
    await assertApiError(openai.completions.create(completion({ stop_token_ids: [4096] })), 400, 'stop_token_ids');
    assertErrorBody(await post(server, '/detokenize', { tokens: [1, 100000] }), 400, 'tokens[1]');
  });

  test('an empty prompt (no tokens) and an empty prompt list', async () => {
    await assertApiError(openai.completions.create(completion({ prompt: [[]] })), 400);
    await assertApiError(openai.completions.create(completion({ prompt: [] })), 400, 'prompt');
  });

  test('a prompt longer than the context: the message gives both lengths', async () => {
    const long = Array.from({ length: 600 }, (_, i) => 300 + (i % 100));
    const body = await assertApiError(openai.completions.create(completion({ prompt: long })), 400, 'prompt');
    assert.match(body.message, /512/);
    assert.match(body.message, /600/);
    const text = await assertApiError(openai.completions.create(completion({ prompt: 'Once upon a time '.repeat(200) })), 400);
    assert.match(text.message, /512/);
    // Prompt plus max_tokens past the context is refused too (vLLM does the same).
    const over = await assertApiError(openai.completions.create(completion({ prompt: kStoriesPromptIds, max_tokens: 510 })),
                                      400, 'max_tokens');
    assert.match(over.message, /512/);
  });

  test('missing messages, missing prompt, bad messages', async () => {
    const chat = client(servers.chat);
    let body = await assertApiError(chat.chat.completions.create({ model: 'turbine-demo' }), 400, 'messages');
    assert.match(body.message, /messages/);
    await assertApiError(chat.chat.completions.create({ model: 'turbine-demo', messages: [] }), 400, 'messages');
    await assertApiError(chat.chat.completions.create({ model: 'turbine-demo', messages: [{ content: 'x' }] }), 400,
                         'messages[0].role');
    await assertApiError(chat.chat.completions.create({ model: 'turbine-demo', messages: [{ role: 'user', content: 5 }] }),
                         400, 'messages[0].content');
    await assertApiError(chat.chat.completions.create({ model: 'turbine-demo',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 400,
    'messages[0].content[0].type');
    body = await assertApiError(openai.completions.create({ model }), 400, 'prompt');
  });

  test('a template error is a 400 with the template message', async () => {
    // The demo template raises for a tool call without a function name: the template fails, not the server.
    const chat = client(servers.chat);
    const body = await assertApiError(chat.chat.completions.create({ model: 'turbine-demo', messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { arguments: '{}' } }] },
    ] }), 400, 'messages');
    assert.match(body.message, /every tool call needs a function name/);
    assert.equal(body.code, 'chat_template_error');
  });
});

describe('404 and 405', () => {
  test('an unknown model', async () => {
    const body = await assertApiError(openai.completions.create(completion({ model: 'gpt-4o' })), 404, 'model');
    assert.match(body.message, /gpt-4o/);
    await assertApiError(client(servers.chat).chat.completions.create({
      model: 'nope', messages: [{ role: 'user', content: 'hi' }] }), 404, 'model');
  });

  test('an unknown route, a wrong method', async () => {
    assertErrorBody(await get(server, '/v1/nothing'), 404);
    assertErrorBody(await post(server, '/v2/completions', {}), 404);
    assertErrorBody(await get(server, '/v1/completions'), 405);
  });
});

describe('413, 503', () => {
  test('a body over the limit (32 MiB)', async () => {
    const huge = 'a'.repeat(33 * 1024 * 1024);
    const body = await assertApiError(openai.completions.create(completion({ prompt: huge })), 413);
    assert.match(body.message, /limit/);
    // The server is fine afterwards.
    assert.equal((await get(server, '/health')).status, 200);
  });

  test('queue full: requests beyond running + waiting get 503', async () => {
    const narrow = client(servers.narrow);
    const name = await modelName(servers.narrow);
    const request = { model: name, prompt: 'Once upon a time', max_tokens: 400, ignore_eos: true, temperature: 0 };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => narrow.completions.create(request)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(ok.length >= 1, 'at least one request is served');
    assert.ok(refused.length >= 1, 'at least one request is refused');
    for (const r of refused) {
      assert.equal(r.reason.status, 503, String(r.reason));
      assert.ok(r.reason.error?.message, 'error body');
    }
    for (const r of ok) assert.equal(r.value.usage.completion_tokens, 400);
  });

  test('more prompts than the server runs and queues: a 400 naming the prompt list, not n', async () => {
    const narrow = client(servers.narrow);
    const name = await modelName(servers.narrow);
    const body = await assertApiError(narrow.completions.create({ model: name, prompt: ['a', 'b', 'c'], max_tokens: 1 }),
                                      400, 'prompt');
    assert.match(body.message, /3 sequences/);
  });

  test('a number that overflows its type names the field and shows the value', async () => {
    const body = await assertApiError(openai.completions.create(completion({ temperature: 1e300 })), 400, 'temperature');
    assert.match(body.message, /1e\+300/);
  });
});

describe('API key', () => {
  const keyed = servers.keyed;
  test('missing or wrong key: 401 on /v1 routes', async () => {
    await assertApiError(client(keyed, { apiKey: 'wrong' }).models.list(), 401);
    const missing = await get(keyed, '/v1/models');
    const error = assertErrorBody(missing, 401);
    assert.equal(error.code, 'invalid_api_key');
    assertErrorBody(await post(keyed, '/v1/completions', { prompt: 'x' }, { authorization: 'Bearer wrong' }), 401);
    assertErrorBody(await post(keyed, '/v1/completions', { prompt: 'x' }, { authorization: `Basic ${config.apiKey}` }), 401);
  });

  test('the right key works; /health and /metrics stay open', async () => {
    const openaiKeyed = client(keyed, { apiKey: config.apiKey });
    const response = await openaiKeyed.completions.create({ model: 'stories', prompt: 'Once upon a time', max_tokens: 3 });
    assert.equal(response.choices.length, 1);
    assert.equal((await get(keyed, '/health')).status, 200);
    assert.equal((await get(keyed, '/metrics')).status, 200);
  });

  test('without --api-key any key or none is accepted', async () => {
    await client(server, { apiKey: 'anything' }).models.list();
    assert.equal((await get(server, '/v1/models')).status, 200);
  });
});

describe('robustness', () => {
  test('garbage on the socket gets a 400 or a close, and the server keeps serving', async () => {
    const { hostname, port } = new URL(server.url);
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n',
      'POST /v1/completions HTTP/1.1\r\nContent-Length: 5\r\n\r\n{']) {
      await new Promise((resolve) => {
        const socket = net.connect(Number(port), hostname, () => socket.end(garbage));
        socket.on('data', () => {});
        socket.on('error', resolve);
        socket.on('close', resolve);
        setTimeout(() => socket.destroy(), 2000);
      });
    }
    assert.equal((await get(server, '/health')).status, 200);
    const response = await openai.completions.create(completion({ max_tokens: 2 }));
    assert.equal(response.choices.length, 1);
  });

  test('invalid UTF-8 in a prompt string is answered, not crashed on', async () => {
    const bytes = Buffer.concat([Buffer.from('{"prompt": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('", "max_tokens": 2}')]);
    const result = await fetch(`${server.url}/v1/completions`, { method: 'POST', body: bytes,
                                                                  headers: { 'content-type': 'application/json' } });
    assert.equal(result.status, 400);
    await result.text();
  });
});
