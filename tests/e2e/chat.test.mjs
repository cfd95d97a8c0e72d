// /v1/chat/completions: the demo model's ChatML template, --chat-template on stories260K, and a
// model without any template.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { assertApiError, client, collectChatStream, config, modelName, post, servers } from './lib/harness.mjs';

const demo = client(servers.chat);
const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'It is a truth universally acknowledged, that' },
];

describe('chat completions (demo model, ChatML)', () => {
  test('a greedy reply: shape, role, usage that matches /tokenize', async () => {
    const response = await demo.chat.completions.create({ model: 'turbine-demo', messages, max_tokens: 24, temperature: 0 });
    assert.match(response.id, /^chatcmpl-/);
    assert.equal(response.object, 'chat.completion');
    assert.equal(response.model, 'turbine-demo');
    const [choice] = response.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(typeof choice.message.content, 'string');
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    const tokenized = await post(servers.chat, '/tokenize', { model: 'turbine-demo', messages });
    assert.equal(tokenized.status, 200);
    assert.equal(response.usage.prompt_tokens, tokenized.json.count);
    assert.equal(response.usage.total_tokens, response.usage.prompt_tokens + response.usage.completion_tokens);
    assert.ok(response.usage.completion_tokens >= 1 && response.usage.completion_tokens <= 24);
  });

  test('the stream starts with the role and its deltas concatenate to the greedy text', async () => {
    const request = { model: 'turbine-demo', messages, max_completion_tokens: 32, temperature: 0 };
    const whole = await demo.chat.completions.create(request);
    const stream = await demo.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const { texts, roles, finish, usage, chunks } = await collectChatStream(stream);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(roles[0], 'assistant');
    assert.equal(texts[0], whole.choices[0].message.content);
    assert.equal(finish[0], whole.choices[0].finish_reason);
    assert.deepEqual(usage, whole.usage);
    for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
  });

  test('max_completion_tokens and max_tokens limit the reply', async () => {
    for (const limit of [{ max_completion_tokens: 5 }, { max_tokens: 5 }]) {
      const response = await demo.chat.completions.create({ model: 'turbine-demo', messages, temperature: 0, ignore_eos: true, ...limit });
      assert.equal(response.usage.completion_tokens, 5);
      assert.equal(response.choices[0].finish_reason, 'length');
    }
  });

  test('logprobs with top_logprobs, streamed and not', async () => {
    const request = { model: 'turbine-demo', messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3 };
    const response = await demo.chat.completions.create(request);
    const content = response.choices[0].logprobs.content;
    assert.equal(content.length, response.usage.completion_tokens);
    for (const entry of content) {
      assert.equal(typeof entry.token, 'string');
      assert.ok(entry.logprob <= 0);
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, 'utf8')]);
      assert.equal(entry.top_logprobs.length, 3);
      assert.ok(Math.abs(entry.top_logprobs[0].logprob - entry.logprob) < 1e-5);  // greedy
    }
    const streamed = await collectChatStream(await demo.chat.completions.create({ ...request, stream: true }));
    assert.deepEqual(streamed.logprobs[0].map((e) => e.token), content.map((e) => e.token));
  });

  test('list-of-parts content equals the joined string', async () => {
    const parts = [{ role: 'user', content: [{ type: 'text', text: 'It is a truth universally acknowledged,' }, { type: 'text', text: 'that' }] }];
    const joined = [{ role: 'user', content: 'It is a truth universally acknowledged,\nthat' }];
    const a = await demo.chat.completions.create({ model: 'turbine-demo', messages: parts, max_tokens: 10, temperature: 0 });
    const b = await demo.chat.completions.create({ model: 'turbine-demo', messages: joined, max_tokens: 10, temperature: 0 });
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    assert.equal(a.usage.prompt_tokens, b.usage.prompt_tokens);
  });

  test('n=2 with a seed is reproducible', async () => {
    const request = { model: 'turbine-demo', messages, max_tokens: 12, temperature: 1, n: 2, seed: 42 };
    const a = await demo.chat.completions.create(request);
    const b = await demo.chat.completions.create(request);
    assert.equal(a.choices.length, 2);
    assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content));
  });

  test('a stop string cuts the reply, streamed or not', async () => {
    const request = { model: 'turbine-demo', messages, max_tokens: 40, temperature: 0, ignore_eos: true };
    const full = (await demo.chat.completions.create(request)).choices[0].message.content;
    const words = full.split(/\s+/).filter((w) => w.length >= 3);
    assert.ok(words.length > 1, `reply too short to pick a stop word: ${JSON.stringify(full)}`);
    const stop = words[1];
    const cut = full.slice(0, full.indexOf(stop));
    const response = await demo.chat.completions.create({ ...request, stop: [stop] });
    assert.equal(response.choices[0].message.content, cut);
    assert.equal(response.choices[0].finish_reason, 'stop');
    const streamed = await collectChatStream(await demo.chat.completions.create({ ...request, stop: [stop], stream: true }));
    assert.equal(streamed.texts[0], cut);
  });

  test('add_generation_prompt=false and continue_final_message shape the prompt like transformers', async () => {
    const base = await post(servers.chat, '/tokenize', { messages, add_generation_prompt: true });
    const without = await post(servers.chat, '/tokenize', { messages, add_generation_prompt: false });
    assert.ok(without.json.count < base.json.count);
    const prefill = [...messages, { role: 'assistant', content: 'Indeed,' }];
    const continued = await post(servers.chat, '/tokenize', { messages: prefill, continue_final_message: true,
                                                             add_generation_prompt: false });
    assert.equal(continued.status, 200);
    const detok = await post(servers.chat, '/detokenize', { tokens: continued.json.tokens });
    assert.ok(detok.json.prompt.endsWith('<|im_start|>assistant\nIndeed,'), JSON.stringify(detok.json.prompt));
    const reply = await demo.chat.completions.create({ model: 'turbine-demo', messages: prefill,
      continue_final_message: true, add_generation_prompt: false, max_tokens: 4, temperature: 0 });
    assert.equal(reply.usage.prompt_tokens, continued.json.count);
  });
});

