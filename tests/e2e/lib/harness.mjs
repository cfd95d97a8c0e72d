// Shared helpers of the e2e tests: the servers run_e2e.mjs started, an openai client for each,
// raw HTTP for what the client cannot send (malformed JSON), and /metrics parsing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The openai package lives in tests/js (the project's one npm folder), not beside these files.
const requireFromJs = createRequire(path.resolve(here, '../../js/package.json'));
export const { OpenAI, APIError } = requireFromJs('openai');

if (!process.env.TURBINE_E2E) throw new Error('run these tests through tests/e2e/run_e2e.mjs');
export const config = JSON.parse(process.env.TURBINE_E2E);
export const servers = config.servers;

// The README's reference: stories260K, "Once upon a time", greedy, 40 tokens.
export const kStoriesPromptIds = [1, 403, 407, 261, 378];
export const kStoriesGreedy40 =
  ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';

// No retries: a 503 or a dropped connection must reach the test as it happened.
export function client(server, options = {}) {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: options.apiKey ?? 'none', maxRetries: 0, timeout: 120_000 });
}

export async function modelName(server) {
  const list = await client(server, { apiKey: config.apiKey }).models.list();
  return list.data[0].id;
}

// POST with a raw body (string or object); returns {status, headers, text, json}.
export async function post(server, route, body, headers = {}) {
  try {
    const response = await fetch(`${server.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return await readResponse(response);
  } catch (error) {
    // fetch hides the reason (reset, closed...) in `cause`: show it.
    throw new Error(`POST ${route}: ${error.message}: ${error.cause?.code ?? ''} ${error.cause?.message ?? ''}`);
  }
}

export async function get(server, route, headers = {}) {
  return readResponse(await fetch(`${server.url}${route}`, { headers }));
}

async function readResponse(response) {
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

// Checks OpenAI's error shape and the status; returns the error object.
export function assertErrorBody(result, status, param) {
  assert.equal(result.status, status, `expected ${status}, got ${result.status}: ${result.text}`);
  const error = result.json?.error;
  assert.ok(error, `no "error" object in ${result.text}`);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.type, 'string');
  if (param !== undefined) assert.equal(error.param, param, `param of ${result.text}`);
  return error;
}

// Runs `call` (an openai client promise) and checks it fails with `status` (and `param`).
export async function assertApiError(call, status, param) {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof APIError, `expected an APIError, got ${error}`);
    assert.equal(error.status, status, `expected ${status}, got ${error.status}: ${error.message}`);
    const body = error.error;
    assert.ok(body && typeof body.message === 'string', `no error body: ${JSON.stringify(body)}`);
    assert.ok('type' in body && 'param' in body && 'code' in body, `error shape: ${JSON.stringify(body)}`);
    if (param !== undefined) assert.equal(body.param, param);
    return body;
  }
  assert.fail(`expected HTTP ${status}, the call succeeded`);
}

// /metrics as {name or name{labels}: value}.
export async function metrics(server) {
  const result = await get(server, '/metrics');
  assert.equal(result.status, 200);
  const values = {};
  for (const line of result.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

// Polls /metrics until `predicate(values)` holds or `timeoutMs` passes; returns the last values.
export async function waitForMetrics(server, predicate, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  let values = await metrics(server);
  while (!predicate(values) && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    values = await metrics(server);
  }
  return values;
}

// Collects a streamed completion: the text per choice index, the chunks, and usage if sent.
export async function collectCompletionStream(stream) {
  const texts = [];
  const finish = [];
  let usage = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      texts[choice.index] = (texts[choice.index] ?? '') + (choice.text ?? '');
      if (choice.finish_reason) finish[choice.index] = choice.finish_reason;
    }
  }
  return { texts, finish, usage, chunks };
}

export async function collectChatStream(stream) {
  const texts = [];
  const roles = [];
  const finish = [];
  const logprobs = [];
  let usage = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      const i = choice.index;
      if (choice.delta.role) roles[i] = roles[i] ?? choice.delta.role;
      texts[i] = (texts[i] ?? '') + (choice.delta.content ?? '');
      if (choice.logprobs?.content) logprobs[i] = (logprobs[i] ?? []).concat(choice.logprobs.content);
      if (choice.finish_reason) finish[i] = choice.finish_reason;
    }
  }
  return { texts, roles, finish, usage, chunks, logprobs };
}

// Starts a server of its own for a test (killed by run_e2e.mjs at the latest); resolves with
// {url, child, exited (a promise of {code, signal}), log()}.
export function startOwnServer(args) {
  const child = spawn(config.binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`own server did not start:\n${log}`));
    }, 60_000);
    const onData = (data) => {
      log += data.toString();
      const match = /listening on http:\/\/([0-9.]+):(\d+)/.exec(log);
      if (match && timer) {
        clearTimeout(timer);
        resolve({ url: `http://${match[1]}:${match[2]}`, child, exited, log: () => log });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => reject(new Error(`own server exited (${code ?? signal}):\n${log}`)));
  });
}
