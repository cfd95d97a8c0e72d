#!/usr/bin/env node
// Tokenizer parity: Turbine's `tokenize` / `detokenize` CLI against Hugging Face's `tokenizers`
// (the Rust library, through its Node binding in tests/js) on corpus/corpus.jsonl, for every
// fixture tokenizer. Each mode runs the CLI once over the whole corpus (--jsonl), never once per
// line, and every output line must equal the oracle's:
//
//   encode               tokenize                      == encode(text, add_special_tokens=True)
//   encode_no_special    tokenize --no-special         == encode(text, add_special_tokens=False)
//   decode               detokenize                    == decode(ids, skip_special_tokens=False)
//   decode_skip_special  detokenize --skip-special     == decode(ids, skip_special_tokens=True)
//   stream               detokenize --stream           pieces joined == decode(ids, False)
//   stream_skip_special  detokenize --stream --skip-special   pieces joined == decode(ids, True)
//
// The detokenize input is the oracle's own ids for each corpus line (so decode is tested even
// where encode differs) followed by seeded random id sequences: uniform vocabulary ids, special
// ids, single-byte tokens that form invalid UTF-8, and corpus encodings cut at random places.
// Stream output must also hold one piece per id, each well-formed UTF-8, and must not hold text
// back for long (see checkStreamLatency).
//
// Usage: node tests/tokenizer/parity.mjs --turbine build/turbine [--tokenizers llama3_1,gpt2]
//          [--no-stream] [--corpus FILE] [--random-sequences N] [--jobs N] [--show N]
// Exit: 0 all equal, 1 mismatches, 2 harness or CLI failure, 77 fixtures or tests/js/node_modules
// missing (ctest reports that as skipped).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  defaultCorpusPath, defaultFixturesDir, hasTokenizerJson, kSkipExitCode, loadOracleLibrary, makeRng, parseArgs,
  readCorpus, repoRoot, seedFromName, tokenizerCatalog,
} from './common.mjs';

const usage = `usage: node tests/tokenizer/parity.mjs --turbine PATH [options]
  --turbine PATH           the CLI under test (default: $TURBINE_BINARY)
  --tokenizers a,b         subset of: ${tokenizerCatalog().map((t) => t.name).join(' ')}
  --fixtures DIR           where fetch_tokenizers.sh put them (default tests/fixtures/downloaded)
  --corpus FILE            JSONL of {"text": ...} (default tests/tokenizer/corpus/corpus.jsonl)
  --no-stream              skip the detokenize --stream checks
  --allow-missing          test whichever fixtures exist instead of skipping when some are absent
  --sample N               only N corpus lines, evenly spaced (quick runs; default all)
  --random-sequences N     random id sequences per tokenizer (default 300)
  --jobs N                 CLI processes at once (default 2)
  --timeout SECONDS        per CLI process (default 600)
  --show N                 mismatches printed per tokenizer and mode (default 3)
  --keep-temp              keep the temporary input/output files and print where they are`;

let options;
try {
  options = parseArgs(process.argv.slice(2), {
    turbine: { default: process.env.TURBINE_BINARY },
    tokenizers: { default: undefined },
    corpus: { default: defaultCorpusPath },
    fixtures: { default: defaultFixturesDir },
    'no-stream': { flag: true, default: false },
    'allow-missing': { flag: true, default: false },
    sample: { default: undefined },
    'random-sequences': { default: '300' },
    jobs: { default: '2' },
    timeout: { default: '600' },
    show: { default: '3' },
    'keep-temp': { flag: true, default: false },
    help: { flag: true, default: false },
  });
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}
if (!options.turbine) {
  console.error(`no CLI given: pass --turbine PATH or set TURBINE_BINARY\n${usage}`);
  process.exit(2);
}
const turbinePath = resolve(options.turbine);
if (!existsSync(turbinePath)) {
  console.error(`turbine CLI not found: ${turbinePath}`);
  process.exit(2);
}
const maxShown = Number(options.show);
const randomSequenceCount = Number(options['random-sequences']);
const maxJobs = Math.max(1, Number(options.jobs));
const timeoutMs = Number(options.timeout) * 1000;

