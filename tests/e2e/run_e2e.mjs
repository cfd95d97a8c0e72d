#!/usr/bin/env node
// End-to-end tests of `turbine serve` with the official openai npm client.
//
//   node tests/e2e/run_e2e.mjs [--turbine PATH] [--only FILE_SUBSTRING]
//
// Starts the servers the tests share, each on a free loopback port (--port 0; the port is read
// from the "listening on" log line), runs every tests/e2e/*.test.mjs with node's test runner (one
// file at a time: they read the servers' metrics), then stops the servers. Whatever happens -
// a failure, a hang past the time limit, Ctrl-C - every server and test process is killed before
// this script exits. Exit status: the test runner's; 77 (ctest: skipped) when the openai client
// is not installed (cd tests/js && npm ci).
//
// Servers (their URLs and settings reach the tests as JSON in $TURBINE_E2E):
//   plain:   stories260K, no API key, no chat template
//   keyed:   stories260K with --api-key and --chat-template fixtures/stories_chat.jinja
//   chat:    the demo model (ChatML template), served as "turbine-demo"
//   narrow:  stories260K with --max-num-seqs 1 --max-waiting 1, for "queue full" (503)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.resolve(here, '../..');
const sharedDir = process.env.TURBINE_SHARED_DIR ?? path.resolve(sourceDir, '../shared');
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const binary = option('--turbine') ?? process.env.TURBINE_BINARY ?? path.join(sourceDir, 'build/turbine');
const only = option('--only');
const kTotalTimeoutMs = Number(process.env.TURBINE_E2E_TIMEOUT_MS ?? 480_000);
const kStartTimeoutMs = 60_000;

if (!fs.existsSync(path.join(sourceDir, 'tests/js/node_modules/openai/package.json'))) {
  console.log('e2e: skipped: the openai client is not installed (cd tests/js && npm ci)');
  process.exit(77);
}
for (const [what, file] of [['turbine binary', binary], ['stories260K', path.join(sharedDir, 'models/stories260K')]]) {
  if (!fs.existsSync(file)) {
    console.error(`e2e: ${what} not found at ${file}`);
    process.exit(1);
  }
}

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'turbine-e2e-'));
const children = new Set();  // every process started here, killed on exit

function killAll(signal = 'SIGKILL') {
  for (const child of children) {
    try {
      // Test runs are started as process groups: kill the group (it may have servers of its own).
      if (child.group) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }
}
process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll('SIGKILL');
    process.exit(130);
  });
}

// Starts `turbine serve ARGS --port 0` and resolves with its URL once it listens.
function startServer(name, args) {
  const logFile = path.join(logDir, `${name}.log`);
  const log = fs.createWriteStream(logFile);
  const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start in time (log: ${logFile})`)),
                             kStartTimeoutMs);
    const onData = (data) => {
      log.write(data);
      if (seen === null) return;
      seen += data.toString();
      const match = /listening on http:\/\/([0-9.]+):(\d+)/.exec(seen);
      if (match) {
        seen = null;
        clearTimeout(timer);
        const server = { name, url: `http://${match[1]}:${match[2]}`, pid: child.pid, logFile, child };
        servers.push(server);
        resolve(server);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (seen !== null) reject(new Error(`server ${name} exited (${code ?? signal}) before listening; log: ${logFile}`));
    });
  });
}

async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const stories = path.join(sharedDir, 'models/stories260K');
const demo = path.join(sourceDir, 'models/turbine-demo-20m');
const apiKey = 'e2e-secret-key';
const servers = [];  // started so far (stopped at the end)
let status = 1;
const deadline = setTimeout(() => {
  console.error(`e2e: time limit of ${kTotalTimeoutMs / 1000} s reached: killing everything`);
  killAll('SIGKILL');
  process.exit(1);
}, kTotalTimeoutMs);

try {
  await Promise.all([
    startServer('plain', ['--model', stories, '--kv-cache-memory', '64MiB']),
    startServer('keyed', ['--model', stories, '--kv-cache-memory', '16MiB', '--api-key', apiKey,
                          '--served-model-name', 'stories', '--chat-template',
                          path.join(here, 'fixtures/stories_chat.jinja')]),
    startServer('chat', ['--model', demo, '--kv-cache-memory', '64MiB', '--served-model-name', 'turbine-demo',
                         '--enable-auto-tool-choice', '--tool-call-parser', 'hermes']),
    startServer('narrow', ['--model', stories, '--kv-cache-memory', '16MiB', '--max-num-seqs', '1',
                           '--max-waiting', '1']),
  ]);
  const config = {
    binary,
    sourceDir,
    models: { stories, demo },
    apiKey,
    logDir,
    servers: Object.fromEntries(servers.map((s) => [s.name, { url: s.url, pid: s.pid, logFile: s.logFile }])),
  };
  let files = fs.readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort();
  if (only) files = files.filter((f) => f.includes(only));
  const run = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files.map((f) => path.join(here, f))], {
    stdio: 'inherit',
    detached: true,  // its own process group, so that killAll reaches servers a test started
    env: { ...process.env, TURBINE_E2E: JSON.stringify(config) },
  });
  run.group = true;
  children.add(run);
  status = await new Promise((resolve) => run.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  try {
    process.kill(-run.pid, 'SIGKILL');  // stragglers of the test run
  } catch {
    // none
  }
  children.delete(run);
} catch (error) {
  console.error(`e2e: ${error.message}`);
  status = 1;
} finally {
  await Promise.all(servers.map(stopServer));
  if (status !== 0) {
    for (const s of servers) console.error(`\n---- last lines of the ${s.name} server's log (${s.logFile}):\n${tail(s.logFile)}`);
  }
  clearTimeout(deadline);
}
for (const s of servers) {
  if (s.child.exitCode !== 0) {
    console.error(`e2e: server ${s.name} did not exit cleanly on SIGTERM (${s.child.exitCode ?? s.child.signalCode})`);
    status = status || 1;
  }
}
if (status === 0) fs.rmSync(logDir, { recursive: true, force: true });
process.exit(status);
