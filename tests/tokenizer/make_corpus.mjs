#!/usr/bin/env node
// Builds tests/tokenizer/corpus/corpus.jsonl, the tokenizer parity corpus: one {"tag", "text"}
// object per line. It holds the handwritten samples (corpus/handwritten/*.txt, samples separated
// by lines that are exactly "~~~"), variants of them (NFD, CRLF, padded with odd whitespace),
// rule-built edge cases (special-token strings, whitespace runs, numbers, emoji sequences,
// combining marks, control characters, long words) and seeded random Unicode.
//
// Deterministic: random characters come from corpus/assigned_unicode.json (code points assigned
// in one fixed Unicode version, written by dump_assigned_ranges.py), never from Node's own Unicode
// tables, so any Node writes the same bytes. Characters added in later Unicode versions appear
// only in the labelled "unicode/added_in_*" samples, so a tokenizer built on older tables than the
// oracle's shows up there and not as noise all over the random samples.
// The output is committed so CI never regenerates it; rerun only when changing the corpus:
//   node tests/tokenizer/make_corpus.mjs            (writes the file)
//   node tests/tokenizer/make_corpus.mjs --check    (exit 1 if the committed file is stale)
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const handwrittenDir = join(here, 'corpus', 'handwritten');
const assignedRanges = JSON.parse(readFileSync(join(here, 'corpus', 'assigned_unicode.json'), 'utf8')).ranges;
const outputPath = join(here, 'corpus', 'corpus.jsonl');

// mulberry32: tiny seeded PRNG, so the corpus does not change between runs.
function makeRng(seed) {
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

const samples = [];
const add = (tag, text) => samples.push({ tag, text });
const cp = (...codes) => String.fromCodePoint(...codes);

// True when the code point is assigned in the fixed Unicode version (binary search over ranges).
function isAssigned(code) {
  let lo = 0;
  let hi = assignedRanges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = assignedRanges[mid];
    if (code < first) hi = mid - 1;
    else if (code > last) lo = mid + 1;
    else return true;
  }
  return false;
}

// ---------------------------------------------------------------- handwritten and variants
const handwritten = [];
for (const file of readdirSync(handwrittenDir).filter((f) => f.endsWith('.txt')).sort()) {
  const raw = readFileSync(join(handwrittenDir, file), 'utf8');
  const parts = raw.replace(/\n$/, '').split(/\n~~~\n/);
  parts.forEach((text, i) => handwritten.push({ tag: `hand/${file.replace(/\.txt$/, '')}#${i}`, text }));
}
for (const s of handwritten) add(s.tag, s.text);

// Decomposed forms: Qwen normalizes to NFC, the others see the combining marks as-is.
for (const s of handwritten) {
  const nfd = s.text.normalize('NFD');
  if (nfd !== s.text) add(`nfd/${s.tag}`, nfd);
}
// Compatibility forms change fullwidth letters, ligatures and circled digits.
for (const s of handwritten.filter((h) => /cjk|other_scripts/.test(h.tag))) {
  const nfkc = s.text.normalize('NFKC');
  if (nfkc !== s.text) add(`nfkc/${s.tag}`, nfkc);
}
// Windows line endings, and old-Mac lone CRs, for every multi-line sample.
for (const s of handwritten.filter((h) => h.text.includes('\n'))) {
  add(`crlf/${s.tag}`, s.text.replace(/\n/g, '\r\n'));
  if (/code/.test(s.tag)) add(`cr/${s.tag}`, s.text.replace(/\n/g, '\r'));
}
// The same text with unusual whitespace around it: pre-tokenizer regexes treat leading and
// trailing whitespace specially, and SentencePiece-style tokenizers prepend "▁".
{
  const rng = makeRng(7);
  const pads = [' ', '  ', '\t', '\n', '\n\n', ' \n', '\u00a0', '\u3000', '\u2028', '\r\n', '   \t '];
  const short = handwritten.filter((h) => h.text.length < 400);
  for (let i = 0; i < 120; i++) {
    const s = rng.pick(short);
    add(`padded/${s.tag}`, rng.pick(pads) + s.text + rng.pick(pads));
  }
}
// Long documents: whole handwritten files joined, and one multilingual mix.
{
  const byFile = new Map();
  for (const s of handwritten) {
    const file = s.tag.split('#')[0];
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(s.text);
  }
  for (const [file, texts] of byFile) add(`long/${file}`, texts.join('\n\n'));
  const rng = makeRng(11);
  const mix = [];
  for (let i = 0; i < 60; i++) mix.push(rng.pick(handwritten).text);
  add('long/multilingual_mix', mix.join(rng.pick([' ', '\n', '\n\n'])));
}

