// The JSON Schema corpus test (issue 18). Runs json_schema_corpus over every schema of
// tests/fixtures/json_schemas (npm/ and handwritten/) with a real tokenizer's vocabulary, then
// validates every finished output with ajv (+ ajv-formats; draft-04, draft-06/07, 2019-09 and
// 2020-12 each with its own Ajv class, picked by the schema's $schema).
//
//   node run_corpus.mjs --binary build/tests/structured_corpus/json_schema_corpus
//        [--tokenizer llama3_1 | PATH] [--corpus DIR] [--only REGEX] [--samples K]
//        [--max-tokens N] [--time-limit SEC] [--budget SEC [--order-seed S]] [--json FILE] [--verbose]
//
// --budget: stop starting schemas once SEC seconds of CPU time went into them (the ctest run: the
// whole corpus takes minutes), taking them in an order shuffled by --order-seed (default 1; the
// report names it) so that the part covered is a sample of the whole corpus, not its first folder.
// Without --budget every schema runs, in path order.
//
// Fails (exit 1) on: a crash or a hang (a compile, or one walk, past --time-limit seconds of CPU
// time; default 10), a compile error that is not a turbine::Error, a refusal whose message names
// neither a keyword (quoted) nor a location (" at /pointer"), a broken matcher invariant
// during a walk, a finished output that is not UTF-8, not JSON or not valid under its schema, or a
// compiled schema ajv cannot compile.
// Refusals (turbine::Error naming a keyword) are allowed and reported by reason.
// Exit 77 (ctest "skipped") when the tokenizer fixture or ajv is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const binary = option('--binary');
if (!binary) {
  console.error('usage: run_corpus.mjs --binary PATH [options]');
  process.exit(2);
}
const corpus = resolve(option('--corpus', join(repoRoot, 'tests', 'fixtures', 'json_schemas')));
const tokenizerArg = option('--tokenizer', 'llama3_1');
const tokenizer = tokenizerArg.includes('/') ? tokenizerArg
  : join(repoRoot, 'tests', 'fixtures', 'downloaded', tokenizerArg, 'tokenizer.json');
const only = option('--only') ? new RegExp(option('--only')) : null;
const timeLimit = Number(option('--time-limit', '10'));
const verbose = args.includes('--verbose');
const budget = Number(option('--budget', '0'));
const orderSeed = Number(option('--order-seed', '1'));

if (!existsSync(tokenizer)) {
  console.log(`${tokenizer} is missing (run tests/tokenizer/fetch_tokenizers.sh): skipped`);
  process.exit(77);
}
const requireFromJs = createRequire(join(repoRoot, 'tests', 'js', 'package.json'));
let Ajv07, Ajv2019, Ajv2020, Ajv04, addFormats, draft06Meta;
try {
  Ajv07 = requireFromJs('ajv').default;
  Ajv2019 = requireFromJs('ajv/dist/2019').default;
  Ajv2020 = requireFromJs('ajv/dist/2020').default;
  Ajv04 = requireFromJs('ajv-draft-04').default;
  addFormats = requireFromJs('ajv-formats').default;
  draft06Meta = requireFromJs('ajv/dist/refs/json-schema-draft-06.json');
} catch (e) {
  console.log(`ajv, ajv-draft-04 or ajv-formats is not installed in tests/js (run scripts/setup.sh): skipped (${e.message})`);
  process.exit(77);
}

// --- the schema list ---------------------------------------------------------------------------
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
const names = ['npm', 'handwritten']
  .flatMap((sub) => (existsSync(join(corpus, sub)) ? walk(join(corpus, sub)) : []))
  .filter((p) => p.endsWith('.json'))
  .map((p) => relative(corpus, p))
  .filter((n) => !only || only.test(n))
  .sort();
if (!names.length) {
  console.error(`no schema under ${corpus}${only ? ' matching ' + only : ''}`);
  process.exit(1);
}
if (budget > 0) {
  // Fisher-Yates with a small seeded generator (mulberry32): the same order on every machine.
  let state = orderSeed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
}