describe('agent-style conversations (demo model)', () => {
  // OpenAI's shape: the assistant turn that calls tools has content null; results come back as role "tool".
  const agent = [
    { role: 'user', content: 'What is the weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', name: 'get_weather', content: '{"temp_c": 21}' },
  ];

  test('null content, tool_calls and a tool result render and are served', async () => {
    const response = await demo.chat.completions.create({ model: 'turbine-demo', messages: agent, max_tokens: 4, temperature: 0 });
    assert.equal(response.choices[0].message.role, 'assistant');
    const tokenized = await post(servers.chat, '/tokenize', { messages: agent });
    assert.equal(tokenized.status, 200);
    assert.equal(response.usage.prompt_tokens, tokenized.json.count);
    const text = await post(servers.chat, '/detokenize', { tokens: tokenized.json.tokens });
    assert.equal(text.json.prompt,
      '<|begin_of_text|><|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n' +
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n' +
      '<|im_start|>tool\n<tool_response name="get_weather" id="call_1">\n{"temp_c": 21}\n</tool_response><|im_end|>\n' +
      '<|im_start|>assistant\n');
  });
});

describe('chat completions with --chat-template (stories260K)', () => {
  const keyed = client(servers.keyed, { apiKey: config.apiKey });

  test('the given template renders the prompt', async () => {
    const chat = [{ role: 'user', content: 'Tell me a story.' }];
    const response = await keyed.chat.completions.create({ model: 'stories', messages: chat, max_tokens: 20, temperature: 0 });
    assert.equal(response.choices[0].message.role, 'assistant');
    // With --api-key every route but /health, /version and /metrics needs the key.
    const auth = { authorization: `Bearer ${config.apiKey}` };
    const tokenized = await post(servers.keyed, '/tokenize', { messages: chat }, auth);
    const text = await post(servers.keyed, '/detokenize', { tokens: tokenized.json.tokens }, auth);
    // SentencePiece decodes the word after <s> with its space: the template's text follows it.
    assert.equal(text.json.prompt, '<s> User: Tell me a story.\nAssistant:');
    assert.equal(response.usage.prompt_tokens, tokenized.json.count);
  });
});

describe('chat completions without a template', () => {
  test('is a clear 400 that names the fix', async () => {
    const openai = client(servers.plain);
    const body = await assertApiError(
      openai.chat.completions.create({ model: await modelName(servers.plain), messages: [{ role: 'user', content: 'hi' }] }),
      400);
    assert.match(body.message, /chat template/);
    assert.match(body.message, /--chat-template/);
  });
});
