#!/usr/bin/env node
// A stand-in for `turbine chat-template` built on the JS oracle itself, to test the parity
// harness: `parity.mjs --turbine tests/chat_template/fake_turbine.mjs --no-python` must pass (it
// only notes the documented divergences as stale), and with TURBINE_FAKE_FAULTS set it must fail.
// Faults (comma-separated): text (a changed character in every 5th text), error (every 7th
// render reported as an error), count (the last line missing).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Template } = createRequire(join(repoRoot, 'tests', 'js', 'package.json'))('@huggingface/jinja');
const args = process.argv.slice(2);
const option = (name) => args[args.indexOf(name) + 1];
const faults = new Set((process.env.TURBINE_FAKE_FAULTS ?? '').split(',').filter(Boolean));

const config = JSON.parse(readFileSync(join(option('--tokenizer'), 'tokenizer_config.json'), 'utf8'));
let templates = {};
if (typeof config.chat_template === 'string') templates = { default: config.chat_template };
else if (Array.isArray(config.chat_template)) for (const t of config.chat_template) templates[t.name] = t.template;
if (Object.keys(templates).length === 0) {
  process.stderr.write(`turbine: error: ${option('--tokenizer')} has no chat template\n`);
  process.exit(1);
}
const tokens = {};
for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
  const t = config[key];
  const content = typeof t === 'string' ? t : t && typeof t.content === 'string' ? t.content : null;
  if (content !== null) tokens[key] = content;
}
const lines = readFileSync(option('--jsonl'), 'utf8').split('\n').filter((l) => l.trim().length > 0);
const out = lines.map((line, i) => {
  const context = JSON.parse(line);
  const source = context.tools != null && templates.tool_use ? templates.tool_use : templates.default;
  try {
    let text = new Template(source).render({ ...tokens, ...context });
    if (faults.has('text') && i % 5 === 0) text = text.length ? text.slice(0, -1) + '#' : '#';
    if (faults.has('error') && i % 7 === 3) return { error: 'injected fault' };
    return { text };
  } catch (error) {
    return { error: String(error.message ?? error) };
  }
});
if (faults.has('count')) out.pop();
process.stdout.write(out.map((r) => JSON.stringify(r)).join('\n') + '\n');
