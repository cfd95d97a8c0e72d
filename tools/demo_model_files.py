"""The files of Turbine's demo-model run, without torch: constants, tokenizer config and
goldens, README, safetensors checks, packing, and the dry run's stand-ins.

Used by tools/train_demo_model.py (see its docstring and tools/DEMO_MODEL.md). Nothing here
imports torch, transformers or tokenizers, so `train_demo_model.py --dry-run` exercises all
of it on a machine without them.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import math
import os
import random
import struct
import tarfile
import time

# ----------------------------------------------------------------------------- logging

T0 = time.monotonic()


# ----------------------------------------------------------------------------- constants

BOS, EOS, PAD, IM_START, IM_END = ("<|begin_of_text|>", "<|end_of_text|>", "<|pad|>",
                                  "<|im_start|>", "<|im_end|>")


SPECIAL_TOKENS = [BOS, EOS, PAD, IM_START, IM_END]  # ids 0..4, in this order


# Llama 3's pre-tokenizer pattern: contractions, letters with one leading non-letter, numbers of
# at most three digits, punctuation runs, newlines, other whitespace.
LLAMA3_SPLIT_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                        r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


# ChatML with a leading BOS; only {{ }}, for, if and string concatenation, so any Jinja
# subset renders it. The newlines are real newline characters inside the string literals.
CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}"
                 "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
                 "{% endfor %}"
                 "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


VOCAB_SIZE = 8192


CONTEXT = 1024


ROPE_THETA = 10000.0


RMS_NORM_EPS = 1e-5


PART_BYTES_DEFAULT = 15 * 1024 * 1024


MAX_OUT_FILES = 8


SIZE_LIMIT_BYTES = 45_000_000  # per model.safetensors


@dataclasses.dataclass
class ModelSpec:
    role: str          # "target" or "draft"
    name: str
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    lr: float
    batch_size: int    # sequences of CONTEXT tokens per step
    warmup_steps: int
    minutes: float     # training budget requested
    epochs: float      # stop after this many passes over the training tokens, whichever comes first
    dropout: float     # residual dropout while training (hooks; nothing of it is saved)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def param_count(self, vocab: int = VOCAB_SIZE) -> int:
        """Parameters of LlamaForCausalLM with tied embeddings (the embedding counted once)."""
        h, i, hd = self.hidden_size, self.intermediate_size, self.head_dim
        attn = h * self.num_attention_heads * hd * 2 + h * self.num_key_value_heads * hd * 2
        layer = attn + 3 * h * i + 2 * h
        return vocab * h + self.num_hidden_layers * layer + h


GOLDEN_PROMPTS = [
    "It is a truth universally acknowledged, that",
    "In the beginning God created the heaven and the earth.\nAnd",
    "Verse 1. Blessed is the man",
]


GOLDEN_STEPS = 32


SAMPLE_PROMPTS = [
    "It is a truth universally acknowledged, that",
    "Emma Woodhouse, handsome, clever, and rich,",
    "And it came to pass, when the king",
    "PATIENCE, n.",
]


SAMPLE_NEW_TOKENS = 64


SAMPLE_TEMPERATURE = 0.8


SAMPLE_TOP_P = 0.95


TOKENIZER_GOLDEN_STRINGS = [
    "",
    " ",
    "Hello, world!",
    "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
    "In the beginning God created the heaven and the earth.",
    "And God said, Let there be light: and there was light.",
    "\"My dear Mr. Bennet,\" said his lady to him one day, \"have you heard that Netherfield Park is let at last?\"",
    "Mr. Darcy's house; the Bennets' carriage; I'm sure you'll; we've; they'd; she's; don't; CAN'T; I'M",
    "PATIENCE, n. A minor form of despair, disguised as a virtue.",
    "Verse 1. Blessed is the man that walketh not in the counsel of the ungodly.",
    "1 2 12 123 1234 12345 1234567890",
    "3.14159 -42 +7 1,000,000 $9.99 50% 10:30pm 2024-01-31",
    "line one\nline two\n\nline four",
    "\n",
    "\n\n\n",
    "\r\n",
    "\ttab\tseparated\tvalues",
    "    four leading spaces",
    "trailing spaces   ",
    "many     inner      spaces",
    "a  b   c    d     e",
    "UPPER lower MiXeD cAsE",
    "hyphen-ated, dash -- and em\u2014dash",
    "quotes: 'single' \"double\" \u2018curly\u2019 \u201ccurly\u201d",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber sch\u00f6n",
    "e\u0301 (e + combining acute)",
    "\u0395\u03bd \u03b1\u03c1\u03c7\u03ae \u03b7\u03bd \u03bf \u03bb\u03cc\u03b3\u03bf\u03c2",
    "\u05d1\u05bc\u05b0\u05e8\u05b5\u05d0\u05e9\u05b4\u05c1\u05d9\u05ea",
    "\u4f60\u597d\uff0c\u4e16\u754c",
    "\u3053\u3093\u306b\u3061\u306f",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440",
    "emoji \U0001F680\U0001F525 and \U0001F468\u200d\U0001F469\u200d\U0001F467 family",
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "https://example.com/path?query=1&other=two#frag",
    "user@example.org",
    "<html><body>Hi</body></html>",
    "!!! ??? ... ;;; ::: ---",
    "(parenthesised) [bracketed] {braced}",
    "antidisestablishmentarianism",
    "supercalifragilisticexpialidocious",
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|im_start|>user\nHello<|im_end|>\n",
    "text before <|im_end|> text after",
    "<|pad|><|pad|>",
    "<|not_a_special|>",
    "\u00a0non-breaking\u00a0space",
    "zero\u200bwidth",
    "\u00bd \u00bc \u2153 \u2164 \u2460",
    "\u00ff\u00fe\u00fd byte-ish latin-1",
    "end.",
]


TOKENIZER_GOLDEN_CHATS = [
    ([{"role": "user", "content": "Who is Mr. Darcy?"}], True),
    ([{"role": "system", "content": "You are a helpful assistant."},
      {"role": "user", "content": "Tell me a fortune."},
      {"role": "assistant", "content": "You will be hungry again in one hour."}], False),
    ([{"role": "user", "content": "Hello!"},
      {"role": "assistant", "content": "Good day to you, sir."},
      {"role": "user", "content": "And what\nof the weather?"}], True),
]


class Tee(io.TextIOBase):
    """Writes to the terminal and to the run's log file, flushing every line."""

    def __init__(self, stream, log_file):
        self.stream, self.log_file = stream, log_file

    def write(self, s):
        self.stream.write(s)
        self.stream.flush()
        self.log_file.write(s)
        self.log_file.flush()
        return len(s)

    def flush(self):
        self.stream.flush()
        self.log_file.flush()

    @property
    def encoding(self):
        return getattr(self.stream, "encoding", "utf-8")

    def fileno(self):
        return self.stream.fileno()

    def isatty(self):
        return False


