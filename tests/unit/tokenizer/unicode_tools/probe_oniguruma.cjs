// node probe_oniguruma.cjs CODE_POINTS.json OUT.json
// For each code point in the input list, finds its general category as the reference tokenizers
// library sees it (its regexes run on Oniguruma): a Split pre-tokenizer on \p{Xx} with behavior
// Removed leaves nothing of a one-character text exactly when the character is in Xx.
// Writes {code point: category} for the code points in some category.
const path = require('path');
const fs = require('fs');
const root = path.resolve(__dirname, '../../../..');
const {Tokenizer} = require(path.join(root, 'tests/js/node_modules/tokenizers'));

const categories = ['Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Mn', 'Mc', 'Me', 'Nd', 'Nl', 'No', 'Pc', 'Pd',
                    'Ps', 'Pe', 'Pi', 'Pf', 'Po', 'Sm', 'Sc', 'Sk', 'So', 'Zs', 'Zl', 'Zp', 'Cc',
                    'Cf', 'Co'];
// A minimal byte-level BPE: every byte is a token, so any text encodes to at least one id.
function probeTokenizer(category) {
  const vocab = {};
  for (let b = 0; b < 256; b++) vocab[`<${b}>`] = b;
  return Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: {type: 'Split', pattern: {Regex: `\\p{${category}}`}, behavior: 'Removed', invert: false},
    post_processor: null, decoder: null,
    model: {type: 'BPE', dropout: null, unk_token: '<0>', continuing_subword_prefix: null,
            end_of_word_suffix: null, fuse_unk: true, byte_fallback: false, vocab, merges: []},
  }));
}

(async () => {
  const codePoints = JSON.parse(fs.readFileSync(process.argv[2]));
  const texts = codePoints.map((c) => String.fromCodePoint(c));
  const result = {};
  for (const category of categories) {
    const tokenizer = probeTokenizer(category);
    const encodings = await tokenizer.encodeBatch(texts, {addSpecialTokens: false});
    encodings.forEach((e, i) => {
      if (e.getIds().length === 0) result[codePoints[i]] = category;
    });
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(result));
  console.error(`${Object.keys(result).length} of ${codePoints.length} code points are assigned`);
})();
