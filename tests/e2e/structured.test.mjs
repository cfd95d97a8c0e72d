// Structured output through the real clients people use: openai's .parse() with zod, LangChain's
// withStructuredOutput (json_schema and json_mode), the AI SDK's generateObject and
// streamObject, and vLLM's own fields (structured_outputs, guided_*). Every output that finishes
// with "stop" is checked with ajv against its schema; one cut by max_tokens must be a prefix of
// valid JSON text; and most outputs finish.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { assertErrorBody, client, collectChatStream, post, servers } from './lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const requireFromJs = createRequire(path.resolve(here, '../js/package.json'));
const Ajv = requireFromJs('ajv').default;
const addFormats = requireFromJs('ajv-formats').default;
const { z } = requireFromJs('zod');
const { zodResponseFormat } = requireFromJs('openai/helpers/zod');
const { ChatOpenAI } = requireFromJs('@langchain/openai');
const { generateObject, streamObject, jsonSchema } = requireFromJs('ai');
const { createOpenAI } = requireFromJs('@ai-sdk/openai');

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const server = servers.chat;
const openai = client(server);
const model = 'turbine-demo';
const ask = [{ role: 'user', content: 'Tell me about a person as JSON.' }];

const personSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 16 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    city: { type: 'string', maxLength: 16 },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};

function assertValid(schema, text) {
  let value;
  assert.doesNotThrow(() => { value = JSON.parse(text); }, `not JSON: ${text}`);
  const validate = ajv.compile(schema);
  assert.ok(validate(value), `${text} does not match the schema: ${ajv.errorsText(validate.errors)}`);
  return value;
}

// A text cut short must still be the start of some JSON text: every bracket and string it opens
// is closeable. Checked by closing it the simplest way and parsing.
function assertJsonPrefix(text) {
  const stack = [];
  let inString = false;
  let escaped = false;
  for (const c of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c);
    else if (c === '}' || c === ']') assert.equal(stack.pop(), c === '}' ? '{' : '[', `mismatched ${c} in ${text}`);
  }
  assert.ok(text.trimStart().startsWith('{') || text.trim() === '', `does not start an object: ${text}`);
}

// Checks a batch of outputs: valid when finished, a prefix when cut; returns how many finished.
function checkOutputs(schema, outputs) {
  let finished = 0;
  for (const { text, finish } of outputs) {
    if (finish === 'stop') {
      assertValid(schema, text);
      ++finished;
    } else {
      assert.equal(finish, 'length');
      assertJsonPrefix(text);
    }
  }
  return finished;
}