const oracleLibrary = loadOracleLibrary();
if (!oracleLibrary) {
  console.log('SKIP: the oracle library is not installed; run `npm ci` in tests/js');
  process.exit(kSkipExitCode);
}
const { Tokenizer } = oracleLibrary;

let tokenizers = tokenizerCatalog(resolve(options.fixtures));
if (options.tokenizers) {
  const wanted = options.tokenizers.split(',');
  const unknown = wanted.filter((name) => !tokenizers.some((t) => t.name === name));
  if (unknown.length) {
    console.error(`unknown tokenizer(s): ${unknown.join(', ')}\n${usage}`);
    process.exit(2);
  }
  tokenizers = tokenizers.filter((t) => wanted.includes(t.name));
}
const missing = tokenizers.filter((t) => !hasTokenizerJson(t));
if (missing.length) {
  const where = missing.map((t) => `${t.name} (${t.dir})`).join(', ');
  if (!options['allow-missing']) {
    console.log(`SKIP: tokenizer fixtures missing: ${where}; run tests/tokenizer/fetch_tokenizers.sh`);
    process.exit(kSkipExitCode);
  }
  console.log(`note: not testing missing fixtures: ${where}`);
  tokenizers = tokenizers.filter((t) => hasTokenizerJson(t));
}

// ------------------------------------------------------------------ small helpers

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// Shows a string with every invisible or ambiguous character as an escape, so a report line
// says exactly which code points differ.
function escapeText(text) {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (/[\p{C}\p{Z}\p{M}]/u.test(ch) && ch !== ' ') out += `\\u{${code.toString(16).toUpperCase()}}`;
    else out += ch;
  }
  return `"${out}"`;
}

// A window of the text around a UTF-16 offset, escaped.
function excerpt(text, at, radius = 40) {
  const start = Math.max(0, at - radius);
  const end = Math.min(text.length, at + radius);
  return (start > 0 ? '…' : '') + escapeText(text.slice(start, end)) + (end < text.length ? '…' : '');
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function commonPrefixLength(a, b) {
  const d = firstDifference(a, b);
  return d < 0 ? a.length : d;
}

// Ids around position `at` (marked ">>"), each with its token string; at = null shows the start.
function idWindow(ids, at, tokenOf, radius = 4) {
  const start = at === null ? 0 : Math.max(0, at - radius);
  const end = Math.min(ids.length, (at ?? 0) + radius + 1);
  const shown = ids.slice(start, end).map((id, k) => {
    const token = tokenOf(id);
    const cell = `${id}${token === null ? '' : `:${escapeText(token)}`}`;
    return start + k === at ? `>>${cell}` : cell;
  });
  return `[${start > 0 ? '… ' : ''}${shown.join(' ')}${end < ids.length ? ' …' : ''}] (${ids.length} ids)`;
}

// Runs one CLI process with stdout to a file; never rejects.
const runningChildren = new Set();
function runCli(args, outputPath, stderrPath) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const stdoutFd = openSync(outputPath, 'w');
    const stderrFd = openSync(stderrPath, 'w');
    const child = spawn(turbinePath, args, { stdio: ['ignore', stdoutFd, stderrFd] });
    runningChildren.add(child);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (exitCode, signal, spawnError) => {
      runningChildren.delete(child);
      clearTimeout(timer);
      closeSync(stdoutFd);
      closeSync(stderrFd);
      resolvePromise({ exitCode, signal, spawnError, timedOut, ms: performance.now() - started });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('exit', (code, signal) => finish(code, signal, null));
  });
}

