// Tool calling on the demo model (its template has a Hermes-style tools section; the server runs
// with --enable-auto-tool-choice --tool-call-parser hermes): named and required choices (enforced
// by a grammar from the tools' schemas), auto calls read by the parser, streamed in OpenAI's
// shape, through the openai client, LangChain's bindTools and the AI SDK's tools.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { assertErrorBody, client, config, post, servers } from './lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const requireFromJs = createRequire(path.resolve(here, '../js/package.json'));
const Ajv = requireFromJs('ajv').default;
const { z } = requireFromJs('zod');
const { ChatOpenAI } = requireFromJs('@langchain/openai');
const { generateText, tool, jsonSchema } = requireFromJs('ai');
const { createOpenAI } = requireFromJs('@ai-sdk/openai');

const ajv = new Ajv({ strict: false });
const server = servers.chat;
const openai = client(server);
const model = 'turbine-demo';
const weatherParams = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 20 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city'],
  additionalProperties: false,
};
const addParams = {
  // Bounded, so that every call fits the tests' max_tokens whatever digits the model picks.
  type: 'object', properties: { a: { type: 'integer', minimum: -1000, maximum: 1000 }, b: { type: 'integer', minimum: -1000, maximum: 1000 } },
  required: ['a', 'b'], additionalProperties: false,
};
const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weatherParams } },
  { type: 'function', function: { name: 'add', description: 'Adds two numbers', parameters: addParams } },
];
const paramsOf = { get_weather: weatherParams, add: addParams };
const messages = [{ role: 'user', content: 'What is the weather in Oslo?' }];

function assertCall(call, names = Object.keys(paramsOf)) {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^chatcmpl-tool-[0-9a-f]{32}$/);
  assert.ok(names.includes(call.function.name), call.function.name);
  const args = JSON.parse(call.function.arguments);
  assert.ok(ajv.validate(paramsOf[call.function.name], args), `${call.function.arguments}: ${ajv.errorsText()}`);
}

// Gathers a streamed chat response's tool calls the way clients do: by index, arguments appended.
async function collectToolStream(stream) {
  const calls = [];
  let content = '';
  let finish;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? '';
    for (const d of choice.delta.tool_calls ?? []) {
      if (!calls[d.index]) {
        assert.ok(d.id && d.type === 'function' && d.function?.name, `first delta of call ${d.index} lacks id/type/name`);
        calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: '' } };
      } else {
        assert.equal(d.id, undefined);
      }
      calls[d.index].function.arguments += d.function?.arguments ?? '';
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { calls, content, finish };
}