describe('structured output (demo model)', () => {
  test('response_format json_schema: every finished output validates, most finish', async () => {
    const outputs = [];
    for (let seed = 0; seed < 8; ++seed) {
      const r = await openai.chat.completions.create({
        model, messages: ask, max_tokens: 200, temperature: 1, seed,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema: personSchema, strict: true } },
      });
      outputs.push({ text: r.choices[0].message.content, finish: r.choices[0].finish_reason });
    }
    assert.ok(checkOutputs(personSchema, outputs) >= 6, JSON.stringify(outputs));
  });

  test('a cut output is a JSON prefix; streamed deltas concatenate to the same text', async () => {
    const request = {
      model, messages: ask, max_tokens: 6, temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: personSchema } },
    };
    const whole = await openai.chat.completions.create(request);
    assert.equal(whole.choices[0].finish_reason, 'length');
    assertJsonPrefix(whole.choices[0].message.content);
    const streamed = await collectChatStream(await openai.chat.completions.create({ ...request, stream: true }));
    assert.equal(streamed.texts[0], whole.choices[0].message.content);
  });

  test("openai's .parse() with a zod schema", async () => {
    const Person = z.object({ name: z.string().max(16), age: z.number().int().min(0).max(120), hobbies: z.array(z.enum(['chess', 'golf', 'tennis'])).max(3) });
    let parsed = 0;
    for (let seed = 0; seed < 4; ++seed) {
      const r = await openai.chat.completions.parse({
        model, messages: ask, max_tokens: 200, temperature: 0.8, seed, response_format: zodResponseFormat(Person, 'person'),
      });
      const message = r.choices[0].message;
      if (r.choices[0].finish_reason !== 'stop') continue;
      assert.ok(message.parsed, `no parsed value for ${message.content}`);
      Person.parse(message.parsed);
      ++parsed;
    }
    assert.ok(parsed >= 3);
  });

  test('response_format json_object gives a JSON object', async () => {
    const outputs = [];
    for (let seed = 0; seed < 4; ++seed) {
      const r = await openai.chat.completions.create({ model, messages: ask, max_tokens: 200, temperature: 0.7, seed, response_format: { type: 'json_object' } });
      outputs.push({ text: r.choices[0].message.content, finish: r.choices[0].finish_reason });
    }
    assert.ok(checkOutputs({ type: 'object' }, outputs) >= 3, JSON.stringify(outputs));
  });

  test("LangChain's withStructuredOutput: jsonSchema and jsonMode", async () => {
    const chat = new ChatOpenAI({ model, apiKey: 'none', configuration: { baseURL: `${server.url}/v1` }, temperature: 0, maxTokens: 200, maxRetries: 0 });
    const Person = z.object({ name: z.string().max(16), age: z.number().int().min(0).max(120) });
    const viaSchema = await chat.withStructuredOutput(Person, { method: 'jsonSchema', name: 'person' }).invoke('Describe a person.');
    Person.parse(viaSchema);
    const viaJsonMode = await chat.withStructuredOutput(Person, { method: 'jsonMode', name: 'person' }).invoke(
      'Describe a person as JSON with "name" and "age".').catch((error) => error);
    // json_mode only promises an object: the shape is the model's business (zod may reject it).
    if (viaJsonMode instanceof Error) assert.match(String(viaJsonMode), /ZodError|OutputParserException|Failed to parse/);
    else assert.equal(typeof viaJsonMode, 'object');
  });

  test("the AI SDK's generateObject and streamObject", async () => {
    const provider = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none' });
    const schema = jsonSchema(personSchema);
    const { object, finishReason } = await generateObject({ model: provider.chat(model), schema, prompt: 'A person:', temperature: 0, maxOutputTokens: 200, maxRetries: 0 });
    assert.equal(finishReason, 'stop');
    assertValid(personSchema, JSON.stringify(object));
    const streamed = streamObject({ model: provider.chat(model), schema, prompt: 'Another person:', temperature: 0.5, seed: 3, maxOutputTokens: 200, maxRetries: 0 });
    let partials = 0;
    for await (const partial of streamed.partialObjectStream) {
      assert.equal(typeof partial, 'object');
      ++partials;
    }
    assert.ok(partials >= 1);
    assertValid(personSchema, JSON.stringify(await streamed.object));
  });

  test("vLLM's structured_outputs and guided_* fields: regex, choice, grammar, json", async () => {
    const cases = [
      { body: { structured_outputs: { regex: '[A-Z][a-z]{2,8} (is|was) [0-9]{1,2}\\.' } }, check: (t) => assert.match(t, /^[A-Z][a-z]{2,8} (is|was) [0-9]{1,2}\.$/) },
      { body: { guided_regex: '(yes|no), [a-z]+' }, check: (t) => assert.match(t, /^(yes|no), [a-z]+$/), cut: /^(y(es?)?|no?)?(, [a-z]*)?$/ },
      { body: { guided_choice: ['red', 'green', 'blue'] }, check: (t) => assert.ok(['red', 'green', 'blue'].includes(t), t) },
      { body: { structured_outputs: { choice: ['north', 'south'] } }, check: (t) => assert.ok(['north', 'south'].includes(t), t) },
      { body: { guided_grammar: 'root ::= "(" item ("," item)* ")"\nitem ::= [a-z]+' }, check: (t) => assert.match(t, /^\([a-z]+(,[a-z]+)*\)$/) },
      { body: { structured_outputs: { json: personSchema, disable_any_whitespace: true } }, check: (t) => { assertValid(personSchema, t); assert.ok(!/\s/.test(t.replace(/"[^"]*"/g, '')), t); } },
      { body: { guided_json: JSON.stringify(personSchema) }, check: (t) => assertValid(personSchema, t) },
    ];
    for (const { body, check, cut } of cases) {
      const result = await post(server, '/v1/chat/completions', { model, messages: ask, max_tokens: 60, temperature: 0, ...body });
      assert.equal(result.status, 200, result.text);
      const choice = result.json.choices[0];
      if (choice.finish_reason === 'stop') check(choice.message.content);
      else if (cut) assert.match(choice.message.content, cut);
      else assert.fail(`${JSON.stringify(body)} did not finish: ${choice.message.content}`);
    }
    // Completions take the same fields.
    const completion = await post(server, '/v1/completions', { model, prompt: 'The answer is', max_tokens: 10, temperature: 0, guided_choice: ['alpha', 'beta'] });
    assert.equal(completion.status, 200, completion.text);
    assert.ok(['alpha', 'beta'].includes(completion.json.choices[0].text), completion.text);
  });

  test('bad constraints are 400s naming the field', async () => {
    const bad = [
      [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'strng' } } } } } }, 'response_format.json_schema.schema'],
      [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', patternProperties: { a: {} } } } } }, 'response_format.json_schema.schema'],
      [{ response_format: { type: 'json_schema' } }, 'response_format.json_schema'],
      [{ response_format: { type: 'yaml' } }, 'response_format.type'],
      [{ guided_regex: '(a' }, 'guided_regex'],
      [{ guided_regex: '(?=a)b' }, 'guided_regex'],
      [{ guided_grammar: 'root ::= root "a"' }, 'guided_grammar'],
      [{ guided_choice: [] }, 'guided_choice'],
      [{ structured_outputs: { regex: 'a', choice: ['b'] } }, 'structured_outputs.choice'],
      [{ guided_regex: 'a', response_format: { type: 'json_object' } }, 'guided_regex'],
      [{ structured_outputs: { whitespace_pattern: ' *' , json_object: true } }, 'structured_outputs.whitespace_pattern'],
    ];
    for (const [fields, param] of bad) {
      const result = await post(server, '/v1/chat/completions', { model, messages: ask, max_tokens: 5, ...fields });
      assertErrorBody(result, 400, param);
    }
  });
});