// At most maxJobs CLI processes at once: the machine is small and shared.
let runningJobs = 0;
const waitingJobs = [];
async function withJobSlot(work) {
  if (runningJobs >= maxJobs) await new Promise((wake) => waitingJobs.push(wake));
  runningJobs++;
  try {
    return await work();
  } finally {
    runningJobs--;
    waitingJobs.shift()?.();
  }
}

// Splits CLI output into lines, decoding each strictly as UTF-8 so that invalid bytes are
// reported against their line instead of being silently replaced.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function readOutputLines(path) {
  const bytes = readFileSync(path);
  const lines = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const raw = bytes.subarray(start, end);
    try {
      lines.push({ text: strictUtf8.decode(raw) });
    } catch {
      lines.push({ error: `invalid UTF-8 in output line: ${raw.toString('hex').slice(0, 120)}` });
    }
    start = end + 1;
  }
  return lines;
}

function parseOutputLine(line, field) {
  if (line === undefined) return { error: 'missing output line' };
  if (line.error) return line;
  let value;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    return { error: `not JSON (${error.message}): ${line.text.slice(0, 160)}` };
  }
  if (value === null || typeof value !== 'object' || !(field in value)) {
    return { error: `no "${field}" field: ${line.text.slice(0, 160)}` };
  }
  return { value: value[field] };
}

// ------------------------------------------------------------------ random id sequences

// Seeded id sequences that a decoder must survive: random vocabulary, special tokens, bare bytes
// (incomplete or invalid UTF-8 once decoded), and real encodings cut mid-character.
function randomIdSequences(name, vocabulary, specialIds, corpusEncodings, count) {
  const rng = makeRng(seedFromName(name));
  const allIds = Object.values(vocabulary);
  const byteIds = Object.entries(vocabulary)
    .filter(([token]) => /^<0x[0-9A-F]{2}>$/.test(token) || [...token].length === 1)
    .map(([, id]) => id);
  const sequences = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    const length = i === 0 ? 0 : rng.int(1, 48);
    let ids = [];
    if (kind === 4 && corpusEncodings.length) {
      // A slice of a real encoding: a generation that stopped mid-character looks like this.
      const source = rng.pick(corpusEncodings.filter((e) => e.length > 2));
      const start = rng.int(0, source.length - 1);
      ids = source.slice(start, start + length);
    } else {
      for (let k = 0; k < length; k++) {
        const pool = kind === 0 ? allIds : kind === 1 && specialIds.length && rng.chance(0.5) ? specialIds
          : kind === 2 || kind === 3 ? (rng.chance(0.8) ? byteIds : allIds) : allIds;
        ids.push(rng.pick(pool));
      }
    }
    sequences.push({ tag: `random_ids/${['uniform', 'with_special', 'bytes', 'bytes_mixed', 'cut_encoding'][kind]}#${i}`, ids });
  }
  return sequences;
}

// ------------------------------------------------------------------ checks

// A streaming detokenizer may hold back a few ids (an incomplete character, a space whose fate
// depends on the next token), but not the whole text: after ids[0..i] it must have released what
// decode(ids[0..i-kStreamSlack]) already agrees on with the full decode. Runs of byte-fallback ids
// ("<0xE2>") are exempt until a non-byte id ends them: HF's ByteFallback decoder turns a whole run
// into U+FFFDs when any byte in it is invalid, so no streamer can release a run early and still
// join up to the full decode.
const kStreamSlack = 8;
const kLatencyProbesPerLine = 3;

// Where to probe one line: after ids[i], the text of decode(ids[0..settledEnd]) counts as settled.
function latencyProbes(oracle, ids, skipSpecial) {
  if (ids.length <= kStreamSlack + 2) return [];
  const probes = [];
  for (let k = 1; k <= kLatencyProbesPerLine; k++) {
    const i = kStreamSlack + Math.floor(((ids.length - 1 - kStreamSlack) * k) / kLatencyProbesPerLine);
    let settledEnd = i - kStreamSlack + 1;
    while (settledEnd > 0 && (oracle.isByteToken(ids[settledEnd - 1]) || (skipSpecial && oracle.specialIds.has(ids[settledEnd - 1])))) settledEnd--;
    probes.push({ i, settledEnd });
  }
  return probes;
}