// ---------------------------------------------------------------- special-token strings
// Each family's control strings, alone, in text, glued together, and near misses that must NOT
// be matched as special tokens.
const specialTokens = [
  // Llama 3
  '<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>',
  '<|eom_id|>', '<|python_tag|>', '<|finetune_right_pad_id|>', '<|reserved_special_token_0|>',
  '<|reserved_special_token_247|>',
  // Qwen / GPT-2
  '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>', '<|box_start|>',
  '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>',
  '<tool_call>', '</tool_call>', '<think>', '</think>', '<tool_response>', '</tool_response>',
  // Llama 2 / Mistral
  '<s>', '</s>', '<unk>', '[INST]', '[/INST]', '[AVAILABLE_TOOLS]', '[/AVAILABLE_TOOLS]',
  '[TOOL_CALLS]', '[TOOL_RESULTS]', '[SYSTEM_PROMPT]', '[IMG]', '<pad>',
  // Gemma
  '<bos>', '<eos>', '<start_of_turn>', '<end_of_turn>', '<start_of_image>', '<end_of_image>',
  '<mask>', '[multimodal]', '<unused0>', '<unused99>', '<table>', '</td>', '<h1>',
  // DeepSeek (fullwidth bars and U+2581 "▁" inside)
  '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜User｜>', '<｜Assistant｜>',
  '<｜tool▁calls▁begin｜>', '<｜tool▁call▁end｜>', '<｜fim▁hole｜>', '<｜▁pad▁｜>', '<|EOT|>',
];
const nearMisses = [
  '<|begin_of_text|', '|begin_of_text|>', '<|begin_of_text |>', '<| begin_of_text|>',
  '<|BEGIN_OF_TEXT|>', '<|begin-of-text|>', '<<|begin_of_text|>>', '<|begin_of_text|>>',
  '<|im_start', 'im_start|>', '<|im_start |>', '<|IM_START|>', '<|im_startt|>', '<|im_star|>',
  '<|endoftext', '<|endoftext |>', '<|end of text|>', '<|reserved_special_token_999|>',
  '< s>', '<s >', '<S>', '<s/>', '<<s>>', '<ss>', '</s', '/s>', '<\\s>', '< /s>',
  '[INST', 'INST]', '[ INST]', '[inst]', '[[INST]]', '[/INST', '[INST ]',
  '<start_of_turn', '<start_of_turn >', '<START_OF_TURN>', '<start-of-turn>', '<end_of_turn',
  '<｜begin_of_sentence｜>', '<|begin▁of▁sentence|>', '<｜begin▁of▁sentence|>',
  '<｜begin ▁of▁sentence｜>', '<｜User|>', '<|User｜>', '<｜user｜>', '<unused>', '<unused-1>',
  '<think', 'think>', '<thinking>', '<tool_call', '<tool call>', '<table', '<TABLE>', '<h7>',
];
{
  for (const t of specialTokens) add('special/alone', t);
  for (const t of nearMisses) add('special/near_miss', t);
  const rng = makeRng(23);
  const contexts = [
    (t) => `Hello ${t} world`, (t) => `Hello${t}world`, (t) => ` ${t} `, (t) => `\n${t}\n`,
    (t) => `${t}${t}${t}`, (t) => `${t} ${t}`, (t) => `text before${t}`, (t) => `${t}text after`,
    (t) => `  ${t}  indented`, (t) => `日本語${t}中文`, (t) => `"${t}"`, (t) => `\`${t}\``,
    (t) => `${t}\r\n`, (t) => `\t${t}\t`, (t) => `x${t.slice(0, -1)}${t}`, (t) => `${t}😀`,
  ];
  for (const t of specialTokens) for (const c of contexts) if (rng.chance(0.45)) add('special/context', c(t));
  for (const t of nearMisses) add('special/near_miss_context', `Hello ${t} world ${t}${t}`);
  // Whole chat transcripts in several templates, as a server would see them.
  add('special/chat_llama3',
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>');
  add('special/chat_chatml',
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
    '<|im_start|>assistant\n<think>\nsimple sum\n</think>\n\n4<|im_end|>\n<|endoftext|>');
  add('special/chat_mistral', '<s>[INST] What is 2+2? [/INST] 4</s>[INST] And 3+3?[/INST]6</s>');
  add('special/chat_gemma',
    '<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>\n');
  add('special/chat_deepseek',
    '<｜begin▁of▁sentence｜>You are terse.<｜User｜>What is 2+2?<｜Assistant｜><think>\nsum\n</think>4<｜end▁of▁sentence｜>');
  add('special/all_glued', specialTokens.join(''));
  add('special/all_spaced', specialTokens.join(' '));
  add('special/all_lines', specialTokens.join('\n'));
  add('special/near_glued', nearMisses.join(''));
  // Token names that look like vocabulary internals: byte-fallback names, byte-level glyphs,
  // the SentencePiece space marker typed literally.
  add('special/vocab_lookalikes', '<0x0A> <0x00> <0xFF> <0xE2><0x96><0x81> Ġhello Ċ ĠĠ ▁hello ▁▁world ▁ ▁▁ ▁▁▁▁');
  add('special/metaspace_literal', '▁'.repeat(40) + 'x▁y ▁ z▁');
}

// ---------------------------------------------------------------- whitespace
const whitespace = {
  space: ' ', tab: '\t', lf: '\n', crlf: '\r\n', cr: '\r', vt: '\v', ff: '\f', nbsp: '\u00a0',
  nel: '\u0085', ideographic: '\u3000', line_sep: '\u2028', para_sep: '\u2029', thin: '\u2009',
  narrow_nbsp: '\u202f', em_space: '\u2003', zwsp: '\u200b', bom: '\ufeff', soft_hyphen: '\u00ad',
  ogham_space: '\u1680', mongolian_vs: '\u180e', word_joiner: '\u2060',
};
{
  for (const [name, ws] of Object.entries(whitespace)) {
    for (const n of [1, 2, 3, 7, 16, 33]) {
      add(`ws/${name}/between`, `word${ws.repeat(n)}word`);
      add(`ws/${name}/edges`, `${ws.repeat(n)}word${ws.repeat(n)}`);
    }
    add(`ws/${name}/only`, ws.repeat(5));
    add(`ws/${name}/before_punct`, `a${ws}.${ws}${ws}!${ws}?`);
  }
  const rng = makeRng(31);
  const wsChars = Object.values(whitespace);
  for (let i = 0; i < 80; i++) {
    let text = '';
    const parts = rng.int(1, 10);
    for (let p = 0; p < parts; p++) {
      let run = '';
      for (let k = rng.int(1, 12); k > 0; k--) run += rng.pick(wsChars);
      text += run + (rng.chance(0.7) ? rng.pick(['x', 'hello', 'I', '1', '.', '日本', 'ñ', '😀', "'s", '\u0301']) : '');
    }
    add('ws/random_mix', text);
  }
  add('ws/empty', '');
  add('ws/single_space', ' ');
  add('ws/single_newline', '\n');
  add('ws/spaces_64', ' '.repeat(64));
  add('ws/newlines_40', '\n'.repeat(40));
  add('ws/tabs_40', '\t'.repeat(40));
  add('ws/many_blank_lines', 'a\n\n\n\n\nb\n \n \n\t\nc\r\n\r\n\r\nd');
  add('ws/indent_ladder', Array.from({ length: 20 }, (_, i) => ' '.repeat(i) + `level ${i}`).join('\n'));
}

// ---------------------------------------------------------------- control characters
{
  const c0 = Array.from({ length: 32 }, (_, i) => cp(i)).join('');
  const c1 = Array.from({ length: 33 }, (_, i) => cp(0x7f + i)).join('');
  add('control/c0_all', c0);
  add('control/c1_all', c1);
  for (let i = 0; i < 32; i++) add('control/c0_in_word', `ab${cp(i)}cd ${cp(i)} x`);
  add('control/nul_between', 'before\u0000after \u0000\u0000 end');
  add('control/escape_sequences', '\u001b[31mred\u001b[0m \u001b[1;32mbold green\u001b[0m \u0007bell\u0008back');
}

// ---------------------------------------------------------------- numbers
{
  const rng = makeRng(41);
  const digits = (n) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 20, 31, 32, 33, 50, 64, 100, 257]) {
    add(`num/run_${n}`, digits(n));
    add(`num/run_${n}_in_text`, `The value is ${digits(n)}, not ${digits(n)}.`);
  }
  add('num/separators', '1,234,567.89 1.234.567,89 1 234 567 12\'345\'678 1_000_000 1\u00a0000\u00a0000 1\u202f000 ١٬٢٣٤٫٥ 12,34,567 (Indian grouping)');
  add('num/signed_and_scientific', '-1 +2 −3 ±4 -0.5 .5 5. 1e10 1E-10 6.02214076e23 -1.6e-19 0x1F 0b101 0o17 1/2 3:4 50% 99.9% 1st 2nd 3rd 4th');
  add('num/dates_times', '2025-01-15 15/01/2025 01/15/2025 15.01.2025 2025年1月15日 12:34:56.789 23h59 T08:00:00+05:30');
  add('num/phone_ids', '+1 (555) 010-0199, +44 20 7946 0000, 4111 1111 1111 1111, ISBN 978-3-16-148410-0, IPv4 192.168.0.1, IPv6 2001:db8::ff00:42:8329');
  add('num/other_digit_systems', '٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ০১২৩৪৫৬৭৮৯ ௦௧௨௩௪௫௬௭௮௯ ๐๑๒๓๔๕๖๗๘๙ ០១២៣៤៥៦៧៨៩ ０１２３４５６７８９ 𝟎𝟏𝟐𝟑 ①②③ ⅠⅡⅢⅣ ¹²³ ₁₂₃ ½¼¾ 𑁦𑁧 𝍠𝍡');
  add('num/mixed_alnum', 'abc123def 123abc abc123 v1.2.3-rc.4+build.567 H2O 3D 4K 1080p x86_64 sha256:9f86d081884c7d659a2feaa0c55ad015 COVID-19 A1B2C3D4E5');
  for (let i = 0; i < 30; i++) {
    const parts = [];
    for (let k = rng.int(3, 12); k > 0; k--) {
      const len = rng.int(1, 14);
      parts.push(rng.pick(['', '-', '+', '$', '€']) + digits(len) + rng.pick(['', '.', ',', '%', 'k', 'ms', '']) + (rng.chance(0.3) ? digits(rng.int(1, 4)) : ''));
    }
    add('num/random', parts.join(rng.pick([' ', ', ', '\t', '\n', ''])));
  }
}