def log(msg: str = "") -> None:
    print(f"[{time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def elapsed() -> float:
    return time.monotonic() - T0


# ----------------------------------------------------------------------------- tokenizer files and goldens

def special_ids() -> dict[str, int]:
    return {t: i for i, t in enumerate(SPECIAL_TOKENS)}


def check_special_ids(tok) -> None:
    for t, i in special_ids().items():
        got = tok.token_to_id(t)
        if got != i:
            raise SystemExit(f"tokenizer: special token {t} has id {got}, expected {i}")


def tokenizer_config() -> dict:
    """tokenizer_config.json, written by hand so every transformers version reads the same thing."""
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "special": True} for t, i in special_ids().items()}
    return {
        "added_tokens_decoder": added,
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "additional_special_tokens": [IM_START, IM_END],
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": CONTEXT,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def write_json(path: str, obj, sort_keys: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False, sort_keys=sort_keys)
        f.write("\n")


def save_tokenizer(tok, directory: str, dry_run: bool) -> None:
    os.makedirs(directory, exist_ok=True)
    if dry_run:
        write_json(os.path.join(directory, "tokenizer.json"), {"dry_run": True, "model": {"type": "BPE"}})
    else:
        tok.save(os.path.join(directory, "tokenizer.json"))
    write_json(os.path.join(directory, "tokenizer_config.json"), tokenizer_config())


def render_chat(messages, add_generation_prompt: bool) -> str:
    """CHAT_TEMPLATE written out in Python: checks the Jinja rendering and serves the dry run."""
    out = BOS
    for m in messages:
        out += IM_START + m["role"] + "\n" + m["content"] + IM_END + "\n"
    if add_generation_prompt:
        out += IM_START + "assistant\n"
    return out


class FakeTokenizer:
    """Dry-run stand-in: ids are byte values shifted past the special tokens."""

    class _Enc:
        def __init__(self, ids, tokens):
            self.ids, self.tokens = ids, tokens

    def encode(self, text, add_special_tokens=True):
        ids = [len(SPECIAL_TOKENS) + b for b in text.encode("utf-8")]
        ids = ([0] if add_special_tokens else []) + ids
        return self._Enc(ids, [str(i) for i in ids])

    def encode_batch(self, texts, add_special_tokens=True):
        return [self.encode(t, add_special_tokens) for t in texts]

    def decode(self, ids, skip_special_tokens=True):
        n = len(SPECIAL_TOKENS)
        data = bytes(i - n for i in ids if i >= n)
        return data.decode("utf-8", errors="replace")

    def get_vocab_size(self):
        return VOCAB_SIZE


def tokenizer_goldens(tok, hf_tok, name: str, versions: dict) -> dict:
    """ids for TOKENIZER_GOLDEN_STRINGS and TOKENIZER_GOLDEN_CHATS, from tokenizer.json (the
    `tokenizers` library); where transformers' wrapper disagrees, the case records it."""
    cases, problems = [], []
    for s in TOKENIZER_GOLDEN_STRINGS:
        plain = tok.encode(s, add_special_tokens=False)
        with_special = tok.encode(s, add_special_tokens=True)
        case = {"text": s, "ids": list(plain.ids), "ids_with_special": list(with_special.ids),
                "tokens": list(plain.tokens)}
        decoded = tok.decode(list(plain.ids), skip_special_tokens=False)
        if decoded != s:
            case["decoded"] = decoded
            problems.append(f"round trip changed {s!r} into {decoded!r}")
        if hf_tok is not None:
            hf_plain = hf_tok(s, add_special_tokens=False)["input_ids"]
            hf_special = hf_tok(s, add_special_tokens=True)["input_ids"]
            if list(hf_plain) != case["ids"] or list(hf_special) != case["ids_with_special"]:
                case["transformers_ids"] = list(hf_plain)
                case["transformers_ids_with_special"] = list(hf_special)
                problems.append(f"transformers disagrees on {s!r}")
        cases.append(case)
    chats = []
    for messages, add_gen in TOKENIZER_GOLDEN_CHATS:
        rendered = render_chat(messages, add_gen)
        if hf_tok is not None:
            hf_rendered = hf_tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_gen)
            if hf_rendered != rendered:
                problems.append(f"chat template renders {hf_rendered!r}, expected {rendered!r}")
                rendered = hf_rendered
        chats.append({"messages": messages, "add_generation_prompt": add_gen, "rendered": rendered,
                      "ids": list(tok.encode(rendered, add_special_tokens=False).ids)})
    for p in problems:
        log(f"WARNING tokenizer goldens: {p}")
    return {"tokenizer": name, "tokenizers_version": versions.get("tokenizers"),
            "transformers_version": versions.get("transformers"),
            "special_tokens": special_ids(), "chat_template": CHAT_TEMPLATE,
            "notes": "ids: encode(text, add_special_tokens=False); ids_with_special: add_special_tokens=True "
                     "(prepends <|begin_of_text|>). Special tokens written in the text are matched as special tokens. "
                     "Chat ids: the rendered template encoded with add_special_tokens=False.",
            "problems": problems, "cases": cases, "chats": chats}


