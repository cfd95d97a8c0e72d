#!/usr/bin/env node
// Chat template parity: renders every conversation in conversations.json with every model's chat
// template through `turbine chat-template` and through @huggingface/jinja (installed in tests/js),
// and compares the texts byte for byte; where a template raises, both must raise.
//
// The real target is Python transformers (Jinja2). Where @huggingface/jinja is known to differ
// from Python, known_divergences.json lists the model/case pairs with the reason; those pass as
// "documented" only if turbine and the JS oracle really differ there. When python3 with jinja2 is
// available, python_oracle.py (Jinja2 set up exactly as transformers sets it up) is a second
// oracle that every case must match, and documented divergences must match it.
//
//   node tests/chat_template/parity.mjs --turbine build/turbine [--models a,b] [--cases x,y]
//        [--python python3 | --no-python] [--require-python] [--verbose]
//
// Exit status: 0 all passed, 1 mismatches, 77 (ctest "skipped") when the JS oracle is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(testDir, '..', '..');
const kSkipExitCode = 77;

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const flag = (name) => args.includes(name);
const listOption = (name) => (option(name) ? option(name).split(',') : null);

const turbine = option('--turbine');
if (!turbine) {
  console.error('usage: parity.mjs --turbine PATH [--models a,b] [--cases x,y] [--python CMD | --no-python] [--verbose]');
  process.exit(2);
}
const verbose = flag('--verbose');

// ---- oracles ----

function loadJsOracle() {
  const requireFromJs = createRequire(join(repoRoot, 'tests', 'js', 'package.json'));
  try {
    return requireFromJs('@huggingface/jinja');
  } catch {
    return null;
  }
}
const jinja = loadJsOracle();
if (!jinja) {
  console.log('SKIP: @huggingface/jinja is not installed (cd tests/js && npm ci)');
  process.exit(kSkipExitCode);
}

function findPython() {
  if (flag('--no-python')) return null;
  const candidates = option('--python') ? [option('--python')] : ['python3', '/usr/bin/python3'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import jinja2'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}
const python = findPython();
if (!python && flag('--require-python')) {
  console.error('FAILED: --require-python given but no python3 with jinja2 was found');
  process.exit(1);
}

// ---- models and cases ----

const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];
const tokenContent = (t) => (typeof t === 'string' ? t : t && typeof t.content === 'string' ? t.content : null);

function modelCatalog() {
  const downloaded = ['llama2', 'llama3_1', 'llama3_2', 'qwen2_5', 'qwen3', 'mistral_nemo', 'gemma3', 'deepseek_v3', 'gpt2'];
  const models = downloaded.map((name) => ({ name, dir: join(repoRoot, 'tests', 'fixtures', 'downloaded', name), downloaded: true }));
  models.push({ name: 'stories260K', dir: resolve(repoRoot, '..', 'shared', 'models', 'stories260K'), downloaded: false });
  // The bundled demo model's own template (both demo models share it): plain ChatML plus tool calls and results.
  models.push({ name: 'turbine-demo', dir: join(repoRoot, 'models', 'turbine-demo-20m'), downloaded: false });
  const fixtures = join(testDir, 'fixtures');
  for (const name of readdirSync(fixtures).sort()) models.push({ name, dir: join(fixtures, name), downloaded: false });
  return models;
}

function readConfig(dir) {
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  let templates = {};
  if (typeof config.chat_template === 'string') templates = { default: config.chat_template };
  else if (Array.isArray(config.chat_template)) for (const t of config.chat_template) templates[t.name] = t.template;
  const tokens = {};
  for (const key of SPECIAL_TOKENS) {
    const content = tokenContent(config[key]);
    if (content !== null) tokens[key] = content;
  }
  if (Array.isArray(config.additional_special_tokens)) {
    tokens.additional_special_tokens = config.additional_special_tokens.map(tokenContent).filter((c) => c !== null);
  }
  return { templates, tokens };
}

// JSON.parse turns 1.0 into 1, but Python and turbine keep it a float ("1.0" in tojson). So the
// cases are parsed keeping each number's source text: turbine and Python get it verbatim, the JS
// oracle gets a JS number.
class RawNumber {
  constructor(text) {
    this.text = text;
  }
}
function parseKeepingNumbers(text) {
  let i = 0;
  const skip = () => {
    while (/\s/.test(text[i])) ++i;
  };
  const value = () => {
    skip();
    const c = text[i];
    if (c === '{') {
      const object = {};
      ++i;
      skip();
      if (text[i] === '}') return ++i, object;
      for (;;) {
        skip();
        const key = value();
        skip();
        ++i; // :
        object[key] = value();
        skip();
        if (text[i++] === '}') return object;
      }
    }
    if (c === '[') {
      const array = [];
      ++i;
      skip();
      if (text[i] === ']') return ++i, array;
      for (;;) {
        array.push(value());
        skip();
        if (text[i++] === ']') return array;
      }
    }
    if (c === '"') {
      const start = i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      return JSON.parse(text.slice(start, ++i));
    }
    const match = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    i += match[0].length;
    if (match[0] === 'true' || match[0] === 'false' || match[0] === 'null') return JSON.parse(match[0]);
    return new RawNumber(match[0]);
  };
  return value();
}
const toJs = (v) =>
  v instanceof RawNumber ? Number(v.text)
  : Array.isArray(v) ? v.map(toJs)
  : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJs(x)]))
  : v;