// --- the C++ side, restarted after a crash or a hang --------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'schema-corpus-'));
const outFile = join(tmp, 'records.jsonl');
const lost = new Map();  // name -> 'CRASH ...' | 'TIMEOUT ...'
const started = Date.now();
let vocabLine = '';
let budgetLine = '';
const spentSeconds = () => (existsSync(outFile) ? readFileSync(outFile, 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l)).reduce((a, r) => a + (r.compile_cpu_ms + (r.walk_cpu_ms || 0)) / 1000, 0) : 0);
for (let next = 0; next < names.length;) {
  const listFile = join(tmp, 'list.txt');
  writeFileSync(listFile, names.slice(next).join('\n') + '\n');
  const passthrough = ['--samples', '--max-tokens', '--stop-prob', '--seed']
    .flatMap((f) => (option(f) ? [f, option(f)] : []));
  if (budget > 0) {
    const left = budget - spentSeconds() - timeLimit * lost.size;  // a lost schema used up to the limit
    if (left <= 0) {
      budgetLine ||= `BUDGET ${budget} s of CPU time spent (counting ${timeLimit} s for each schema lost to a crash or hang)`;
      break;
    }
    passthrough.push('--budget', String(left));
  }
  const run = spawnSync(binary, ['--tokenizer', tokenizer, '--root', corpus, '--list', listFile, '--out', outFile,
    '--time-limit', String(timeLimit), ...passthrough], {
    encoding: 'utf8', maxBuffer: 1 << 28,
    timeout: (timeLimit + 30) * 1000 * (names.length - next),  // the binary's own watchdog comes first
  });
  vocabLine ||= (run.stderr.match(/^vocabulary: .*$/m) || [''])[0];
  const begun = [...run.stderr.matchAll(/^BEGIN (.*)$/gm)].map((m) => m[1]);
  budgetLine ||= (run.stderr.match(/^BUDGET .*$/m) || [''])[0];
  if (run.status === 0 && !run.signal) break;
  if (!begun.length) {
    console.error(run.stderr);
    console.error(`${binary} failed before its first schema (status ${run.status}, signal ${run.signal})`);
    process.exit(1);
  }
  const culprit = begun[begun.length - 1];
  const why = run.status === 124
    ? `TIMEOUT ${culprit}: over ${timeLimit} s of CPU time, ${(run.stderr.match(/^TIMEOUT .*\), (.*)$/m) || [, '?'])[1]}`
    : `CRASH ${culprit}: ${run.signal ? 'signal ' + run.signal : 'exit status ' + run.status}` +
      `; stderr tail: ${run.stderr.trim().split('\n').filter((l) => !l.startsWith('BEGIN ')).slice(-3).join(' | ')}`;
  lost.set(culprit, why);
  next = names.indexOf(culprit, next) + 1;
}
const harnessSeconds = (Date.now() - started) / 1000;
const records = existsSync(outFile)
  ? readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(tmp, { recursive: true, force: true });

// --- ajv -----------------------------------------------------------------------------------------
const makeAjv = (Cls, extra) => {
  const ajv = new Cls({ strict: false, allErrors: false, validateFormats: true, validateSchema: false, logger: false });
  addFormats(ajv);
  if (extra) extra(ajv);
  return ajv;
};
const ajvs = {
  '04': makeAjv(Ajv04),
  '07': makeAjv(Ajv07, (a) => a.addMetaSchema(draft06Meta)),
  '2019': makeAjv(Ajv2019),
  '2020': makeAjv(Ajv2020),
};
const draftOf = (schema) => {
  const s = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (s.includes('draft-04') || s.includes('draft-03')) return '04';
  if (s.includes('2019-09')) return '2019';
  if (s.includes('2020-12')) return '2020';
  return '07';  // draft-06/07, and schemas that name no draft (or a bare json-schema.org/schema)
};

