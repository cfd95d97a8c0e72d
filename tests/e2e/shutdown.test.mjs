// SIGTERM/SIGINT: running requests finish (within --shutdown-timeout), new ones are refused, and
// the server exits 0; past the timeout the rest is aborted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, config, startOwnServer } from './lib/harness.mjs';

describe('graceful shutdown', () => {
  test('SIGTERM lets running requests finish, then exits 0', async () => {
    const server = await startOwnServer(['--model', config.models.stories, '--kv-cache-memory', '16MiB',
      '--max-num-seqs', '2', '--shutdown-timeout', '60']);
    try {
      const openai = client(server);
      const request = { model: config.models.stories, prompt: 'Once upon a time', max_tokens: 480,
                        ignore_eos: true, temperature: 0.8, seed: 1 };
      const started = Array.from({ length: 6 }, (_, i) => openai.completions.create({ ...request, seed: i }));
      // All six are admitted (2 run, 4 wait) before the signal.
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.child.kill('SIGTERM');
      const results = await Promise.allSettled(started);
      for (const r of results) {
        assert.equal(r.status, 'fulfilled', String(r.reason));
        assert.equal(r.value.usage.completion_tokens, 480);
        assert.equal(r.value.choices[0].finish_reason, 'length');
      }
      const { code, signal } = await server.exited;
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.match(server.log(), /shutting down/);
      await assert.rejects(openai.completions.create(request));  // nobody listens any more
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  test('past --shutdown-timeout the rest is aborted and the server still exits 0', async () => {
    const server = await startOwnServer(['--model', config.models.demo, '--kv-cache-memory', '64MiB',
      '--shutdown-timeout', '0.2']);
    try {
      const openai = client(server);
      const stream = await openai.completions.create({ model: config.models.demo, prompt: 'It is a truth',
        max_tokens: 900, ignore_eos: true, stream: true });
      const reasons = [];
      const reading = (async () => {
        for await (const chunk of stream) for (const c of chunk.choices) if (c.finish_reason) reasons.push(c.finish_reason);
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      server.child.kill('SIGINT');
      await reading;
      assert.deepEqual(reasons, ['abort']);
      const { code } = await server.exited;
      assert.equal(code, 0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
