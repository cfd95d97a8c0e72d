#!/usr/bin/env node
// Encode throughput of Hugging Face's `tokenizers` (Rust, through its Node binding) on one
// thread, as the yardstick for Turbine's C++ tokenizer bench (bench/tokenizer/). Optionally also
// times `turbine tokenize --jsonl` end to end on the same text; that figure includes process start
// and tokenizer load, so it also runs the CLI on a one-line input and reports the difference.
//
//   node tests/tokenizer/bench_encode.mjs [--tokenizers llama3_1,qwen2_5] [--turbine build/turbine]
//        [--corpus FILE] [--tags hand,long] [--copies 4] [--repeat 3]
//
// --tags keeps only corpus lines whose tag starts with one of the prefixes (e.g. "hand,long" for
// natural prose and code without the adversarial cases, which are far slower per byte).
// Prints one human line per measurement and a "RESULT key=value ..." line for scripts.
// Single thread: TOKENIZERS_PARALLELISM=false and RAYON_NUM_THREADS=1 are set before the
// library loads, so encodeBatch runs serially (the C++ bench is single-threaded too).
process.env.TOKENIZERS_PARALLELISM = 'false';
process.env.RAYON_NUM_THREADS = '1';

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultCorpusPath, hasTokenizerJson, loadOracleLibrary, parseArgs, readCorpus, tokenizerCatalog } from './common.mjs';

const options = parseArgs(process.argv.slice(2), {
  tokenizers: { default: 'llama3_1,qwen2_5' },
  turbine: { default: process.env.TURBINE_BINARY },
  corpus: { default: defaultCorpusPath },
  tags: { default: undefined },
  copies: { default: '4' },
  repeat: { default: '3' },
});
const library = loadOracleLibrary();
if (!library) {
  console.error('the oracle library is not installed; run `npm ci` in tests/js');
  process.exit(2);
}
const catalog = tokenizerCatalog();
const copies = Number(options.copies);
const repeat = Number(options.repeat);

// The corpus repeated `copies` times, so one run lasts long enough to time and the CLI's fixed
// start-up cost weighs less.
const tagPrefixes = options.tags?.split(',');
const corpusTexts = readCorpus(options.corpus)
  .filter((s) => !tagPrefixes || tagPrefixes.some((prefix) => (s.tag ?? '').startsWith(prefix)))
  .map((s) => s.text);
const texts = Array.from({ length: copies }, () => corpusTexts).flat();
const megabytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0) / 1e6;
const tempDir = mkdtempSync(join(tmpdir(), 'turbine-bench-'));
const textsPath = join(tempDir, 'texts.jsonl');
const oneLinePath = join(tempDir, 'one_line.jsonl');
writeFileSync(textsPath, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
writeFileSync(oneLinePath, JSON.stringify({ text: 'warm-up' }) + '\n');

// Wall time suffers when the machine is shared, so CPU time is reported too (for the CLI, the
// child's user+sys time as bash's `times` sees it).
const report = (name, impl, label, timing, tokens, note = '') => {
  const wallMbps = megabytes / timing.wall;
  const cpuMbps = megabytes / timing.cpu;
  console.log(`  ${label.padEnd(44)} ${wallMbps.toFixed(2).padStart(7)} MB/s wall ${cpuMbps.toFixed(2).padStart(7)} MB/s cpu ` +
    `${(tokens / timing.wall / 1e6).toFixed(2).padStart(6)} Mtok/s  (${timing.wall.toFixed(3)}s wall, ${timing.cpu.toFixed(3)}s cpu)${note ? `  ${note}` : ''}`);
  console.log(`RESULT tokenizer=${name} impl=${impl} mb_per_s=${wallMbps.toFixed(3)} mb_per_cpu_s=${cpuMbps.toFixed(3)} ` +
    `tokens_per_s=${Math.round(tokens / timing.wall)} wall_s=${timing.wall.toFixed(4)} cpu_s=${timing.cpu.toFixed(4)} megabytes=${megabytes.toFixed(3)}`);
};
const best = (runs) => ({ wall: Math.min(...runs.map((r) => r.wall)), cpu: Math.min(...runs.map((r) => r.cpu)) });

function timeCli(turbine, dir, input, outputPath) {
  const started = performance.now();
  const script = '"$0" tokenize --tokenizer "$1" --jsonl "$2" --no-special > "$3" && times';
  const run = spawnSync('bash', ['-c', script, turbine, dir, input, outputPath], { encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`turbine tokenize failed (${run.status ?? run.signal}): ${run.stderr.slice(-400)}`);
  // `times` prints the shell's own user/sys, then its children's: "0m1.234s 0m0.056s".
  const childLine = run.stdout.trim().split('\n').at(-1);
  const cpu = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { wall, cpu };
}

for (const name of options.tokenizers.split(',')) {
  const entry = catalog.find((t) => t.name === name);
  if (!entry || !hasTokenizerJson(entry)) {
    console.error(`no tokenizer ${name} (run tests/tokenizer/fetch_tokenizers.sh)`);
    process.exit(2);
  }
  const tokenizer = library.Tokenizer.fromFile(join(entry.dir, 'tokenizer.json'));
  console.log(`${name}: ${texts.length} lines, ${megabytes.toFixed(2)} MB (${copies}x ${options.corpus}${tagPrefixes ? ` tags ${options.tags}` : ''}), best of ${repeat}`);

  await tokenizer.encodeBatch(corpusTexts.slice(0, 50), { addSpecialTokens: false }); // warm-up
  const oracleRuns = [];
  let tokens = 0;
  for (let r = 0; r < repeat; r++) {
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    const encodings = await tokenizer.encodeBatch(texts, { addSpecialTokens: false });
    const cpu = process.cpuUsage(cpuStart);
    oracleRuns.push({ wall: (performance.now() - wallStart) / 1000, cpu: (cpu.user + cpu.system) / 1e6 });
    tokens = encodings.reduce((sum, e) => sum + e.getLength(), 0);
  }
  report(name, 'hf_tokenizers_node', 'HF tokenizers (node) encodeBatch, 1 thread', best(oracleRuns), tokens);

  if (options.turbine) {
    const turbine = resolve(options.turbine);
    if (!existsSync(turbine)) {
      console.error(`turbine CLI not found: ${turbine}`);
      process.exit(2);
    }
    const outputPath = join(tempDir, 'ids.jsonl');
    const fullRuns = [];
    const oneLineRuns = [];
    for (let r = 0; r < repeat; r++) {
      oneLineRuns.push(timeCli(turbine, entry.dir, oneLinePath, outputPath));
      fullRuns.push(timeCli(turbine, entry.dir, textsPath, outputPath));
    }
    const cliTokens = readFileSync(outputPath, 'utf8').split('\n').filter(Boolean)
      .reduce((sum, line) => sum + JSON.parse(line).ids.length, 0);
    const full = best(fullRuns);
    const oneLine = best(oneLineRuns);
    report(name, 'turbine_cli_end_to_end', 'turbine tokenize --jsonl, end to end', full, cliTokens,
      '(includes process start, tokenizer load, JSON I/O)');
    if (full.wall > oneLine.wall && full.cpu > oneLine.cpu) {
      report(name, 'turbine_cli_net', 'turbine tokenize --jsonl minus one-line run',
        { wall: full.wall - oneLine.wall, cpu: full.cpu - oneLine.cpu }, cliTokens,
        `(one-line run: ${oneLine.wall.toFixed(3)}s wall, ${oneLine.cpu.toFixed(3)}s cpu)`);
    }
  }
}
rmSync(tempDir, { recursive: true, force: true });