def encode_docs(tok, docs: list[tuple[str, str]], source_ids: list[str]):
    """Flat token stream: <|begin_of_text|> doc <|end_of_text|> ... and the source index of each token."""
    texts = [t for _, t in docs]
    enc = getattr(tok, "encode_batch_fast", None) or tok.encode_batch
    encs = enc(texts, add_special_tokens=True)
    ids, srcs = [], []
    src_index = {s: i for i, s in enumerate(source_ids)}
    for (src, _), e in zip(docs, encs):
        doc = list(e.ids) + [special_ids()[EOS]]
        ids.extend(doc)
        srcs.extend([src_index[src]] * len(doc))
    return ids, srcs


# ----------------------------------------------------------------------------- model files

def normalise_config_json(path: str, spec: ModelSpec, problems: list) -> dict:
    """Whatever the transformers version wrote, keep the keys every loader knows.

    Runs after training, so it records disagreements in `problems` (printed and kept in
    metrics.json) instead of stopping: the trained weights must still come back."""
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)
    rope = cfg.get("rope_parameters") or {}
    cfg.setdefault("rope_theta", rope.get("rope_theta", ROPE_THETA))
    cfg.setdefault("torch_dtype", "bfloat16")
    cfg.setdefault("head_dim", spec.head_dim)
    want = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": spec.hidden_size,
            "intermediate_size": spec.intermediate_size, "num_hidden_layers": spec.num_hidden_layers,
            "num_attention_heads": spec.num_attention_heads, "num_key_value_heads": spec.num_key_value_heads,
            "max_position_embeddings": CONTEXT, "tie_word_embeddings": True, "rope_theta": ROPE_THETA,
            "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 2, "hidden_act": "silu",
            "rms_norm_eps": RMS_NORM_EPS, "head_dim": spec.head_dim}
    for k, v in want.items():
        if k not in cfg:
            cfg[k] = v
        elif cfg[k] != v:
            problems.append(f"{path}: {k} is {cfg[k]!r}, expected {v!r}")
    if cfg.get("rope_scaling") not in (None, {}):
        problems.append(f"{path}: unexpected rope_scaling {cfg['rope_scaling']!r}")
    write_json(path, cfg, sort_keys=True)
    return cfg


