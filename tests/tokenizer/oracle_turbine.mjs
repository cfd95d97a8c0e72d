#!/usr/bin/env node
// A stand-in for the `turbine tokenize|detokenize` CLI built on the oracle itself. It exists to
// test the parity harness: `parity.mjs --turbine tests/tokenizer/oracle_turbine.mjs` must pass,
// and with TURBINE_FAKE_FAULTS set it must fail in the named ways, which proves the harness
// actually looks. Its --stream mode is also a reference for the contract:
//
//   turbine detokenize --tokenizer DIR --jsonl FILE --stream [--skip-special]
//   input lines {"ids": [...]}; output lines {"pieces": [...]}, exactly one piece per input id:
//   piece i is the text the incremental detokenizer released after receiving ids[i] (often "",
//   e.g. while a multi-byte character is incomplete); the last piece also carries whatever the
//   end-of-stream flush releases. Every piece is valid UTF-8 on its own, and the pieces joined
//   equal decode(ids, skip_special_tokens) exactly.
//
// TURBINE_FAKE_FAULTS (comma-separated): encode (wrong id in some lines), decode (wrong text),
// stream (pieces that don't join to the decode), split_utf8 (a piece ending mid-character, i.e. a
// lone surrogate in JSON), lazy (everything held back to the last piece), count (a missing line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOracleLibrary } from './common.mjs';

const [command, ...rest] = process.argv.slice(2);
const option = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const flag = (name) => rest.includes(name);
const faults = new Set((process.env.TURBINE_FAKE_FAULTS ?? '').split(',').filter(Boolean));

const { Tokenizer } = loadOracleLibrary();
const tokenizer = Tokenizer.fromFile(join(option('--tokenizer'), 'tokenizer.json'));
const inputs = readFileSync(option('--jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
const output = [];

// Incremental detokenization in the style of vLLM and HF's DecodeStream: decode a short window of
// recent ids twice and release only the new suffix, holding back while the tail is an incomplete
// character (U+FFFD). One more rule keeps the joined pieces equal to the full decode: a run of
// byte-fallback ids ("<0xE2>") is held until a non-byte id ends it, because HF's ByteFallback
// decoder turns the whole run into U+FFFDs if any byte of it is invalid, even earlier ones.
const specialIds = new Set(JSON.parse(readFileSync(join(option('--tokenizer'), 'tokenizer.json'), 'utf8'))
  .added_tokens.filter((t) => t.special).map((t) => t.id));
const isByteToken = (id) => /^<0x[0-9A-F]{2}>$/.test(tokenizer.idToToken(id) ?? '');

async function streamPieces(ids, skipSpecial) {
  const pieces = [];
  let prefixOffset = 0;
  let readOffset = 0;
  let prefixText = '';
  let lastVisible = null; // the last id the decoder will see (skipped specials are invisible)
  for (let i = 0; i < ids.length; i++) {
    if (!(skipSpecial && specialIds.has(ids[i]))) lastVisible = ids[i];
    if (lastVisible !== null && isByteToken(lastVisible)) {
      pieces.push('');
      continue;
    }
    const newText = await tokenizer.decode(ids.slice(prefixOffset, i + 1), skipSpecial);
    if (newText.length > prefixText.length && !newText.endsWith('\ufffd') && newText.startsWith(prefixText)) {
      pieces.push(newText.slice(prefixText.length));
      prefixOffset = readOffset;
      readOffset = i + 1;
      prefixText = await tokenizer.decode(ids.slice(prefixOffset, readOffset), skipSpecial);
    } else {
      pieces.push('');
    }
  }
  if (ids.length > 0) {
    // End of stream: release the held-back tail (now final, U+FFFD and all).
    const full = await tokenizer.decode(ids, skipSpecial);
    const emitted = pieces.join('');
    if (!full.startsWith(emitted)) throw new Error(`incremental text diverged from the full decode: ids ${JSON.stringify(ids)}`);
    pieces[pieces.length - 1] += full.slice(emitted.length);
  }
  return pieces;
}

if (command === 'tokenize') {
  const encodings = await tokenizer.encodeBatch(inputs.map((x) => x.text), { addSpecialTokens: !flag('--no-special') });
  encodings.forEach((encoding, line) => {
    const ids = encoding.getIds();
    if (faults.has('encode') && line % 97 === 5 && ids.length > 2) ids[ids.length >> 1] += 1;
    output.push(JSON.stringify({ ids }));
  });
} else if (command === 'detokenize') {
  const skipSpecial = flag('--skip-special');
  for (const [line, input] of inputs.entries()) {
    if (!flag('--stream')) {
      let text = await tokenizer.decode(input.ids, skipSpecial);
      if (faults.has('decode') && line % 101 === 7) text += 'x';
      output.push(JSON.stringify({ text }));
      continue;
    }
    let pieces = await streamPieces(input.ids, skipSpecial);
    if (faults.has('stream') && line % 89 === 3 && pieces.length > 1) pieces[0] += '?';
    if (faults.has('lazy') && pieces.length > 1) pieces = [...pieces.slice(1).map(() => ''), pieces.join('')];
    let json = JSON.stringify({ pieces });
    if (faults.has('split_utf8') && line % 83 === 2) {
      // Split the first astral character across two pieces: each half is a lone surrogate.
      const joined = pieces.join('');
      const at = [...joined].findIndex((ch) => ch.length === 2);
      if (at >= 0 && pieces.length > 1) {
        const cut = [...joined].slice(0, at).join('').length + 1;
        json = JSON.stringify({ pieces: [joined.slice(0, cut), joined.slice(cut), ...pieces.slice(2).map(() => '')] });
      }
    }
    output.push(json);
  }
} else {
  console.error(`usage: oracle_turbine.mjs tokenize|detokenize --tokenizer DIR --jsonl FILE [flags]`);
  process.exit(2);
}
if (faults.has('count')) output.pop();
process.stdout.write(output.join('\n') + (output.length ? '\n' : ''));