// ---------------------------------------------------------------- long words and repetition
{
  const rng = makeRng(53);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const randomWord = (n, alphabet) => Array.from({ length: n }, () => rng.pick(alphabet)).join('');
  for (const n of [64, 256, 1000, 4000]) add(`long_word/random_latin_${n}`, randomWord(n, letters));
  add('long_word/aaaa_2000', 'a'.repeat(2000));
  add('long_word/ab_1000', 'ab'.repeat(1000));
  add('long_word/spaced_a_500', 'a '.repeat(500));
  add('long_word/cjk_1000', '的'.repeat(1000));
  add('long_word/hangul_500', '한'.repeat(500));
  add('long_word/emoji_300', '😀'.repeat(300));
  add('long_word/dots_500', '.'.repeat(500));
  add('long_word/dashes_300', '-'.repeat(300) + '\n' + '='.repeat(300));
  add('long_word/combining_200', 'e' + '\u0301'.repeat(200));
  add('long_word/base64', randomWord(1200, [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/']) + '==');
  add('long_word/hex', randomWord(800, [...'0123456789abcdef']));
  add('long_word/url', 'https://example.com/' + Array.from({ length: 40 }, () => randomWord(rng.int(3, 12), letters)).join('/') + '?q=' + randomWord(200, letters));
  add('long_word/german_compound', 'Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz'.repeat(6));
  add('long_word/thai_no_spaces', 'ภาษาไทยเขียนติดกันโดยไม่มีช่องว่างระหว่างคำ'.repeat(20));
  add('long_word/mixed_scripts', Array.from({ length: 60 }, () => rng.pick(['abc', 'абв', 'αβγ', 'אבג', 'أبت', 'अआइ', '日本', 'カナ', '한글', 'ไทย', '😀', '1️⃣', '🇫🇷'])).join(''));
  add('long_word/long_line_of_words', Array.from({ length: 3000 }, () => randomWord(rng.int(1, 9), letters)).join(' '));
}

// ---------------------------------------------------------------- emoji sequences
{
  const rng = makeRng(61);
  const skinTones = [0x1f3fb, 0x1f3fc, 0x1f3fd, 0x1f3fe, 0x1f3ff];
  const bases = [0x1f44b, 0x1f44d, 0x1f64f, 0x1f9d1, 0x1f469, 0x1f468, 0x1f476, 0x270b, 0x261d, 0x1f91d];
  add('emoji/skin_tone_grid', bases.map((b) => [cp(b), ...skinTones.map((t) => cp(b, t))].join(' ')).join('\n'));
  const countries = ['US', 'GB', 'FR', 'DE', 'JP', 'KR', 'CN', 'IN', 'BR', 'NG', 'ZA', 'MX', 'AR', 'EG', 'IL', 'SA', 'TR', 'RU', 'UA', 'PL', 'SE', 'NO', 'FI', 'IS', 'VN', 'TH', 'ID', 'PH', 'KE', 'ET', 'GE', 'AM', 'CA', 'AU', 'NZ', 'EU', 'UN'];
  const flag = (code) => cp(...[...code].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
  add('emoji/flags_spaced', countries.map(flag).join(' '));
  add('emoji/flags_glued', countries.map(flag).join(''));
  add('emoji/flags_odd_count', countries.slice(0, 9).map(flag).join('') + cp(0x1f1fa));
  add('emoji/invalid_flag_pairs', ['QQ', 'ZZ', 'XK', 'AA'].map(flag).join(' ') + ' ' + cp(0x1f1e6));
  add('emoji/keycaps', [...'0123456789#*'].map((c) => `${c}\ufe0f\u20e3`).join(' ') + ' ' + [...'0123456789#*'].map((c) => `${c}\u20e3`).join(''));
  add('emoji/tag_sequences', ['gbeng', 'gbsct', 'gbwls', 'usca', 'ustx'].map((t) => cp(0x1f3f4, ...[...t].map((c) => 0xe0000 + c.charCodeAt(0)), 0xe007f)).join(' '));
  add('emoji/lone_components', ['\u200d', '\ufe0f', '\ufe0e', '\u20e3', cp(0x1f3fb), cp(0xe007f), cp(0x1f1e6), '\u200d\u200d', 'a\u200db', 'x\ufe0fy'].join(' | '));
  const zwjParts = [0x1f468, 0x1f469, 0x1f9d1, 0x1f466, 0x1f467, 0x2764, 0x1f48b, 0x1f4bb, 0x1f680, 0x1f373, 0x1f33e, 0x2695, 0x2696, 0x1f525, 0x1f308, 0x26a7];
  for (let i = 0; i < 60; i++) {
    const seq = [];
    for (let k = rng.int(2, 7); k > 0; k--) {
      let e = cp(rng.pick(zwjParts));
      if (rng.chance(0.3)) e += cp(rng.pick(skinTones));
      if (rng.chance(0.3)) e += '\ufe0f';
      seq.push(e);
    }
    add('emoji/random_zwj', seq.join('\u200d') + (rng.chance(0.5) ? ' and text after' : ''));
  }
  // Every emoji-ish block, sampled densely: many are 4-byte UTF-8 and split by byte-level BPE.
  const emojiRanges = [[0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f900, 0x1f9ff], [0x1fa70, 0x1faff], [0x2600, 0x27bf]];
  for (const [lo, hi] of emojiRanges) {
    const chars = [];
    for (let c = lo; c <= hi; c++) if (isAssigned(c) && /\p{Extended_Pictographic}/u.test(cp(c))) chars.push(cp(c));
    for (let i = 0; i < chars.length; i += 120) add(`emoji/block_${lo.toString(16)}`, chars.slice(i, i + 120).join(rng.pick(['', ' '])));
  }
}

// ---------------------------------------------------------------- combining marks
{
  const rng = makeRng(71);
  const marks = [];
  for (let c = 0x300; c <= 0x36f; c++) marks.push(cp(c));
  const moreMarks = ['\u0483', '\u0591', '\u05b0', '\u064b', '\u0670', '\u093c', '\u0941', '\u0e31', '\u0e48', '\u1ab0', '\u1dc0', '\u20d0', '\u20e1', '\ufe20', cp(0x1d167), cp(0x1e8d0)];
  const allMarks = marks.concat(moreMarks);
  // Zalgo-like stacks of 1..30 marks on random letters.
  for (let i = 0; i < 40; i++) {
    let text = '';
    for (let w = rng.int(1, 8); w > 0; w--) {
      for (let l = rng.int(1, 7); l > 0; l--) {
        text += rng.pick([...'abcdefghijklmnopqrstuvwxyzαβγабвאבعربक']);
        for (let m = rng.int(0, i < 20 ? 4 : 30); m > 0; m--) text += rng.pick(allMarks);
      }
      text += ' ';
    }
    add('combining/zalgo', text.trimEnd());
  }
  add('combining/leading_mark', '\u0301start \u0308 \u20dd alone');
  add('combining/cgj_and_grapheme_joiner', 'a\u034fb e\u034f\u0301 \u034f');
  const precomposed = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệ';
  add('combining/latin_precomposed', precomposed);
  add('combining/latin_nfd', precomposed.normalize('NFD'));
  add('combining/greek_nfd', 'ἄλφα ᾄδω ῥήτωρ ΐ ΰ ᾯ'.normalize('NFD'));
  add('combining/cyrillic_nfd', 'ё й ї ў Ё Й Ї Ў'.normalize('NFD'));
  add('combining/hangul_jamo', '한국어 조합형 텍스트'.normalize('NFD') + ' vs ' + '한국어 조합형 텍스트');
  add('combining/mixed_forms_same_word', 'café café cafe\u0301 CAFÉ CAFE\u0301 naïve nai\u0308ve Å Å Å');
  add('combining/marks_reordering', 'a\u0316\u0301 a\u0301\u0316 q\u0307\u0323 q\u0323\u0307 ự ự ự');
  add('combining/devanagari_decomposed', 'क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़'.normalize('NFD'));
}

// ---------------------------------------------------------------- odd Unicode on purpose
{
  add('unicode/noncharacters', ['\ufdd0', '\ufdef', '\ufffe', '\uffff', cp(0x1fffe), cp(0x1ffff), cp(0x10fffe), cp(0x10ffff)].join(' x '));
  add('unicode/private_use', '\ue000\ue001\uf8ff ' + cp(0xf0000, 0xf0001, 0xffffd) + ' ' + cp(0x100000, 0x10fffd) + ' private use');
  add('unicode/replacement_char', 'bad \ufffd byte \ufffd\ufffd and U+FFFD alone: \ufffd');
  add('unicode/specials_block', '\ufff9\ufffa\ufffb \ufffc object \ufffd');
  add('unicode/variation_selectors', '葛\udb40\udd00 葛\udb40\udd01 ⛰\ufe0f ⛰\ufe0e a\ufe00 ' + cp(0xe0100, 0xe01ef));
  add('unicode/casefold_traps', "it'S IT'ſ it'ſ it’s it‘s KELVIN K Kelvin ß ẞ İstanbul ı I i ﬃ ǅ Σίσυφος ΣΊΣΥΦΟΣ");
  add('unicode/contraction_variants', "don't DON'T don’t don't've I'LL i'Ll we'RE they'Ve 's 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D x's'");
  add('unicode/astral_letters', '𐐷𐐸 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𞤀𞤁𞤂 𖼀𖼁 𑀓𑀸 𐤀𐤁 𐰀𐰁 𒁀 𓃰 🄰 𝐇𝐞𝐥𝐥𝐨');
  add('unicode/direction_overrides', 'abc\u202eDEF\u202c ghi \u2066isolate\u2069 \u200e\u200f');
  // Characters newer than the random pool's Unicode version, by the version that added them:
  // letters here are split off as non-letters by a tokenizer whose tables predate them.
  add('unicode/added_in_15_0', `ab${cp(0x1e030, 0x1e031, 0x1e032)} ${cp(0x1e4d0, 0x1e4d1)}x ${cp(0x31350, 0x31351)} ${cp(0x11f04, 0x11f05)} z${cp(0x1e030)}`);
  add('unicode/added_in_15_1', `ab${cp(0x2ebf0, 0x2ebf1, 0x2ebf2)} x${cp(0x2ebf3)}`);
  add('unicode/added_in_16_0', `ab${cp(0x1c89, 0x1c8a)} ${cp(0x10d50, 0x10d51, 0x10d52)} ${cp(0x16100, 0x16101)} ${cp(0x1e5d0, 0x1e5d1)}x 🫩 🪉`);
  add('unicode/added_in_17_0', `ab${cp(0xa7ce, 0xa7cf)} Mc${cp(0xa7ce)}x`);
  add('unicode/unassigned', `ab${cp(0x0378, 0x0379)} ${cp(0x2fe0)}x ${cp(0x1fabf)} ${cp(0x2fffd)} ${cp(0x30000 + 0x2000)}`);
  add('unicode/ideographic_description', '⿰木木 ⿱艹化 ⿻ 〾 〿');
}

// ---------------------------------------------------------------- seeded random Unicode
// Assigned code points only (fixed Unicode version), no surrogates; noncharacters and private
// use come from the explicit samples above and from the private-use plane weight here.
{
  const rng = makeRng(97);
  const isUsable = isAssigned;
  // Weighted planes: mostly BMP, then SMP (historic scripts, emoji, math), SIP (rare CJK),
  // tags/variation selectors, and a little private use.
  const planes = [
    { weight: 55, lo: 0x0000, hi: 0xffff },
    { weight: 20, lo: 0x10000, hi: 0x1ffff },
    { weight: 12, lo: 0x20000, hi: 0x3134f },
    { weight: 3, lo: 0xe0000, hi: 0xe01ef },
    { weight: 3, lo: 0xf0000, hi: 0xffffd },
    { weight: 7, lo: 0x0020, hi: 0x024f }, // Latin, so some random text looks half-familiar
  ];
  const totalWeight = planes.reduce((sum, p) => sum + p.weight, 0);
  const randomChar = () => {
    let r = rng.next() * totalWeight;
    let plane = planes[0];
    for (const p of planes) { if (r < p.weight) { plane = p; break; } r -= p.weight; }
    for (;;) {
      const c = rng.int(plane.lo, plane.hi);
      if (isUsable(c)) return cp(c);
    }
  };
  for (let i = 0; i < 700; i++) {
    let text = '';
    const length = rng.int(1, i < 650 ? 60 : 400);
    for (let k = 0; k < length; k++) text += rng.chance(0.12) ? rng.pick([' ', ' ', '\n', '\t', '  ']) : randomChar();
    add('random/unicode', text);
  }
  // Random "words" from one script at a time: stresses merges inside a script.
  const scriptRanges = [
    [0x0400, 0x04ff], [0x0370, 0x03ff], [0x0590, 0x05ff], [0x0600, 0x06ff], [0x0900, 0x097f],
    [0x0980, 0x09ff], [0x0b80, 0x0bff], [0x0e00, 0x0e7f], [0x1100, 0x11ff], [0x3040, 0x30ff],
    [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0x1200, 0x137f], [0x10a0, 0x10ff], [0x0530, 0x058f],
    [0x1e00, 0x1eff], [0x2000, 0x2bff], [0x1f300, 0x1faff], [0x0f00, 0x0fff], [0x1780, 0x17ff],
  ];
  for (let i = 0; i < 200; i++) {
    const [lo, hi] = scriptRanges[i % scriptRanges.length];
    const words = [];
    for (let w = rng.int(1, 12); w > 0; w--) {
      let word = '';
      for (let k = rng.int(1, 10); k > 0; k--) {
        let c;
        do c = rng.int(lo, hi); while (!isUsable(c));
        word += cp(c);
      }
      words.push(word);
    }
    add(`random/script_${lo.toString(16)}`, words.join(rng.pick([' ', ' ', '\n', '', ', '])));
  }
  // Random printable ASCII soup: punctuation runs, quotes, contractions by accident.
  for (let i = 0; i < 100; i++) {
    let text = '';
    for (let k = rng.int(1, 120); k > 0; k--) text += cp(rng.chance(0.05) ? rng.pick([9, 10, 13]) : rng.int(0x20, 0x7e));
    add('random/ascii', text);
  }
}

// ---------------------------------------------------------------- write
const body = samples.map((s) => JSON.stringify({ tag: s.tag, text: s.text })).join('\n') + '\n';
if (process.argv.includes('--check')) {
  const committed = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : '';
  if (committed !== body) {
    console.error('corpus.jsonl is stale; rerun node tests/tokenizer/make_corpus.mjs');
    process.exit(1);
  }
  console.log('corpus.jsonl is up to date');
} else {
  writeFileSync(outputPath, body);
  const bytes = Buffer.byteLength(body);
  const byGroup = new Map();
  for (const s of samples) {
    const group = s.tag.split('/')[0];
    const entry = byGroup.get(group) ?? { samples: 0, bytes: 0 };
    entry.samples += 1;
    entry.bytes += Buffer.byteLength(s.text);
    byGroup.set(group, entry);
  }
  console.log(`wrote ${outputPath}: ${samples.length} samples, ${(bytes / 1024).toFixed(1)} KiB`);
  for (const [group, e] of byGroup) console.log(`  ${group.padEnd(12)} ${String(e.samples).padStart(5)} samples ${(e.bytes / 1024).toFixed(1).padStart(8)} KiB of text`);
}