def generation_config(versions_: dict) -> dict:
    return {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 2,
            "transformers_version": versions_.get("transformers") or "dry-run"}


def read_safetensors_header(path: str) -> dict:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def check_safetensors(path: str, spec: ModelSpec, vocab: int, dry_run: bool, problems: list) -> dict:
    size = os.path.getsize(path)
    header = read_safetensors_header(path)
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    dtypes = sorted({v["dtype"] for v in tensors.values()})
    n = sum(math.prod(v["shape"]) for v in tensors.values())
    info = {"bytes": size, "tensors": len(tensors), "dtypes": dtypes, "parameters": n}
    if dtypes != ["BF16"]:
        problems.append(f"{path}: dtypes {dtypes}, expected only BF16")
    if not dry_run:
        if n != spec.param_count(vocab):
            problems.append(f"{path}: {n} parameters stored, expected {spec.param_count(vocab)} (tied lm_head?)")
        if "lm_head.weight" in tensors:
            problems.append(f"{path}: lm_head.weight stored although the embeddings are tied")
    if size > SIZE_LIMIT_BYTES:
        problems.append(f"{path}: {size / 1e6:.1f} MB is over the {SIZE_LIMIT_BYTES / 1e6:.0f} MB limit")
    return info


def write_fake_safetensors(path: str, nbytes: int, seed: int) -> None:
    """Dry run: a valid safetensors file of one BF16 tensor filled with pseudo-random bytes."""
    n = max(2, int(nbytes) // 2 * 2)
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "model.embed_tokens.weight": {"dtype": "BF16", "shape": [n // 2],
                                                       "data_offsets": [0, n]}}).encode()
    header += b" " * (-len(header) % 8)
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(rng.randbytes(n))


# ----------------------------------------------------------------------------- README

def fmt_params(n: int) -> str:
    return f"{n / 1e6:.2f}M"