const toJsonText = (v) =>
  v instanceof RawNumber ? v.text
  : Array.isArray(v) ? `[${v.map(toJsonText).join(', ')}]`
  : v && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${toJsonText(x)}`).join(', ')}}`
  : JSON.stringify(v);

const conversations = parseKeepingNumbers(readFileSync(join(testDir, 'conversations.json'), 'utf8')).cases.map((c) => ({
  ...toJs({ name: c.name, note: c.note, only: c.only, skip: c.skip }),
  context: toJs(c.context),
  contextText: toJsonText(c.context),
}));
const divergences = JSON.parse(readFileSync(join(testDir, 'known_divergences.json'), 'utf8'));
const matches = (list, value) => list === '*' || list.includes(value);
const findDivergence = (entries, model, name) => entries.find((d) => matches(d.models, model) && matches(d.cases, name));

// ---- rendering ----

function renderJs(source, context) {
  try {
    return { text: new jinja.Template(source).render(context) };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
}

function runCli(command, commandArgs, contexts) {
  const dir = mkdtempSync(join(tmpdir(), 'chat-template-parity-'));
  try {
    const input = join(dir, 'contexts.jsonl');
    writeFileSync(input, contexts.join('\n') + '\n');
    // A .mjs stand-in (fake_turbine.mjs) runs under this node.
    const [program, programArgs] = command.endsWith('.mjs') ? [process.execPath, [command, ...commandArgs]] : [command, commandArgs];
    const run = spawnSync(program, [...programArgs, '--jsonl', input], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.error) return { status: null, stderr: String(run.error), lines: [] };
    const lines = run.stdout ? run.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l)) : [];
    return { status: run.status, stderr: run.stderr, lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sameOutcome = (a, b) => ('error' in a && 'error' in b) || (a.text !== undefined && a.text === b.text);
const describe = (r) => ('error' in r ? `error: ${r.error}` : `text (${r.text.length} chars)`);

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) ++i;
  const from = Math.max(0, i - 50);
  return `at char ${i}:\n      turbine: ${JSON.stringify(a.slice(from, i + 70))}\n      oracle : ${JSON.stringify(b.slice(from, i + 70))}`;
}

function explain(turbineResult, oracleResult, oracleName) {
  if (turbineResult.text !== undefined && oracleResult.text !== undefined) {
    return `texts differ from ${oracleName} ${firstDifference(turbineResult.text, oracleResult.text)}`;
  }
  return `turbine gave ${describe(turbineResult)}; ${oracleName} gave ${describe(oracleResult)}`;
}

// ---- main ----

const onlyModels = listOption('--models');
const onlyCases = listOption('--cases');
const failures = [];
const notes = [];
let passed = 0;
const usedDivergences = new Set();
const summary = [];

