// Shared by parity.mjs, bench_encode.mjs and oracle_turbine.mjs: where the tokenizers live, how
// to load the oracle (Hugging Face's own `tokenizers` for Node, installed in tests/js), the
// corpus reader, and the seeded PRNG.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(testDir, '..', '..');
export const defaultCorpusPath = join(testDir, 'corpus', 'corpus.jsonl');

// Exit code ctest reads as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt).
export const kSkipExitCode = 77;

// The downloaded fixtures (fetch_tokenizers.sh), the tiny model's tokenizer in shared/ and the demo model's.
export const downloadedTokenizerNames = [
  'llama2', 'llama3_1', 'llama3_2', 'qwen2_5', 'qwen3', 'mistral_nemo', 'gemma3', 'deepseek_v3', 'gpt2',
];
export const defaultFixturesDir = join(repoRoot, 'tests', 'fixtures', 'downloaded');
export function tokenizerCatalog(fixturesDir = defaultFixturesDir) {
  const catalog = downloadedTokenizerNames.map((name) => ({
    name,
    dir: join(fixturesDir, name),
    downloaded: true,
  }));
  catalog.push({ name: 'stories260K', dir: resolve(repoRoot, '..', 'shared', 'models', 'stories260K'), downloaded: false });
  // The demo model's byte-level BPE (tools/train_demo_model.py), committed in models/.
  catalog.push({ name: 'turbine-demo', dir: join(repoRoot, 'models', 'turbine-demo-20m'), downloaded: false });
  return catalog;
}
export const hasTokenizerJson = (entry) => existsSync(join(entry.dir, 'tokenizer.json'));

// The oracle library lives in tests/js/node_modules, not next to these scripts.
export function loadOracleLibrary() {
  const requireFromJs = createRequire(join(repoRoot, 'tests', 'js', 'package.json'));
  try {
    return requireFromJs('tokenizers');
  } catch (error) {
    return null;
  }
}

// Reads a JSONL corpus of {"text": ...} objects (other fields, like "tag", are kept).
export function readCorpus(path = defaultCorpusPath) {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

// mulberry32: small seeded PRNG so random id sequences are the same on every run.
export function makeRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

// Stable seed from a name (FNV-1a), so each tokenizer gets its own random ids.
export function seedFromName(name) {
  let hash = 0x811c9dc5;
  for (const ch of name) hash = Math.imul(hash ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return hash;
}

// Parses "--name value" / "--flag" command lines against a table of known options.
export function parseArgs(argv, known) {
  const options = {};
  for (const [name, spec] of Object.entries(known)) options[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.replace(/^--/, '');
    const spec = known[name];
    if (!arg.startsWith('--') || !spec) throw new Error(`unknown argument: ${arg}`);
    if (spec.flag) {
      options[name] = true;
    } else {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      options[name] = argv[++i];
    }
  }
  return options;
}