def model_readme(spec: ModelSpec, m: dict, partner: str, corpus: dict, tok_info: dict, samples: list[dict],
                 versions_: dict, device_name: str, golden_name: str) -> str:
    a = m["architecture"]
    t = m["training"]
    role_line = ("the **target** model of the pair; its draft for speculative decoding is "
                 f"`{partner}`" if spec.role == "target" else
                 f"the **draft** model of the pair, for speculative decoding with `{partner}`")
    src = corpus["sources"]
    L = []
    L += [f"# {spec.name}", "",
          f"A small Llama-architecture language model made for testing and demonstrating Turbine. It is "
          f"{role_line}; both share one tokenizer. It writes English in the style of its corpus: Jane Austen, "
          f"two Bible translations, three 19th-century Bible commentaries, Bierce's Devil's Dictionary and "
          f"fortune cookies. It is not instruction-tuned, it knows little, and what it states is not to be "
          f"trusted; it exists so that Turbine has a real model, small enough to commit, with outputs that "
          f"can be checked against Hugging Face transformers.", "",
          "## Architecture", "",
          "| | |", "|---|---|",
          "| architecture | `LlamaForCausalLM` |",
          f"| parameters | {m['parameters']:,} ({fmt_params(m['parameters'])}; embedding {a['vocab_size'] * a['hidden_size']:,}, tied with the output layer) |",
          f"| hidden size | {a['hidden_size']} |",
          f"| layers | {a['num_hidden_layers']} |",
          f"| attention heads / KV heads | {a['num_attention_heads']} / {a['num_key_value_heads']} (head dim {a['head_dim']}) |",
          f"| MLP (SwiGLU) intermediate size | {a['intermediate_size']} |",
          f"| vocabulary | {a['vocab_size']} (byte-level BPE) |",
          f"| context | {a['max_position_embeddings']} tokens, RoPE theta {a['rope_theta']:g} |",
          f"| RMSNorm epsilon | {a['rms_norm_eps']:g} |",
          "| weights on disk | `model.safetensors`, BF16 |", ""]
    L += ["## Results", "",
          f"Validation loss (mean token cross-entropy, nats, on {m.get('val_tokens') or 0:,} held-out tokens): "
          f"**{m['val_loss']:.4f}** (perplexity {math.exp(m['val_loss']):.1f}), from the weights of step "
          f"{m['best_step']} of {t['steps']}; the last step's validation loss was {m['final_val_loss']:.4f}. "
          f"Training loss at the end: {m['final_train_loss']:.4f}.", ""]
    if m.get("val_loss_per_source"):
        titles = {s["id"]: s["title"] for s in src["sources"]}
        L += ["| validation source | loss |", "|---|---:|"]
        for sid, v in m["val_loss_per_source"].items():
            L.append(f"| {titles.get(sid, sid)} | {v:.4f} |")
        L.append("")
    L += ["## Samples", "",
          f"From the weights as saved, reloaded in float32 on the CPU with transformers. Greedy, and sampled with "
          f"temperature {SAMPLE_TEMPERATURE}, top-p {SAMPLE_TOP_P} (no top-k), seed {m['training']['seed']}; "
          f"{SAMPLE_NEW_TOKENS} new tokens at most.", ""]
    for s in samples:
        L += [f"**Prompt:** `{s['prompt']}`", "",
              "*Greedy:*", "", quote_block(s["prompt"] + s["greedy"]), "",
              "*Sampled:*", "", quote_block(s["prompt"] + s["sampled"]), ""]
    L += ["## Training", "",
          f"- corpus: {src['total_bytes'] / 1e6:.1f} MB of text from Debian packages (below); "
          f"{corpus['train_tokens']:,} training tokens, {corpus['val_tokens']:,} validation tokens "
          f"(about 1% of the documents, chosen by a hash of each document's key; a Bible chapter held out in one "
          f"translation is held out in both)",
          f"- {t['steps']:,} steps of {t['batch_size']} x {t['seq_len']} tokens: {t['tokens_seen']:,} tokens seen "
          f"({t['epochs']} passes over the training split; the run stops at {t['max_epochs']:g} passes or "
          f"{t['budget_seconds']:.0f} s, and here the {'passes' if t['stopped_by'] == 'epochs' else 'time'} ran out first) "
          f"in {t['train_seconds']:.0f} s on {device_name} ({t['tokens_per_second']:,} tokens/s)",
          f"- AdamW (betas 0.9, 0.95; weight decay {t['weight_decay']} on matrices), peak learning rate {t['peak_lr']:g}, "
          f"{t['warmup_steps']} warm-up steps, cosine to {t['min_lr_ratio']:g} x peak over the run, "
          f"gradient clipping at {t['grad_clip']}; "
          + (f"residual dropout {t['dropout']:g} on the attention and MLP outputs" if t['dropout'] else "no dropout"),
          f"- {t['precision']}; documents framed as `<|begin_of_text|>` text `<|end_of_text|>` and packed, "
          f"windows of {t['seq_len']} tokens sampled at random offsets",
          "- validation every tenth of the run; the best weights kept",
          f"- seed {t['seed']}; torch {versions_.get('torch')}, transformers {versions_.get('transformers')}, "
          f"tokenizers {versions_.get('tokenizers')}",
          "- made by `tools/train_demo_model.py` from the corpus of `tools/prepare_demo_corpus.sh` "
          "(see `tools/DEMO_MODEL.md`)", ""]
    L += ["## Tokenizer", "",
          f"Byte-level BPE with {tok_info['vocab_size']} tokens, trained with the `tokenizers` library on the "
          f"training split ({tok_info.get('bytes_per_token', 0):.2f} bytes per token on it). Pre-tokenizer: "
          f"Llama 3's split pattern, then the GPT-2 byte-to-unicode mapping; decoder: byte-level. "
          f"`<|begin_of_text|>` is prepended when encoding with special tokens.", "",
          "Special tokens:", "",
          "- 0 `<|begin_of_text|>`: BOS, starts every document",
          "- 1 `<|end_of_text|>`: EOS, ends every document",
          "- 2 `<|pad|>`: padding",
          "- 3 `<|im_start|>` and 4 `<|im_end|>`: the chat template", "",
          "The chat template in `tokenizer_config.json` is ChatML with a leading BOS (as a JSON string):", "",
          "```json", json.dumps(CHAT_TEMPLATE), "```", "",
          "The model never saw it in training, so a chat reply is just continued text.", ""]
    L += ["## Golden outputs", "",
          f"`{golden_name}` (in Turbine's golden tests) holds, for {len(GOLDEN_PROMPTS)} prompts, {GOLDEN_STEPS} greedy tokens "
          "and the top-5 log-probabilities at each step, computed by transformers from these BF16 weights in "
          "float32 on the CPU with eager attention, without stopping at EOS.", ""]
    L += ["## Training data and licences", "",
          "Every text comes from a Debian 12 package whose copyright file allows it; `SOURCES.md` next to the "
          "weights lists package versions, .deb checksums, processing and the licence text quoted from each "
          "copyright file.", "",
          "| source | package | licence | size |", "|---|---|---|---:|"]
    for s in src["sources"]:
        pk = ", ".join(f"`{p['name']}` {p['version']}" for p in s["packages"])
        L.append(f"| {s['title']} | {pk} | {s['licence']} | {s['bytes'] / 1e6:.2f} MB |")
    L += ["", "The MIT and BSD notices of `r-cran-janeaustenr` and `fortunes` are reproduced in `SOURCES.md`.", ""]
    return "\n".join(L)