for (const model of modelCatalog()) {
  if (onlyModels && !onlyModels.includes(model.name)) continue;
  if (!existsSync(join(model.dir, 'tokenizer_config.json'))) {
    notes.push(`${model.name}: not present (${model.downloaded ? 'run tests/tokenizer/fetch_tokenizers.sh' : model.dir}), skipped`);
    continue;
  }
  const { templates, tokens } = readConfig(model.dir);
  const cases = conversations.filter(
    (c) => (!onlyCases || onlyCases.includes(c.name)) && (!c.only || c.only.includes(model.name)) && !(c.skip || []).includes(model.name),
  );
  if (Object.keys(templates).length === 0) {
    // No template: turbine must refuse clearly; the JS oracle has nothing to render either.
    const run = runCli(turbine, ['chat-template', '--tokenizer', model.dir], cases.map((c) => c.contextText));
    if (run.status !== 0 && /no chat template/.test(run.stderr)) {
      ++passed;
      notes.push(`${model.name}: has no chat_template; turbine refuses with "${run.stderr.trim()}" (excluded from rendering)`);
    } else {
      failures.push(`${model.name}: has no chat_template but turbine exited ${run.status}: ${run.stderr}`);
    }
    continue;
  }
  const contexts = cases.map((c) => c.contextText);
  const pick = (context) => (context.tools != null && templates.tool_use ? templates.tool_use : templates.default);
  const jsResults = cases.map((c) => renderJs(pick(c.context), { ...tokens, ...c.context }));
  const run = runCli(turbine, ['chat-template', '--tokenizer', model.dir], contexts);
  if (run.status !== 0 || run.lines.length !== contexts.length) {
    failures.push(`${model.name}: turbine chat-template exited ${run.status} with ${run.lines.length}/${contexts.length} lines: ${run.stderr}`);
    continue;
  }
  let pyResults = null;
  if (python) {
    const py = runCli(python, [join(testDir, 'python_oracle.py'), '--tokenizer', model.dir], contexts);
    if (py.status !== 0 || py.lines.length !== contexts.length) {
      failures.push(`${model.name}: python_oracle.py exited ${py.status}: ${py.stderr}`);
    } else {
      pyResults = py.lines;
    }
  }
  const row = { model: model.name, cases: cases.length, errors: 0, jsMatch: 0, documented: 0, failed: 0, pyMatch: 0 };
  cases.forEach((c, i) => {
    const mine = run.lines[i];
    const js = jsResults[i];
    const py = pyResults ? pyResults[i] : null;
    const key = `${model.name}/${c.name}`;
    const problems = [];
    const jsDivergence = findDivergence(divergences.js_oracle, model.name, c.name);
    if (sameOutcome(mine, js)) {
      ++row.jsMatch;
      if (jsDivergence) notes.push(`${key}: listed as a divergence from @huggingface/jinja but now matches it (${jsDivergence.reason})`);
    } else if (jsDivergence) {
      usedDivergences.add(jsDivergence);
      ++row.documented;
      if (verbose) notes.push(`${key}: documented divergence from @huggingface/jinja: ${jsDivergence.reason}`);
      if (py && !sameOutcome(mine, py)) problems.push(`documented JS divergence, but turbine does not match Python either: ${explain(mine, py, 'python')}`);
    } else {
      problems.push(explain(mine, js, '@huggingface/jinja') + (py ? `\n    python agrees with ${sameOutcome(mine, py) ? 'turbine' : sameOutcome(js, py) ? '@huggingface/jinja' : 'neither'}` : ''));
    }
    if ('error' in mine) ++row.errors;
    // raise_exception(msg) must reach the caller as exactly msg (Python: TemplateError(msg)).
    const raised = py && 'error' in py && py.error.startsWith('TemplateError: ') ? py.error.slice('TemplateError: '.length) : null;
    if (raised !== null && 'error' in mine && mine.error !== raised) {
      problems.push(`raise_exception message differs: turbine ${JSON.stringify(mine.error)}, python ${JSON.stringify(raised)}`);
    }
    if (py) {
      if (sameOutcome(mine, py)) ++row.pyMatch;
      else if (!findDivergence(divergences.python_oracle, model.name, c.name) && !problems.length) {
        problems.push(`differs from Python Jinja2: ${explain(mine, py, 'python')}`);
      }
    }
    if (problems.length) {
      ++row.failed;
      failures.push(`${key} (${c.note}):\n    ${problems.join('\n    ')}`);
    } else {
      ++passed;
    }
  });
  summary.push(row);
}

console.log(`chat template parity: turbine vs @huggingface/jinja${python ? ' and Python Jinja2 (' + execFileSync(python, ['-c', 'import jinja2; print(jinja2.__version__)'], { encoding: 'utf8' }).trim() + ')' : ' (Python Jinja2 oracle not available)'}`);
console.log('model               cases  errors  =js  documented  failed' + (python ? '  =python' : ''));
for (const r of summary) {
  console.log(`${r.model.padEnd(20)}${String(r.cases).padStart(5)}${String(r.errors).padStart(8)}${String(r.jsMatch).padStart(5)}` +
              `${String(r.documented).padStart(12)}${String(r.failed).padStart(8)}` + (python ? String(r.pyMatch).padStart(9) : ''));
}
console.log('(errors: cases where the template raised, in turbine and in the oracles alike)');
for (const note of notes) console.log(`note: ${note}`);
for (const failure of failures) console.log(`MISMATCH ${failure}`);
console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
