// Cross-check of json_schema_to_grammar with ajv (tests/js): runs structured_test's sampler with
// TURBINE_JSON_SCHEMA_DUMP, then validates with ajv (+ ajv-formats, "full" mode) against each
// schema: every text sampled from the grammar and every hand-written "valid" and "not_generated"
// instance must be valid; every "invalid" one must be invalid (or not JSON at all). Cases whose
// draft is "none" (draft-04 booleans, OpenAPI nullable) are not checked here.
//
//   node json_schema_ajv.mjs --test-binary build/tests/unit/structured/structured_test [--dump FILE]
//
// Exit status: 0 all agree, 1 disagreements, 77 (ctest "skipped") when ajv is not installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const requireFromJs = createRequire(join(repoRoot, 'tests', 'js', 'package.json'));
let Ajv2020, Ajv07, addFormats;
try {
  Ajv2020 = requireFromJs('ajv/dist/2020').default;
  Ajv07 = requireFromJs('ajv').default;
  addFormats = requireFromJs('ajv-formats').default;
} catch {
  console.log('ajv is not installed in tests/js (run scripts/setup.sh): skipped');
  process.exit(77);
}

let dumpFile = option('--dump');
let tmp = null;
if (!dumpFile) {
  const binary = option('--test-binary');
  if (!binary) {
    console.error('usage: json_schema_ajv.mjs --test-binary PATH | --dump FILE');
    process.exit(2);
  }
  tmp = mkdtempSync(join(tmpdir(), 'json-schema-ajv-'));
  dumpFile = join(tmp, 'samples.json');
  const run = spawnSync(binary, ['--gtest_filter=JsonSchemaSamples.*'], {
    env: { ...process.env, TURBINE_JSON_SCHEMA_DUMP: dumpFile },
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    console.error(`${binary} failed (status ${run.status})`);
    process.exit(1);
  }
}
const cases = JSON.parse(readFileSync(dumpFile, 'utf8'));
if (tmp) rmSync(tmp, { recursive: true, force: true });

const makeAjv = (Cls) => {
  const ajv = new Cls({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  return ajv;
};
const ajvs = { '2020': makeAjv(Ajv2020), '07': makeAjv(Ajv07) };

let checked = 0, failures = 0, skipped = 0;
const fail = (msg) => {
  failures++;
  if (failures <= 50) console.log(`MISMATCH ${msg}`);
};
for (const c of cases) {
  const ajv = ajvs[c.draft];
  if (!ajv) { skipped++; continue; }
  const validate = ajv.compile(c.schema);
  const verdict = (text) => {
    let value;
    try { value = JSON.parse(text); } catch { return 'not JSON'; }
    return validate(value) ? 'valid' : 'invalid: ' + ajv.errorsText(validate.errors);
  };
  for (const [list, want] of [['samples', true], ['valid', true], ['not_generated', true], ['invalid', false]]) {
    for (const text of c[list]) {
      checked++;
      const v = verdict(text);
      if ((v === 'valid') !== want) fail(`${c.name} ${list}: ${JSON.stringify(text)} -> ${v}`);
    }
  }
}
console.log(`json schema vs ajv: ${cases.length - skipped} schemas, ${checked} instances, ${failures} mismatches (${skipped} schemas not checked)`);
process.exit(failures ? 1 : 0);