def quote_block(text: str) -> str:
    lines = text.strip("\n").split("\n")
    return "\n".join("> " + line if line else ">" for line in lines)


# ----------------------------------------------------------------------------- packing

def pack(work: str, members: list[str], out_dir: str, stem: str, part_bytes: int) -> list[str]:
    """tar.gz of `members` (paths relative to work), split into parts; checks the parts join back."""
    for f in os.listdir(out_dir):
        if f.startswith(stem + ".tar.gz"):
            os.remove(os.path.join(out_dir, f))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for m in members:
                tar.add(os.path.join(work, m), arcname=m, recursive=True, filter=_tar_filter)
    data = buf.getvalue()
    parts = []
    for i in range(0, max(1, len(data)), part_bytes):
        name = f"{stem}.tar.gz.part{len(parts):02d}"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data[i:i + part_bytes])
        parts.append(name)
    joined = b"".join(open(os.path.join(out_dir, p), "rb").read() for p in parts)
    if joined != data:
        raise SystemExit("packing: the parts do not join back into the tarball")
    with tarfile.open(fileobj=io.BytesIO(joined), mode="r:gz") as tar:
        names = tar.getnames()
    n_files = len([f for f in os.listdir(out_dir) if os.path.isfile(os.path.join(out_dir, f))])
    if n_files > MAX_OUT_FILES:
        raise SystemExit(f"packing: {n_files} files in {out_dir}, at most {MAX_OUT_FILES} come back")
    log(f"packed {len(names)} entries, {len(data) / 2**20:.1f} MiB, sha256 {hashlib.sha256(data).hexdigest()[:16]}..., "
        f"into {', '.join(parts)}")
    return parts