// `prefixes[k]` is decode(ids[0..probes[k].settledEnd]); returns a complaint or null.
function checkStreamLatency(probes, prefixes, pieces, expected) {
  const emittedAfter = [];
  let total = 0;
  for (const piece of pieces) emittedAfter.push((total += piece.length));
  for (const [k, { i, settledEnd }] of probes.entries()) {
    const settled = commonPrefixLength(prefixes[k], expected);
    if (emittedAfter[i] < settled) {
      return `after id #${i} only ${emittedAfter[i]} chars were released, but decode(ids[0..${settledEnd}]) had already settled ${settled}`;
    }
  }
  return null;
}

// String.prototype.isWellFormed needs Node 20; with the u flag this class matches only unpaired
// surrogates, i.e. what a JSON "\ud83d" escape of half a character parses to.
const isWellFormed = (text) => !/[\ud800-\udfff]/u.test(text);

function compareIds(expected, got) {
  if (!Array.isArray(got) || !got.every(Number.isInteger)) return { message: `ids is not an integer array: ${JSON.stringify(got).slice(0, 120)}` };
  const at = firstDifference(expected, got);
  return at < 0 ? null : { at };
}

function compareText(expected, got) {
  if (typeof got !== 'string') return { message: `text is not a string: ${JSON.stringify(got).slice(0, 120)}` };
  if (!isWellFormed(got)) return { message: 'text holds a lone surrogate (invalid UTF-8 escaped into JSON)' };
  const at = firstDifference(expected, got);
  return at < 0 ? null : { at };
}

// Everything but the latency check, which needs the oracle and is batched by the caller: a clean
// line comes back as { probes } for it.
function compareStream(oracle, ids, expected, got, skipSpecial) {
  if (!Array.isArray(got) || !got.every((p) => typeof p === 'string')) {
    return { message: `pieces is not a string array: ${JSON.stringify(got).slice(0, 120)}` };
  }
  const broken = got.findIndex((p) => !isWellFormed(p));
  if (broken >= 0) return { message: `piece #${broken} is not valid UTF-8 on its own: ${escapeText(got[broken].replace(/[\ud800-\udfff]/g, (s) => `<lone ${s.charCodeAt(0).toString(16)}>`))}` };
  const joined = got.join('');
  const at = firstDifference(expected, joined);
  if (at >= 0) return { at, gotText: joined };
  if (got.length !== ids.length) return { message: `${got.length} pieces for ${ids.length} ids (want one piece per id)` };
  const probes = latencyProbes(oracle, ids, skipSpecial);
  return probes.length ? { probes, pieces: got } : null;
}

// ------------------------------------------------------------------ one tokenizer