describe('tool calling (demo model, hermes)', () => {
  test('a named tool choice: one call to it with valid arguments, streamed the same', async () => {
    const request = { model, messages, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 80, temperature: 0 };
    const r = await openai.chat.completions.create(request);
    const message = r.choices[0].message;
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.equal(message.tool_calls.length, 1);
    assertCall(message.tool_calls[0], ['get_weather']);
    const streamed = await collectToolStream(await openai.chat.completions.create({ ...request, stream: true }));
    assert.equal(streamed.calls.length, 1);
    assert.equal(streamed.calls[0].function.arguments, message.tool_calls[0].function.arguments);
    assert.equal(streamed.finish, 'stop');
  });

  test('tool_choice required: calls to known tools, finish_reason tool_calls; parallel_tool_calls false gives one', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await openai.chat.completions.create({ model, messages, tools, tool_choice: 'required', max_tokens: 300, temperature: 0.8, seed });
      if (r.choices[0].finish_reason === 'length') continue;
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      assert.ok(r.choices[0].message.tool_calls.length >= 1);
      for (const call of r.choices[0].message.tool_calls) assertCall(call);
    }
    const one = await openai.chat.completions.create({ model, messages, tools, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 300, temperature: 0 });
    assert.equal(one.choices[0].message.tool_calls.length, 1);
    assertCall(one.choices[0].message.tool_calls[0]);
    const streamed = await collectToolStream(await openai.chat.completions.create({ model, messages, tools, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 300, temperature: 0, stream: true }));
    assert.equal(streamed.calls.length, 1);
    assert.equal(streamed.calls[0].function.name, one.choices[0].message.tool_calls[0].function.name);
    assert.equal(streamed.calls[0].function.arguments, one.choices[0].message.tool_calls[0].function.arguments);
    assert.equal(streamed.finish, 'tool_calls');
  });

  test('auto: the hermes parser reads calls out of the output (forced here by a regex), whole and streamed', async () => {
    const output = 'Checking. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>';
    const regex = output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const request = { model, messages, tools, tool_choice: 'auto', max_tokens: 80, temperature: 0, guided_regex: regex };
    const r = await post(server, '/v1/chat/completions', request);
    assert.equal(r.status, 200, r.text);
    const message = r.json.choices[0].message;
    assert.equal(r.json.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.content, 'Checking. ');
    assert.equal(message.tool_calls.length, 1);
    assert.equal(message.tool_calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), { city: 'Oslo' });
    const streamed = await collectToolStream(await openai.chat.completions.create({ ...request, stream: true }));
    assert.equal(streamed.content, 'Checking. ');
    assert.equal(streamed.calls.length, 1);
    assert.deepEqual(JSON.parse(streamed.calls[0].function.arguments), { city: 'Oslo' });
    assert.equal(streamed.finish, 'tool_calls');
    // Without calls, auto is plain content.
    const plain = await post(server, '/v1/chat/completions', { ...request, guided_regex: 'Sunny in Oslo\\.' });
    assert.equal(plain.json.choices[0].message.content, 'Sunny in Oslo.');
    assert.deepEqual(plain.json.choices[0].message.tool_calls, []);
    assert.equal(plain.json.choices[0].finish_reason, 'stop');
  });

  test("a tool result goes back through the template and the conversation continues", async () => {
    const first = await openai.chat.completions.create({ model, messages, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 80, temperature: 0 });
    const call = first.choices[0].message.tool_calls[0];
    const next = await openai.chat.completions.create({
      model, tools, tool_choice: 'none', max_tokens: 10, temperature: 0,
      messages: [...messages, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '{"temp": 12}' }],
    });
    assert.equal(typeof next.choices[0].message.content, 'string');
    assert.deepEqual(next.choices[0].message.tool_calls, []);
  });

  test("LangChain's bindTools and the AI SDK's tools", async () => {
    const chat = new ChatOpenAI({ model, apiKey: 'none', configuration: { baseURL: `${server.url}/v1` }, temperature: 0, maxTokens: 80, maxRetries: 0 });
    const weather = { name: 'get_weather', description: 'The weather in a city', schema: z.object({ city: z.string().max(20) }) };
    const ai = await chat.bindTools([weather], { tool_choice: 'get_weather' }).invoke('Weather in Paris?');
    assert.equal(ai.tool_calls.length, 1);
    assert.equal(ai.tool_calls[0].name, 'get_weather');
    assert.equal(typeof ai.tool_calls[0].args.city, 'string');

    const provider = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none' });
    const result = await generateText({
      model: provider.chat(model), prompt: 'Add 2 and 3.', temperature: 0, maxOutputTokens: 80, maxRetries: 0,
      tools: { add: tool({ description: 'Adds two numbers', inputSchema: jsonSchema(addParams) }) },
      toolChoice: { type: 'tool', toolName: 'add' },
    });
    assert.equal(result.toolCalls.length, 1);
    assert.equal(result.toolCalls[0].toolName, 'add');
    assert.ok(ajv.validate(addParams, result.toolCalls[0].input), JSON.stringify(result.toolCalls[0].input));
  });

  test('bad tool requests are 400s naming the field', async () => {
    const cases = [
      [{ tools, tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice.function.name'],
      [{ tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ tools, tool_choice: 'required', response_format: { type: 'json_object' } }, 'response_format'],
    ];
    for (const [fields, param] of cases) assertErrorBody(await post(server, '/v1/chat/completions', { model, messages, max_tokens: 5, ...fields }), 400, param);
    // A server without --enable-auto-tool-choice refuses "auto" (vLLM's rule) but serves required.
    const keyed = servers.keyed;
    const headers = { authorization: `Bearer ${config.apiKey}` };
    const auto = await post(keyed, '/v1/chat/completions', { model: 'stories', messages, tools, max_tokens: 5 }, headers);
    assertErrorBody(auto, 400, 'tool_choice');
    const required = await post(keyed, '/v1/chat/completions', { model: 'stories', messages, tools, tool_choice: 'required', max_tokens: 100 }, headers);
    assert.equal(required.status, 200, required.text);
  });
});