def _tar_filter(ti: tarfile.TarInfo) -> tarfile.TarInfo:
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.mtime = 0
    ti.mode = 0o755 if ti.isdir() else 0o644
    return ti


def pack_small(work: str, member: str, out_path: str) -> None:
    with tarfile.open(out_path, "w:gz") as tar:
        tar.add(os.path.join(work, member), arcname=member, filter=_tar_filter)


# ----------------------------------------------------------------------------- dry-run stand-ins

def fake_metrics(spec: ModelSpec, budget: float, args, corpus) -> dict:
    steps = int(budget * 10)
    tokens = steps * spec.batch_size * CONTEXT
    return {
        "name": spec.name, "role": spec.role, "parameters": spec.param_count(args.vocab_size),
        "architecture": {"hidden_size": spec.hidden_size, "intermediate_size": spec.intermediate_size,
                         "num_hidden_layers": spec.num_hidden_layers, "num_attention_heads": spec.num_attention_heads,
                         "num_key_value_heads": spec.num_key_value_heads, "head_dim": spec.head_dim,
                         "vocab_size": args.vocab_size, "max_position_embeddings": CONTEXT, "rope_theta": ROPE_THETA,
                         "rms_norm_eps": RMS_NORM_EPS, "tie_word_embeddings": True},
        "training": {"budget_seconds": budget, "train_seconds": budget, "eval_seconds": 1.0, "steps": steps,
                     "tokens_seen": tokens, "tokens_per_second": int(tokens / budget),
                     "epochs": round(tokens / corpus["train_tokens"], 2), "max_epochs": spec.epochs,
                     "stopped_by": "time", "dropout": spec.dropout, "batch_size": spec.batch_size,
                     "seq_len": CONTEXT, "peak_lr": spec.lr, "min_lr_ratio": args.min_lr_ratio,
                     "warmup_steps": spec.warmup_steps, "weight_decay": args.weight_decay, "betas": [0.9, 0.95],
                     "grad_clip": 1.0, "precision": "bf16 autocast, fp32 master weights", "compile": False,
                     "seed": args.seed},
        "final_train_loss": 3.1, "final_val_loss": 3.3, "val_loss": 3.25, "best_step": steps - 10,
        "val_tokens": corpus["val_tokens"],
        "val_loss_per_source": {s: 3.0 + 0.1 * i for i, s in enumerate(corpus["source_ids"])},
        "history": [], "evals": [],
    }


def fake_config(spec: ModelSpec, vocab: int) -> dict:
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": spec.hidden_size,
            "intermediate_size": spec.intermediate_size, "num_hidden_layers": spec.num_hidden_layers,
            "num_attention_heads": spec.num_attention_heads, "num_key_value_heads": spec.num_key_value_heads,
            "max_position_embeddings": CONTEXT, "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 1,
            "pad_token_id": 2, "hidden_act": "silu", "rms_norm_eps": RMS_NORM_EPS, "vocab_size": vocab,
            "rope_parameters": {"rope_type": "default", "rope_theta": ROPE_THETA}, "dtype": "bfloat16"}


def fake_golden_cases(prompts_ids):
    rng = random.Random(0)
    cases = []
    for p in prompts_ids:
        g = [rng.randrange(5, VOCAB_SIZE) for _ in range(GOLDEN_STEPS)]
        tops = [[[x, -0.5]] + [[rng.randrange(5, VOCAB_SIZE), -2.0 - k] for k in range(4)] for x in g]
        cases.append({"prompt_ids": p, "greedy_ids": g, "top_logprobs": tops})
    return cases


def check_chat_template_with_jinja() -> None:
    """Dry run: where jinja2 is installed, check CHAT_TEMPLATE renders like render_chat()."""
    try:
        import jinja2
    except ImportError:
        log("jinja2 not installed; chat template not rendered")
        return
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)  # as transformers configures it
    tmpl = env.from_string(CHAT_TEMPLATE)
    for messages, add_gen in TOKENIZER_GOLDEN_CHATS:
        got = tmpl.render(messages=messages, add_generation_prompt=add_gen, bos_token=BOS, eos_token=EOS)
        want = render_chat(messages, add_gen)
        if got != want:
            raise SystemExit(f"chat template renders {got!r}, expected {want!r}")
    log("chat template renders as expected with jinja2")