const fullCorpus = readCorpus(options.corpus);
const sampleSize = options.sample ? Math.min(Number(options.sample), fullCorpus.length) : fullCorpus.length;
const corpus = Array.from({ length: sampleSize }, (_, i) => fullCorpus[Math.floor((i * fullCorpus.length) / sampleSize)]);
const tempDir = mkdtempSync(join(tmpdir(), 'turbine-parity-'));
// An interrupted run should not leave megabytes of CLI output behind in /tmp.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of runningChildren) child.kill('SIGKILL');
    if (!options['keep-temp']) rmSync(tempDir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
const textsPath = join(tempDir, 'texts.jsonl');
writeFileSync(textsPath, corpus.map((s) => JSON.stringify({ text: s.text })).join('\n') + '\n');
const corpusBytes = corpus.reduce((sum, s) => sum + Buffer.byteLength(s.text), 0);

async function testTokenizer(entry) {
  const timing = {};
  const t0 = performance.now();
  const oracle = Tokenizer.fromFile(join(entry.dir, 'tokenizer.json'));
  timing.load = performance.now() - t0;
  const files = (mode) => [join(tempDir, `${entry.name}.${mode}.out`), join(tempDir, `${entry.name}.${mode}.err`)];
  const cliBase = ['--tokenizer', entry.dir, '--jsonl'];

  const runs = {};
  const launch = (mode, args) => {
    runs[mode] = withJobSlot(() => runCli(args, ...files(mode)));
  };
  // Encoding needs only the corpus, so the CLI starts while the oracle works.
  launch('encode', ['tokenize', ...cliBase, textsPath]);
  launch('encode_no_special', ['tokenize', ...cliBase, textsPath, '--no-special']);

  const t1 = performance.now();
  const texts = corpus.map((s) => s.text);
  const encodeWith = (await oracle.encodeBatch(texts, { addSpecialTokens: true })).map((e) => e.getIds());
  const encodeWithout = (await oracle.encodeBatch(texts, { addSpecialTokens: false })).map((e) => e.getIds());
  timing.oracleEncode = performance.now() - t1;

  const tokenizerJson = JSON.parse(readFileSync(join(entry.dir, 'tokenizer.json'), 'utf8'));
  const specialIds = tokenizerJson.added_tokens.filter((t) => t.special).map((t) => t.id);
  oracle.specialIds = new Set(specialIds);
  oracle.isByteToken = (id) => /^<0x[0-9A-F]{2}>$/.test(oracle.idToToken(id) ?? '');
  const randomSequences = randomIdSequences(entry.name, oracle.getVocab(true), specialIds, encodeWith, randomSequenceCount);
  const decodeCases = corpus.map((s, i) => ({ tag: s.tag, ids: encodeWith[i], text: s.text })).concat(randomSequences);
  const idsPath = join(tempDir, `${entry.name}.ids.jsonl`);
  writeFileSync(idsPath, decodeCases.map((c) => JSON.stringify({ ids: c.ids })).join('\n') + '\n');
  launch('decode', ['detokenize', ...cliBase, idsPath]);
  launch('decode_skip_special', ['detokenize', ...cliBase, idsPath, '--skip-special']);
  if (!options['no-stream']) {
    launch('stream', ['detokenize', ...cliBase, idsPath, '--stream']);
    launch('stream_skip_special', ['detokenize', ...cliBase, idsPath, '--stream', '--skip-special']);
  }

  const t2 = performance.now();
  const allIds = decodeCases.map((c) => c.ids);
  const decodeKeep = await oracle.decodeBatch(allIds, false);
  const decodeSkip = await oracle.decodeBatch(allIds, true);
  timing.oracleDecode = performance.now() - t2;

  const tokenOf = (id) => oracle.idToToken(id);
  const modes = [
    { mode: 'encode', field: 'ids', cases: corpus, expected: encodeWith },
    { mode: 'encode_no_special', field: 'ids', cases: corpus, expected: encodeWithout },
    { mode: 'decode', field: 'text', cases: decodeCases, expected: decodeKeep },
    { mode: 'decode_skip_special', field: 'text', cases: decodeCases, expected: decodeSkip },
  ];
  if (!options['no-stream']) {
    modes.push({ mode: 'stream', field: 'pieces', cases: decodeCases, expected: decodeKeep, skipSpecial: false });
    modes.push({ mode: 'stream_skip_special', field: 'pieces', cases: decodeCases, expected: decodeSkip, skipSpecial: true });
  }

  const results = [];
  timing.compare = 0;
  for (const { mode, field, cases, expected, skipSpecial } of modes) {
    const run = await runs[mode];
    const compareStarted = performance.now();
    const [outPath, errPath] = files(mode);
    const result = { mode, lines: cases.length, mismatches: 0, shown: [], ms: run.ms };
    results.push(result);
    if (run.spawnError || run.timedOut || run.exitCode !== 0) {
      const why = run.spawnError ? `could not start: ${run.spawnError.message}`
        : run.timedOut ? `timed out after ${seconds(timeoutMs)}`
          : `exited with ${run.exitCode ?? run.signal}`;
      const stderrTail = readFileSync(errPath, 'utf8').trimEnd().split('\n').slice(-6).join('\n      ');
      result.failure = `${why}${stderrTail ? `; stderr:\n      ${stderrTail}` : ''}`;
      result.mismatches = cases.length;
      continue;
    }
    const lines = readOutputLines(outPath);
    if (lines.length !== cases.length) result.lineCountError = `${lines.length} output lines for ${cases.length} input lines`;
    const parsedLines = cases.map((_, i) => parseOutputLine(lines[i], field));
    const problems = parsedLines.map((parsed, i) => {
      if (parsed.error) return { message: parsed.error };
      if (field === 'ids') return compareIds(expected[i], parsed.value);
      if (field === 'text') return compareText(expected[i], parsed.value);
      return compareStream(oracle, cases[i].ids, expected[i], parsed.value, skipSpecial);
    });
    // Stream latency: one oracle decodeBatch for every probe of every line.
    const pending = problems.flatMap((p, i) => (p?.probes ? p.probes.map((probe) => ({ line: i, probe })) : []));
    const prefixes = pending.length
      ? await oracle.decodeBatch(pending.map(({ line, probe }) => cases[line].ids.slice(0, probe.settledEnd)), skipSpecial)
      : [];
    let next = 0;
    for (const [i, p] of problems.entries()) {
      if (!p?.probes) continue;
      const linePrefixes = prefixes.slice(next, next + p.probes.length);
      next += p.probes.length;
      const complaint = checkStreamLatency(p.probes, linePrefixes, p.pieces, expected[i]);
      problems[i] = complaint ? { message: complaint } : null;
    }
    for (let i = 0; i < cases.length; i++) {
      const parsed = parsedLines[i];
      const problem = problems[i];
      if (!problem) continue;
      result.mismatches++;
      if (result.shown.length >= maxShown) continue;
      const c = cases[i];
      const report = [`#${i} [${c.tag}]`];
      if (field === 'ids') {
        if (c.text.length <= 160 || problem.message) {
          report.push(`text: ${c.text.length > 160 ? excerpt(c.text, 0, 80) : escapeText(c.text)}`);
        } else {
          // Long line: show the text around the first differing id (oracle offsets are in code points).
          const encoding = await oracle.encode(c.text, null, { addSpecialTokens: mode === 'encode' });
          const offsets = encoding.getOffsets();
          const codePointAt = offsets.length ? offsets[Math.min(problem.at, offsets.length - 1)][0] : 0;
          const utf16At = [...c.text].slice(0, codePointAt).join('').length;
          report.push(`text (${c.text.length} chars) near char ${utf16At}: ${excerpt(c.text, utf16At, 60)}`);
        }
        if (problem.message) {
          report.push(problem.message);
        } else {
          report.push(`first difference at id #${problem.at}`);
          report.push(`expected ${idWindow(expected[i], problem.at, tokenOf)}`);
          report.push(`got      ${idWindow(parsed.value, problem.at, tokenOf)}`);
        }
      } else {
        report.push(`ids: ${idWindow(c.ids, null, tokenOf, 6)}`);
        if (problem.message) {
          report.push(problem.message);
        } else {
          const gotText = problem.gotText ?? parsed.value;
          report.push(`first difference at char ${problem.at}`);
          report.push(`expected ${excerpt(expected[i], problem.at)}`);
          report.push(`got      ${excerpt(gotText, problem.at)}`);
        }
      }
      result.shown.push(report);
    }
    timing.compare += performance.now() - compareStarted;
  }
  if (!options['keep-temp']) {
    // CLI outputs run to megabytes per mode; drop them as soon as they are compared.
    for (const { mode } of modes) for (const path of files(mode)) rmSync(path, { force: true });
    rmSync(idsPath, { force: true });
  }
  return { entry, timing, results, lines: corpus.length, decodeLines: decodeCases.length };
}

// ------------------------------------------------------------------ main

// Report lines for one tokenizer, and whether it had mismatches or failures.
function formatOutcome(entry, outcome) {
  const lines = [];
  if (outcome.error) return { lines: [`\n${entry.name}: harness error: ${outcome.error.stack}`], failure: true };
  const { timing, results } = outcome;
  let failure = false;
  let mismatch = false;
  const summary = results.map((r) => `${r.mode} ${r.failure ? 'FAILED' : `${r.mismatches}/${r.lines}`}`).join('  ');
  const slowest = Math.max(...results.map((r) => r.ms));
  const bad = results.some((r) => r.mismatches || r.failure || r.lineCountError);
  lines.push(`\n${bad ? 'FAIL' : 'ok  '} ${entry.name.padEnd(13)} ${summary}`);
  lines.push(`     oracle: load ${seconds(timing.load)}, encode ${seconds(timing.oracleEncode)}, decode ${seconds(timing.oracleDecode)}, compare ${seconds(timing.compare)}; ` +
    `turbine: ${results.map((r) => `${r.mode} ${seconds(r.ms)}`).join(', ')} (slowest ${seconds(slowest)})`);
  for (const r of results) {
    if (r.failure) {
      failure = true;
      lines.push(`  ${r.mode}: ${r.failure}`);
      continue;
    }
    if (r.lineCountError) lines.push(`  ${r.mode}: ${r.lineCountError}`);
    if (r.mismatches || r.lineCountError) mismatch = true;
    for (const report of r.shown) lines.push(`  ${r.mode} ${report[0]}\n      ${report.slice(1).join('\n      ')}`);
    if (r.mismatches > r.shown.length) lines.push(`  ${r.mode}: … ${r.mismatches - r.shown.length} more mismatching lines`);
  }
  return { lines, failure, mismatch };
}

console.log(`tokenizer parity: ${turbinePath}`);
console.log(`corpus ${options.corpus}: ${corpus.length} lines, ${(corpusBytes / 1024).toFixed(0)} KiB; ` +
  `${randomSequenceCount} random id sequences per tokenizer; stream checks ${options['no-stream'] ? 'OFF' : 'on'}`);
const started = performance.now();
let anyMismatch = false;
let anyFailure = false;

// Two tokenizers in flight, so one's oracle work overlaps the other's CLI runs; reports still
// print in catalog order.
const outcomes = new Array(tokenizers.length);
let nextToStart = 0;
let nextToPrint = 0;
function printReady() {
  while (nextToPrint < tokenizers.length && outcomes[nextToPrint]) {
    const { lines, failure, mismatch } = formatOutcome(tokenizers[nextToPrint], outcomes[nextToPrint]);
    console.log(lines.join('\n'));
    anyFailure ||= failure;
    anyMismatch ||= mismatch;
    outcomes[nextToPrint++] = true; // free the results
  }
}
async function tokenizerWorker() {
  while (nextToStart < tokenizers.length) {
    const k = nextToStart++;
    try {
      outcomes[k] = await testTokenizer(tokenizers[k]);
    } catch (error) {
      outcomes[k] = { error };
    }
    printReady();
  }
}
await Promise.all([tokenizerWorker(), tokenizerWorker()]);

console.log(`\n${anyFailure ? 'FAILED (CLI or harness errors)' : anyMismatch ? 'FAILED (mismatches)' : 'PASSED'} in ${seconds(performance.now() - started)}`);
if (options['keep-temp']) console.log(`temporary files kept in ${tempDir}`);
else rmSync(tempDir, { recursive: true, force: true });
process.exit(anyFailure ? 2 : anyMismatch ? 1 : 0);