// --- checks --------------------------------------------------------------------------------------
const failures = { CRASH: [], TIMEOUT: [], ERROR: [], UNNAMED: [], PROBLEM: [], UNVERIFIABLE: [], INVALID: [] };
const refusals = new Map();  // reason -> [names]
let compiled = 0, refused = 0, outputs = 0, finished = 0, valid = 0, unfinished = 0, tokens = 0;
const compileMs = [];
const utf8 = new TextDecoder('utf-8', { fatal: true });
// What a refusal is about: the keyword or feature its message names.
const reasonOf = (msg) => {
  const m = (re) => msg.match(re);
  let x;
  if ((x = m(/unsupported keyword '([^']+)'/))) return x[1];
  if ((x = m(/unsupported format '([^']+)'/))) return `format ${x[1]}`;
  if (m(/\$ref .* is not a reference within the document/)) return '$ref outside the document';
  if ((x = m(/'([^']+)' together with '([^']+)'/))) return `${x[1]} with ${x[2]}`;
  if (m(/non-integer bound/)) return 'non-integer number bound';
  if (m(/too large/)) return 'automaton too large';
  if ((x = m(/^(?:json schema: )?'([^']+)'/))) return x[1];
  return msg.replace(/^json schema: /, '').split(' at ')[0].slice(0, 80);
};
const seen = new Set();
for (const r of records) {
  seen.add(r.name);
  compileMs.push(r.compile_cpu_ms);
  if (r.status === 'refused') {
    refused++;
    // A refusal must say what to change: a quoted keyword or a JSON pointer into the schema.
    if (!/'[^']+'|"[^"]+"| at \/|^json schema: .* at \//.test(r.error))
      failures.UNNAMED.push(`UNNAMED ${r.name}: the refusal names no keyword or location: ${r.error}`);
    const reason = reasonOf(r.error);
    if (!refusals.has(reason)) refusals.set(reason, []);
    refusals.get(reason).push(r);
    continue;
  }
  if (r.status !== 'compiled') {
    failures.ERROR.push(`ERROR ${r.name}: ${r.error}`);
    continue;
  }
  compiled++;
  for (const p of r.problems) failures.PROBLEM.push(`PROBLEM ${r.name}: ${p}`);
  const schema = JSON.parse(readFileSync(join(corpus, r.name), 'utf8'));
  const draft = draftOf(schema);
  let validate;
  try {
    const copy = { ...schema };
    delete copy.$schema;
    delete copy.$id;  // several corpus files share an $id (versions of one schema)
    delete copy.id;
    validate = ajvs[draft].compile(copy);
  } catch (e) {
    failures.UNVERIFIABLE.push(`UNVERIFIABLE ${r.name}: ajv (draft ${draft}) cannot compile it: ${e.message}`);
    continue;
  }
  for (const s of r.samples) {
    outputs++;
    tokens += s.tokens;
    if (!s.finished) { unfinished++; continue; }
    finished++;
    const bytes = Buffer.from(s.hex, 'hex');
    let verdict;
    let text;
    try {
      text = utf8.decode(bytes);
    } catch {
      verdict = 'not UTF-8';
    }
    if (!verdict) {
      let value;
      try {
        value = JSON.parse(text);
      } catch (e) {
        verdict = `not JSON (${e.message})`;
      }
      if (!verdict && !validate(value)) verdict = 'invalid: ' + ajvs[draft].errorsText(validate.errors);
    }
    if (verdict) {
      const shown = text ?? bytes.toString('latin1');
      failures.INVALID.push(`INVALID ${r.name}: ${verdict}\n    output: ${JSON.stringify(shown.length > 400 ? shown.slice(0, 400) + '...' : shown)}`);
    } else {
      valid++;
    }
  }
}
for (const [name, why] of lost) failures[why.startsWith('TIMEOUT') ? 'TIMEOUT' : 'CRASH'].push(why);
const notRun = names.filter((n) => !seen.has(n) && !lost.has(n));
if (!budget)
  for (const n of notRun) failures.ERROR.push(`ERROR ${n}: no record (the harness skipped it)`);

// --- report --------------------------------------------------------------------------------------
const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
};
console.log(`corpus: ${corpus} (${names.length} schemas)`);
if (budget > 0)
  console.log(`budget: ${budget} s of CPU time, order seed ${orderSeed} (--order-seed): ` +
    `${names.length - notRun.length} of ${names.length} schemas run, ${notRun.length} left out; ${budgetLine || 'budget not reached'}`);
console.log(`tokenizer: ${tokenizer}; ${vocabLine}`);
console.log('refusals by reason:');
for (const [reason, rs] of [...refusals].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${String(rs.length).padStart(4)}  ${reason}   e.g. ${rs[0].name}: ${rs[0].error.slice(0, 160)}`);
  if (verbose) for (const r of rs.slice(1)) console.log(`          ${r.name}: ${r.error.slice(0, 160)}`);
}
let failed = 0;
for (const kind of Object.keys(failures)) {
  for (const line of failures[kind].slice(0, 40)) console.log(line);
  if (failures[kind].length > 40) console.log(`... ${failures[kind].length - 40} more ${kind}`);
  failed += failures[kind].length;
}
console.log(`compile CPU time: mean ${(compileMs.reduce((a, b) => a + b, 0) / Math.max(1, compileMs.length)).toFixed(1)} ms, ` +
  `p50 ${pct(compileMs, 0.5).toFixed(1)} ms, max ${Math.max(0, ...compileMs).toFixed(1)} ms; harness ${harnessSeconds.toFixed(1)} s`);
const summary = `${names.length - notRun.length} schemas: ${compiled} compiled, ${refused} refused, ` +
  `${failures.ERROR.length} errors, ${failures.CRASH.length} crashed, ${failures.TIMEOUT.length} timed out; ` +
  `${outputs} outputs (${tokens} tokens): ${finished} finished, ${valid} valid, ${failures.INVALID.length} invalid, ` +
  `${unfinished} cut at the length cap; ${failures.PROBLEM.length} matcher problems, ${failures.UNVERIFIABLE.length} unverifiable, ` +
  `${failures.UNNAMED.length} refusals naming no keyword`;
console.log(summary);
if (option('--json')) {
  writeFileSync(option('--json'), JSON.stringify({
    schemas: names.length, compiled, refused, outputs, finished, valid, unfinished,
    refusals: Object.fromEntries([...refusals].map(([k, v]) => [k, v.map((r) => ({ name: r.name, error: r.error }))])),
    failures, records: records.map(({ samples, ...rest }) => rest),
  }, null, 1));
}
console.log(failed ? `json schema corpus: FAILED (${failed} failures)` : 'json schema corpus: passed');
process.exit(failed ? 1 : 0);
