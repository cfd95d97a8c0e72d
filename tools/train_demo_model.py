#!/usr/bin/env python3
"""Train Turbine's demo models: a byte-level BPE tokenizer and two small Llama models on it.

Runs on a GPU machine with torch, transformers and tokenizers installed and no network. It
reads the corpus made by tools/prepare_demo_corpus.sh and writes, for the lead to commit:

    models/turbine-demo-20m/   target, ~20M parameters   } Hugging Face layout: config.json,
    models/turbine-demo-3m/    draft, ~3M parameters     } model.safetensors (BF16), tokenizer.json,
                                                            tokenizer_config.json, generation_config.json,
                                                            README.md, SOURCES.md
    golden/turbine-demo-20m.golden.json   greedy ids and top-5 logprobs (transformers, CPU, float32)
    golden/turbine-demo-3m.golden.json
    golden/turbine-demo.tokenizer_goldens.json   ids for ~50 strings and 3 chat conversations
    training/metrics.json, training/train_log.txt

all packed into $OUT/turbine-demo-<what>.tar.gz.partNN (parts under 15 MiB; join with cat), plus
$OUT/turbine-demo-tokenizer.tar.gz (tokenizer only), $OUT/metrics.json and $OUT/train_log.txt.
See tools/DEMO_MODEL.md for the commands.

Shape of the run, and why:
- One wall-clock deadline for the whole process (--deadline-minutes); each model's training
  budget shrinks to fit what is left, so a 10-minute command limit is never crossed. The
  results are packed after every model, so a later failure still returns what was finished.
- A run ends at an epoch cap or its time budget, whichever comes first, and the learning
  rate's cosine follows that same progress, so it anneals fully either way. The corpus is
  small (7.6M tokens): without regularisation the target overfits after ~5 passes (its
  validation loss rose from 3.57 to 5.76 over 29 passes), so the target trains 16 passes with
  residual dropout 0.2 (3.32). The validation loss is measured every tenth of the run and
  the best weights are kept.
- Golden outputs come from the weights as saved (BF16), reloaded in float32 on the CPU with
  eager attention, with a plain greedy loop over raw logits: no logits processors, no EOS
  handling, so greedy_ids[i] is exactly the argmax that the top-5 list starts with.
- torch, transformers and tokenizers are imported inside functions, and everything that
  needs none of them lives in tools/demo_model_files.py: --dry-run exercises it all (corpus
  reading, metadata, README, golden/tokenizer JSON layout, packing) on a machine without
  them, and --cpu-selftest runs the training loop on a stand-in model with any torch.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import traceback

from demo_model_files import (  # noqa: E402 - tools/ is on sys.path when this script runs
    BOS, EOS, PAD, SPECIAL_TOKENS, CONTEXT, ROPE_THETA, RMS_NORM_EPS, VOCAB_SIZE,
    PART_BYTES_DEFAULT, GOLDEN_PROMPTS, GOLDEN_STEPS, SAMPLE_PROMPTS, SAMPLE_NEW_TOKENS,
    SAMPLE_TEMPERATURE, SAMPLE_TOP_P, LLAMA3_SPLIT_PATTERN, ModelSpec, Tee, log, elapsed,
    special_ids, check_special_ids, save_tokenizer, FakeTokenizer, tokenizer_goldens, encode_docs,
    write_json, normalise_config_json, generation_config, check_safetensors, write_fake_safetensors,
    fmt_params, model_readme, pack, pack_small, fake_metrics, fake_config, fake_golden_cases,
    check_chat_template_with_jinja,
)


# ----------------------------------------------------------------------------- model sizes


def model_specs(args) -> dict[str, ModelSpec]:
    return {
        "target": ModelSpec("target", args.target_name, hidden_size=384, intermediate_size=1536,
                            num_hidden_layers=8, num_attention_heads=6, num_key_value_heads=2,
                            lr=args.lr_target, batch_size=args.batch_size, warmup_steps=150,
                            minutes=args.minutes_target, epochs=args.epochs_target, dropout=args.dropout_target),
        "draft": ModelSpec("draft", args.draft_name, hidden_size=192, intermediate_size=512,
                           num_hidden_layers=4, num_attention_heads=3, num_key_value_heads=1,
                           lr=args.lr_draft, batch_size=args.batch_size, warmup_steps=100,
                           minutes=args.minutes_draft, epochs=args.epochs_draft, dropout=args.dropout_draft),
    }


# ----------------------------------------------------------------------------- arguments

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="See tools/DEMO_MODEL.md.")
    ap.add_argument("--corpus", required=True, help="directory from prepare_demo_corpus.sh (train.jsonl.gz, val.jsonl.gz, sources.json, SOURCES.md)")
    ap.add_argument("--out-dir", default=os.environ.get("OUT"), help="where the tarball parts, log and metrics go (default: $OUT)")
    ap.add_argument("--work-dir", default=os.path.join(tempfile.gettempdir(), "turbine_demo_train"), help="scratch directory (emptied first)")
    ap.add_argument("--only", choices=["both", "target", "draft"], default="both", help="which models to train in this call")
    ap.add_argument("--tokenizer-from", help="directory with tokenizer.json from an earlier call (skips tokenizer training)")
    ap.add_argument("--minutes-target", type=float, default=4.0, help="training time budget of the target model")
    ap.add_argument("--minutes-draft", type=float, default=1.5, help="training time budget of the draft model")
    ap.add_argument("--epochs-target", type=float, default=16.0, help="the target stops after this many passes over the training split (or its time budget)")
    ap.add_argument("--epochs-draft", type=float, default=16.0, help="the same for the draft")
    ap.add_argument("--dropout-target", type=float, default=0.2, help="residual dropout (attention and MLP outputs) while training the target")
    ap.add_argument("--dropout-draft", type=float, default=0.0, help="the same for the draft")
    ap.add_argument("--deadline-minutes", type=float, default=9.25, help="hard limit for the whole process; budgets shrink to fit")
    ap.add_argument("--reserve-seconds", type=float, default=45.0, help="time kept per model for saving, goldens, samples and packing")
    ap.add_argument("--batch-size", type=int, default=64, help=f"sequences of {CONTEXT} tokens per step")
    ap.add_argument("--lr-target", type=float, default=1.5e-3)
    ap.add_argument("--lr-draft", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1, help="the cosine ends at this fraction of the peak learning rate")
    ap.add_argument("--evals", type=int, default=10, help="validation passes per model (the best weights are kept)")
    ap.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    ap.add_argument("--target-name", default="turbine-demo-20m")
    ap.add_argument("--draft-name", default="turbine-demo-3m")
    ap.add_argument("--tokenizer-name", default="turbine-demo")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--compile", action="store_true", help="torch.compile the training forward (off: compile time counts against the budget)")
    ap.add_argument("--min-free-gib", type=float, default=16.0, help="stop unless the GPU has this much free memory")
    ap.add_argument("--part-mib", type=float, default=PART_BYTES_DEFAULT / 2**20, help="split the tarball into parts of this size")
    ap.add_argument("--dry-run", action="store_true", help="no torch/tokenizers: fake tokenizer, fake numbers, real files and packing")
    ap.add_argument("--dry-run-fake-mb", type=float, default=2.0, help="size of the fake model.safetensors in a dry run")
    ap.add_argument("--cpu-selftest", action="store_true", help="with torch but without transformers: run the training loop on a tiny stand-in model on the CPU")
    args = ap.parse_args(argv)
    if not args.out_dir:
        ap.error("--out-dir is required (or set $OUT)")
    if args.tokenizer_from and not os.path.isfile(os.path.join(args.tokenizer_from, "tokenizer.json")):
        ap.error(f"--tokenizer-from {args.tokenizer_from}: no tokenizer.json there")
    return args


# ----------------------------------------------------------------------------- corpus

def load_corpus(corpus_dir: str) -> dict:
    need = ["train.jsonl.gz", "val.jsonl.gz", "sources.json", "SOURCES.md"]
    missing = [n for n in need if not os.path.isfile(os.path.join(corpus_dir, n))]
    if missing:
        raise SystemExit(f"corpus {corpus_dir}: missing {missing}; run tools/prepare_demo_corpus.sh first")
    out = {}
    for split in ("train", "val"):
        docs = []
        with gzip.open(os.path.join(corpus_dir, f"{split}.jsonl.gz"), "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                d = json.loads(line)
                if not isinstance(d.get("text"), str) or not isinstance(d.get("source"), str):
                    raise SystemExit(f"{split}.jsonl.gz line {n}: expected {{source, text}}")
                docs.append((d["source"], d["text"]))
        out[split] = docs
    with open(os.path.join(corpus_dir, "sources.json"), encoding="utf-8") as f:
        out["sources"] = json.load(f)
    with open(os.path.join(corpus_dir, "SOURCES.md"), encoding="utf-8") as f:
        out["sources_md"] = f.read()
    if not out["train"] or not out["val"]:
        raise SystemExit("corpus: empty train or validation split")
    src_ids = [s["id"] for s in out["sources"]["sources"]]
    unknown = {s for s, _ in out["train"] + out["val"]} - set(src_ids)
    if unknown:
        raise SystemExit(f"corpus: documents from sources not in sources.json: {sorted(unknown)}")
    out["source_ids"] = src_ids
    for split in ("train", "val"):
        nbytes = sum(len(t.encode("utf-8")) for _, t in out[split])
        log(f"corpus {split}: {len(out[split])} documents, {nbytes / 1e6:.2f} MB")
    return out


# ----------------------------------------------------------------------------- tokenizer


def train_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())  # no unk token: every byte is in the alphabet
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS}:1 $B:1", special_tokens=[(BOS, 0)])
    check_special_ids(tok)
    return tok


def check_tokenizer_with_transformers(directory: str, tok):
    """Load the saved files the way users will and check the wrapper matches tokenizer.json."""
    from transformers import AutoTokenizer

    hf_tok = AutoTokenizer.from_pretrained(directory)
    for attr, want in (("bos_token_id", 0), ("eos_token_id", 1), ("pad_token_id", 2)):
        got = getattr(hf_tok, attr)
        if got != want:
            raise SystemExit(f"transformers loads {attr}={got}, expected {want}")
    text = "It is a truth universally acknowledged."
    if list(hf_tok(text)["input_ids"]) != list(tok.encode(text).ids):
        raise SystemExit("transformers' tokenizer disagrees with tokenizer.json on a plain sentence")
    log(f"tokenizer loads with transformers as {type(hf_tok).__name__}")
    return hf_tok


# ----------------------------------------------------------------------------- training (torch)

def versions() -> dict:
    v = {"python": platform.python_version()}
    for mod in ("torch", "transformers", "tokenizers"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError:
            v[mod] = None
    return v


def dtype_kwarg() -> str:
    """transformers renamed from_pretrained's torch_dtype to dtype in 4.56."""
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def build_llama(spec: ModelSpec, vocab: int):
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    ids = special_ids()
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers, num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads, max_position_embeddings=CONTEXT,
        rms_norm_eps=RMS_NORM_EPS, hidden_act="silu", initializer_range=0.02,
        tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
        bos_token_id=ids[BOS], eos_token_id=ids[EOS], pad_token_id=ids[PAD], use_cache=True)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", **{dtype_kwarg(): torch.float32})
    cfg_theta = getattr(config, "rope_theta", None) or (getattr(config, "rope_parameters", None) or {}).get("rope_theta")
    if cfg_theta is not None and float(cfg_theta) != ROPE_THETA:
        raise SystemExit(f"LlamaConfig's default rope theta is {cfg_theta}, expected {ROPE_THETA}")
    return model


class TinyStandIn:
    """--cpu-selftest only: a torch module with the call signature of LlamaForCausalLM."""

    @staticmethod
    def make(spec: ModelSpec, vocab: int):
        import torch

        class Out:
            def __init__(self, logits):
                self.logits = logits

        class M(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = torch.nn.Embedding(vocab, spec.hidden_size)
                self.mix = torch.nn.Linear(spec.hidden_size, spec.hidden_size)
                self.scale = torch.nn.Parameter(torch.ones(spec.hidden_size))

            def forward(self, input_ids=None, use_cache=False):
                h = self.emb(input_ids).float()
                # causal running mean, so the model can use the past a little
                h = h.cumsum(1) / torch.arange(1, h.shape[1] + 1, device=h.device)[None, :, None]
                h = torch.nn.functional.gelu(self.mix(h)).float()
                h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-5) * self.scale
                return Out(h @ self.emb.weight.t())

        return M()


def add_residual_dropout(model, p: float) -> list:
    """Dropout on each layer's attention and MLP outputs (GPT-2's residual dropout), only in
    training mode. Forward hooks, so the saved model and its config know nothing of it."""
    import torch.nn.functional as F

    def hook(module, inputs, output):
        if not module.training:
            return output
        if isinstance(output, tuple):  # attention returns (output, weights)
            return (F.dropout(output[0], p, True),) + tuple(output[1:])
        return F.dropout(output, p, True)

    handles = []
    for layer in model.model.layers:
        handles.append(layer.self_attn.register_forward_hook(hook))
        handles.append(layer.mlp.register_forward_hook(hook))
    return handles


def lr_at(step: int, progress: float, spec: ModelSpec, min_ratio: float) -> float:
    warm = min(1.0, (step + 1) / spec.warmup_steps)
    p = min(max(progress, 0.0), 1.0)
    cos = min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * p))
    return spec.lr * warm * cos


def evaluate(model, val_ids, val_src, n_sources: int, batch_size: int, device: str, autocast_dtype):
    """Mean cross-entropy over non-overlapping CONTEXT windows of the validation stream, and per source."""
    import torch
    import torch.nn.functional as F

    n_win = (val_ids.numel() - 1) // CONTEXT
    if n_win < 1:
        raise SystemExit("validation split shorter than one context window")
    x_all = val_ids[: n_win * CONTEXT].view(n_win, CONTEXT)
    y_all = val_ids[1: n_win * CONTEXT + 1].view(n_win, CONTEXT)
    s_all = val_src[1: n_win * CONTEXT + 1].view(n_win, CONTEXT)
    loss_sum = torch.zeros(n_sources, dtype=torch.float64, device=device)
    count = torch.zeros(n_sources, dtype=torch.float64, device=device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, n_win, batch_size):
            x, y, s = x_all[i:i + batch_size], y_all[i:i + batch_size], s_all[i:i + batch_size]
            with torch.autocast(device_type=device.split(":")[0], dtype=autocast_dtype):
                logits = model(input_ids=x, use_cache=False).logits
            ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
            loss_sum.index_add_(0, s.reshape(-1), ce.double())
            count.index_add_(0, s.reshape(-1), torch.ones_like(ce, dtype=torch.float64))
    if was_training:
        model.train()
    total = (loss_sum.sum() / count.sum()).item()
    per = {i: (loss_sum[i] / count[i]).item() for i in range(n_sources) if count[i] > 0}
    return total, per, int(count.sum().item())


def train_one(spec: ModelSpec, budget_s: float, data: dict, args, device: str, stand_in: bool = False):
    """Train one model for budget_s seconds of training time; return (model, metrics)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    vocab = args.vocab_size
    model = TinyStandIn.make(spec, vocab) if stand_in else build_llama(spec, vocab)
    model.to(device)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    if not stand_in and n_params != spec.param_count(vocab):
        raise SystemExit(f"{spec.name}: {n_params} parameters, formula says {spec.param_count(vocab)}")
    hooks = add_residual_dropout(model, spec.dropout) if spec.dropout > 0 and not stand_in else []
    log(f"{spec.name}: {n_params / 1e6:.2f}M parameters (embedding {vocab * spec.hidden_size / 1e6:.2f}M, tied); "
        f"budget {budget_s:.0f}s or {spec.epochs:g} epochs, batch {spec.batch_size}x{CONTEXT}, lr {spec.lr}, "
        f"dropout {spec.dropout:g}")

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt_kwargs = dict(lr=spec.lr, betas=(0.9, 0.95), eps=1e-8)
    if device.startswith("cuda"):
        opt_kwargs["fused"] = True
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], **opt_kwargs)
    fwd = torch.compile(model) if args.compile else model
    autocast_dtype = torch.bfloat16

    train_ids, val_ids, val_src = data["train_ids"], data["val_ids"], data["val_src"]
    n_train = train_ids.numel()
    max_tokens = spec.epochs * n_train
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    offsets = torch.arange(CONTEXT + 1, device=device)
    B = spec.batch_size

    history, evals = [], []
    best = {"val_loss": float("inf"), "state": None, "step": 0}
    eval_every = 1.0 / max(1, args.evals)  # in units of progress
    next_eval = eval_every
    eval_time = 0.0
    step, tokens = 0, 0
    loss_acc = torch.zeros((), device=device)
    loss_n = 0
    t_start = time.monotonic()
    last_log = t_start

    def run_eval(tag):
        nonlocal eval_time
        t = time.monotonic()
        vl, per, ntok = evaluate(model, val_ids, val_src, len(data["source_ids"]), 32, device, autocast_dtype)
        eval_time += time.monotonic() - t
        evals.append({"step": step, "tokens": tokens, "train_seconds": round(train_seconds(), 2), "val_loss": vl})
        mark = ""
        if vl < best["val_loss"]:
            best.update(val_loss=vl, step=step, per_source=per, val_tokens=ntok,
                        state={k: v.detach().clone() for k, v in model.state_dict().items()})
            mark = " (best)"
        log(f"{spec.name}: eval {tag} step {step}: val loss {vl:.4f}{mark}")

    def train_seconds():
        return time.monotonic() - t_start - eval_time

    def progress():
        # Whichever runs out first, the time budget or the epochs, ends the cosine.
        return max(train_seconds() / budget_s, tokens / max_tokens)

    while True:
        p = progress()
        if p >= 1.0:
            break
        lr = lr_at(step, p, spec, args.min_lr_ratio)
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, n_train - CONTEXT - 1, (B,), device=device, generator=gen)
        seq = train_ids[starts[:, None] + offsets[None, :]]
        x, y = seq[:, :-1], seq[:, 1:]
        with torch.autocast(device_type=device.split(":")[0], dtype=autocast_dtype):
            logits = fwd(input_ids=x, use_cache=False).logits
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss_acc += loss.detach()
        loss_n += 1
        step += 1
        tokens += B * CONTEXT
        now = time.monotonic()
        if now - last_log >= 15.0 or step == 1:
            tl = (loss_acc / loss_n).item()  # synchronises
            ts = train_seconds()
            history.append({"step": step, "tokens": tokens, "train_seconds": round(ts, 2), "train_loss": tl, "lr": lr})
            log(f"{spec.name}: step {step:5d}  loss {tl:.4f}  lr {lr:.2e}  {tokens / max(ts, 1e-9) / 1e3:7.0f}k tok/s  "
                f"{ts:5.0f}/{budget_s:.0f}s")
            loss_acc.zero_()
            loss_n = 0
            last_log = time.monotonic()
        if next_eval <= progress() < 1.0:
            run_eval(f"{len(evals) + 1}/{args.evals}")
            next_eval += eval_every
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    final_train_loss = (loss_acc / loss_n).item() if loss_n else (history[-1]["train_loss"] if history else float("nan"))
    ts = train_seconds()
    stopped_by = "epochs" if tokens >= max_tokens else "time"
    for h in hooks:
        h.remove()
    run_eval("final")
    final_val = evals[-1]["val_loss"]
    if best["state"] is not None and best["step"] != step:
        model.load_state_dict(best["state"])
        log(f"{spec.name}: keeping the weights of step {best['step']} (val loss {best['val_loss']:.4f}; "
            f"final step {step} had {final_val:.4f})")
    metrics = {
        "name": spec.name, "role": spec.role, "parameters": n_params,
        "architecture": {k: getattr(spec, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                                        "num_attention_heads", "num_key_value_heads")}
        | {"head_dim": spec.head_dim, "vocab_size": vocab, "max_position_embeddings": CONTEXT,
           "rope_theta": ROPE_THETA, "rms_norm_eps": RMS_NORM_EPS, "tie_word_embeddings": True},
        "training": {"budget_seconds": round(budget_s, 1), "train_seconds": round(ts, 1),
                     "eval_seconds": round(eval_time, 1), "steps": step, "tokens_seen": tokens,
                     "tokens_per_second": round(tokens / max(ts, 1e-9)),
                     "epochs": round(tokens / n_train, 2), "max_epochs": spec.epochs, "stopped_by": stopped_by,
                     "dropout": spec.dropout, "batch_size": B, "seq_len": CONTEXT,
                     "peak_lr": spec.lr, "min_lr_ratio": args.min_lr_ratio, "warmup_steps": spec.warmup_steps,
                     "weight_decay": args.weight_decay, "betas": [0.9, 0.95], "grad_clip": 1.0,
                     "precision": "bf16 autocast, fp32 master weights", "compile": bool(args.compile),
                     "seed": args.seed},
        "final_train_loss": final_train_loss,
        "final_val_loss": final_val,
        "val_loss": best["val_loss"], "best_step": best["step"], "val_tokens": best.get("val_tokens"),
        "val_loss_per_source": {data["source_ids"][i]: v for i, v in best.get("per_source", {}).items()},
        "history": history, "evals": evals,
    }
    return model, metrics


# ----------------------------------------------------------------------------- saving, goldens, samples


def save_model(model, spec: ModelSpec, model_dir: str, tokenizer_dir: str, sources_md: str, versions_: dict,
               problems: list) -> dict:
    import torch

    os.makedirs(model_dir, exist_ok=True)
    model.to(torch.bfloat16)
    model.save_pretrained(model_dir)
    # generation_config.json is written by hand, replacing whatever save_pretrained wrote.
    write_json(os.path.join(model_dir, "generation_config.json"), generation_config(versions_))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy2(os.path.join(tokenizer_dir, f), os.path.join(model_dir, f))
    with open(os.path.join(model_dir, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write(sources_md)
    cfg = normalise_config_json(os.path.join(model_dir, "config.json"), spec, problems)
    unexpected = sorted(set(os.listdir(model_dir)) - {"config.json", "model.safetensors", "generation_config.json",
                                                       "tokenizer.json", "tokenizer_config.json", "SOURCES.md"})
    if unexpected:
        problems.append(f"{model_dir}: unexpected files {unexpected} (sharded weights?)")
    return cfg


def load_for_golden(model_dir: str):
    import torch
    from transformers import AutoModelForCausalLM

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="eager",
                                                 **{dtype_kwarg(): torch.float32})
    model.to("cpu")
    model.eval()
    for p in model.parameters():
        if p.dtype != torch.float32:
            raise SystemExit(f"{model_dir}: reloaded parameter in {p.dtype}, expected float32")
    return model


def golden_cases(model, prompts_ids: list[list[int]], steps: int) -> list[dict]:
    """Greedy over raw float32 logits, recomputing the whole sequence each step (no KV cache)."""
    import torch

    cases = []
    with torch.no_grad():
        for prompt in prompts_ids:
            ids = list(prompt)
            greedy, tops = [], []
            for _ in range(steps):
                logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0, -1].float()
                logp = torch.log_softmax(logits, dim=-1)
                top = torch.topk(logp, 5)
                nxt = int(torch.argmax(logits))
                tops.append([[int(i), float(v)] for v, i in zip(top.values.tolist(), top.indices.tolist())])
                greedy.append(nxt)
                ids.append(nxt)
            cases.append({"prompt_ids": list(prompt), "greedy_ids": greedy, "top_logprobs": tops})
    return cases


def hf_generate_agreement(model, case: dict, pad_id: int) -> int:
    """How many leading greedy tokens transformers' generate() (KV cache) agrees on."""
    import torch

    inp = torch.tensor([case["prompt_ids"]])
    out = model.generate(inp, attention_mask=torch.ones_like(inp), max_new_tokens=len(case["greedy_ids"]),
                         min_new_tokens=len(case["greedy_ids"]), do_sample=False, pad_token_id=pad_id,
                         return_dict_in_generate=True, output_logits=True)
    gen = out.sequences[0, inp.shape[1]:].tolist()
    n = 0
    for a, b in zip(gen, case["greedy_ids"]):
        if a != b:
            break
        n += 1
    return n


def make_samples(model, tok, seed: int) -> list[dict]:
    import torch

    out = []
    for prompt in SAMPLE_PROMPTS:
        ids = tok.encode(prompt, add_special_tokens=True).ids
        inp = torch.tensor([ids])
        common = dict(attention_mask=torch.ones_like(inp), max_new_tokens=SAMPLE_NEW_TOKENS,
                      pad_token_id=special_ids()[PAD], eos_token_id=special_ids()[EOS])
        with torch.no_grad():
            g = model.generate(inp, do_sample=False, **common)[0, len(ids):].tolist()
            torch.manual_seed(seed)
            s = model.generate(inp, do_sample=True, temperature=SAMPLE_TEMPERATURE, top_p=SAMPLE_TOP_P,
                               top_k=0, **common)[0, len(ids):].tolist()  # top_k=0: no top-k filter
        out.append({"prompt": prompt, "greedy": tok.decode(g, skip_special_tokens=True),
                    "sampled": tok.decode(s, skip_special_tokens=True)})
    return out


# ----------------------------------------------------------------------------- main

def plan_budget(role: str, todo: list[str], specs: dict, args) -> float:
    """Seconds of training for `role`: its request, cut so later models and the reserve still fit."""
    remaining = args.deadline_minutes * 60 - elapsed()
    later = todo[todo.index(role) + 1:]
    needed_later = sum(min(specs[r].minutes * 60, 60.0) + args.reserve_seconds for r in later)
    budget = min(specs[role].minutes * 60, remaining - args.reserve_seconds - needed_later)
    if budget < min(20.0, specs[role].minutes * 60):
        raise SystemExit(f"{role}: only {budget:.0f}s of training time left before the deadline; "
                         f"run this model in a call of its own (--only {role})")
    if budget < specs[role].minutes * 60 - 1:
        log(f"WARNING {role}: budget cut to {budget:.0f}s to meet the {args.deadline_minutes} min deadline")
    return budget


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    if os.path.isdir(args.work_dir):
        shutil.rmtree(args.work_dir)
    os.makedirs(os.path.join(args.work_dir, "training"))
    log_path = os.path.join(args.work_dir, "training", "train_log.txt")
    log_file = open(log_path, "w", encoding="utf-8")
    sys.stdout = Tee(sys.__stdout__, log_file)
    sys.stderr = Tee(sys.__stderr__, log_file)
    try:
        return run(args)
    finally:
        sys.stdout.flush()
        shutil.copy2(log_path, os.path.join(args.out_dir, "train_log.txt"))


def run(args) -> int:
    dry = args.dry_run
    selftest = args.cpu_selftest
    random.seed(args.seed)
    specs = model_specs(args)
    todo = ["target", "draft"] if args.only == "both" else [args.only]
    ver = {"python": platform.python_version(), "torch": None, "transformers": None, "tokenizers": None} if dry else versions()
    log(f"turbine demo models: only={args.only} dry_run={dry} cpu_selftest={selftest} versions={ver}")
    log(f"args: {vars(args)}")
    for r in todo:
        s = specs[r]
        log(f"{r}: {s.name} {s.param_count(args.vocab_size) / 1e6:.2f}M parameters, "
            f"{s.param_count(args.vocab_size) * 2 / 1e6:.1f} MB in BF16")

    device, device_name = "cpu", "CPU"
    if not dry and not selftest:
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device visible to torch")
        free, total = torch.cuda.mem_get_info()
        device_name = torch.cuda.get_device_name(0)
        log(f"GPU {device_name}: {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB")
        if free < args.min_free_gib * 2**30:
            raise SystemExit(f"only {free / 2**30:.1f} GiB free on the GPU, need {args.min_free_gib}")
        device = "cuda"
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(args.seed)

    corpus = load_corpus(args.corpus)
    work = args.work_dir
    tok_dir_rel = os.path.join("tokenizer", args.tokenizer_name)
    tok_dir = os.path.join(work, tok_dir_rel)

    # --- tokenizer
    t = time.monotonic()
    hf_tok = None
    if dry or selftest:
        tok = FakeTokenizer()
        save_tokenizer(tok, tok_dir, dry_run=True)
    elif args.tokenizer_from:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(os.path.join(args.tokenizer_from, "tokenizer.json"))
        check_special_ids(tok)
        if tok.get_vocab_size() != args.vocab_size:
            raise SystemExit(f"--tokenizer-from: vocabulary of {tok.get_vocab_size()}, expected {args.vocab_size}")
        save_tokenizer(tok, tok_dir, dry_run=True)  # tokenizer_config.json (and a placeholder tokenizer.json)
        shutil.copy2(os.path.join(args.tokenizer_from, "tokenizer.json"), os.path.join(tok_dir, "tokenizer.json"))
        log(f"tokenizer loaded from {args.tokenizer_from}")
    else:
        tok = train_tokenizer([txt for _, txt in corpus["train"]], args.vocab_size)
        save_tokenizer(tok, tok_dir, dry_run=False)
        log(f"tokenizer trained in {time.monotonic() - t:.1f}s: vocabulary {tok.get_vocab_size()}")
    if not dry and not selftest:
        hf_tok = check_tokenizer_with_transformers(tok_dir, tok)
        if tok.get_vocab_size() != args.vocab_size:
            raise SystemExit(f"tokenizer has {tok.get_vocab_size()} tokens, expected {args.vocab_size}")
    os.makedirs(os.path.join(work, "golden"), exist_ok=True)
    tok_golden_rel = os.path.join("golden", f"{args.tokenizer_name}.tokenizer_goldens.json")
    write_json(os.path.join(work, tok_golden_rel), tokenizer_goldens(tok, hf_tok, args.tokenizer_name, ver))
    if dry:
        check_chat_template_with_jinja()
    pack_small(work, "tokenizer", os.path.join(args.out_dir, f"{args.tokenizer_name}-tokenizer.tar.gz"))

    # --- token streams
    t = time.monotonic()
    train_ids, _ = encode_docs(tok, corpus["train"], corpus["source_ids"])
    val_ids, val_src = encode_docs(tok, corpus["val"], corpus["source_ids"])
    train_bytes = sum(len(x.encode("utf-8")) for _, x in corpus["train"])
    tok_info = {"vocab_size": args.vocab_size, "train_tokens": len(train_ids), "val_tokens": len(val_ids),
                "bytes_per_token": train_bytes / max(1, len(train_ids)), "encode_seconds": round(time.monotonic() - t, 1)}
    corpus["train_tokens"], corpus["val_tokens"] = len(train_ids), len(val_ids)
    log(f"encoded: {len(train_ids):,} training tokens ({tok_info['bytes_per_token']:.2f} bytes/token), "
        f"{len(val_ids):,} validation tokens, in {tok_info['encode_seconds']}s")

    if selftest:
        val_ids, val_src = val_ids[: 8 * CONTEXT + 1], val_src[: 8 * CONTEXT + 1]
    metrics = {"versions": ver, "device": device_name, "args": vars(args), "tokenizer": tok_info,
               "corpus_bytes": corpus["sources"]["total_bytes"], "models": {}}
    data = None
    if not dry:
        import torch

        data = {"train_ids": torch.tensor(train_ids, dtype=torch.long, device=device),
                "val_ids": torch.tensor(val_ids, dtype=torch.long, device=device),
                "val_src": torch.tensor(val_src, dtype=torch.long, device=device),
                "source_ids": corpus["source_ids"]}

    members = ["tokenizer", tok_golden_rel]
    stem = f"turbine-demo-{args.only}"
    part_bytes = int(args.part_mib * 2**20)
    summary = []
    for role in todo:
        spec = specs[role]
        partner = specs["draft" if role == "target" else "target"].name
        budget = plan_budget(role, todo, specs, args)
        model_rel = os.path.join("models", spec.name)
        model_dir = os.path.join(work, model_rel)
        golden_rel = os.path.join("golden", f"{spec.name}.golden.json")
        prompts_ids = [list(tok.encode(p, add_special_tokens=True).ids) for p in GOLDEN_PROMPTS]
        problems: list[str] = []
        if dry:
            m = fake_metrics(spec, budget, args, corpus)
            os.makedirs(model_dir, exist_ok=True)
            write_fake_safetensors(os.path.join(model_dir, "model.safetensors"),
                                   args.dry_run_fake_mb * 1e6 * (1 if role == "target" else 0.2), args.seed)
            write_json(os.path.join(model_dir, "config.json"), fake_config(spec, args.vocab_size))
            write_json(os.path.join(model_dir, "generation_config.json"), generation_config(ver))
            for f in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copy2(os.path.join(tok_dir, f), os.path.join(model_dir, f))
            with open(os.path.join(model_dir, "SOURCES.md"), "w", encoding="utf-8") as f:
                f.write(corpus["sources_md"])
            normalise_config_json(os.path.join(model_dir, "config.json"), spec, problems)
            cases = fake_golden_cases(prompts_ids)
            samples = [{"prompt": p, "greedy": " and the fake greedy words go on.",
                        "sampled": " and, sampled, other fake words."} for p in SAMPLE_PROMPTS]
            gen_agree = [None] * len(cases)
        else:
            model, m = train_one(spec, budget, data, args, device, stand_in=selftest)
            if selftest:
                # No transformers: check the golden loop on the stand-in and stop before saving.
                model.to(torch.float32).to("cpu")
                cases = golden_cases(model, prompts_ids, 4)
                log(f"selftest {role}: val {m['val_loss']:.4f}, golden case 0 greedy {cases[0]['greedy_ids']}")
                metrics["models"][role] = {k: v for k, v in m.items() if k not in ("history",)}
                continue
            t = time.monotonic()
            save_model(model, spec, model_dir, tok_dir, corpus["sources_md"], ver, problems)
            del model
            torch.cuda.empty_cache()
            cpu_model = load_for_golden(model_dir)
            torch.set_num_threads(max(1, min(16, os.cpu_count() or 1)))
            cases = golden_cases(cpu_model, prompts_ids, GOLDEN_STEPS)
            # The cross-check and the samples must not cost the trained weights: a failure is
            # reported loudly (and recorded), and the model is still packed.
            try:
                gen_agree = [hf_generate_agreement(cpu_model, c, special_ids()[PAD]) for c in cases]
            except Exception as e:  # noqa: BLE001 - reported below, not swallowed
                gen_agree = [None] * len(cases)
                problems.append(f"generate() cross-check failed: {type(e).__name__}: {e}")
                traceback.print_exc()
            try:
                samples = make_samples(cpu_model, tok, args.seed)
            except Exception as e:  # noqa: BLE001 - reported below, not swallowed
                samples = []
                problems.append(f"samples failed: {type(e).__name__}: {e}")
                traceback.print_exc()
            del cpu_model
            m["save_golden_sample_seconds"] = round(time.monotonic() - t, 1)
        for c, p in zip(cases, GOLDEN_PROMPTS):
            c["prompt"] = p
        for c, n in zip(cases, gen_agree):
            if n is not None and n < GOLDEN_STEPS:
                first_eos = next((i for i, x in enumerate(c["greedy_ids"]) if x == special_ids()[EOS]), None)
                if first_eos is None or n < first_eos:
                    log(f"WARNING {spec.name}: generate() agrees with the plain greedy loop on {n} of {GOLDEN_STEPS} "
                        f"tokens only (prompt {c['prompt']!r}); near-ties between logits?")
        golden = {"model": spec.name, "transformers_version": ver.get("transformers"),
                  "torch_version": ver.get("torch"), "dtype_on_disk": "BF16",
                  "compute": {"device": "cpu", "dtype": "float32", "attn_implementation": "eager", "tf32": False},
                  "notes": "prompt_ids are the prompt encoded with add_special_tokens=True (starts with <|begin_of_text|>). "
                           f"greedy_ids are the {GOLDEN_STEPS} generated tokens: at each step the argmax of the raw "
                           "float32 logits of the last position, EOS neither stopped on nor masked. top_logprobs[i] is "
                           "the top 5 of log_softmax(logits) at step i as [id, logprob], highest first.",
                  "hf_generate_prefix_agreement": gen_agree,
                  "cases": cases}
        write_json(os.path.join(work, golden_rel), golden)
        m["samples"] = samples
        st = check_safetensors(os.path.join(model_dir, "model.safetensors"), spec, args.vocab_size, dry, problems)
        m["safetensors"] = st
        m["problems"] = problems
        for p in problems:
            log(f"WARNING {spec.name}: {p}")
        readme = model_readme(spec, m, partner, corpus, tok_info, samples, ver, device_name,
                              f"{spec.name}.golden.json")
        with open(os.path.join(model_dir, "README.md"), "w", encoding="utf-8") as f:
            f.write(readme + "\n")
        metrics["models"][role] = m
        write_json(os.path.join(work, "training", "metrics.json"), metrics)
        write_json(os.path.join(args.out_dir, "metrics.json"), metrics)
        members += [model_rel, golden_rel]
        sys.stdout.flush()
        pack(work, members + ["training"], args.out_dir, stem, part_bytes)
        summary.append((spec, m))
        log(f"{spec.name} done: val loss {m['val_loss']:.4f}, model.safetensors {st['bytes'] / 1e6:.1f} MB")

    if selftest:
        log("cpu selftest finished: " + json.dumps({r: round(x["val_loss"], 4) for r, x in metrics["models"].items()}))
        return 0
    print_summary(summary, tok_info)
    # Pack once more so the tarball's log has the summary.
    sys.stdout.flush()
    pack(work, members + ["training"], args.out_dir, stem, part_bytes)
    log(f"finished in {elapsed():.0f}s; outputs in {args.out_dir}: {sorted(os.listdir(args.out_dir))}")
    return 0


def print_summary(summary, tok_info) -> None:
    log("summary")
    print(f"{'model':20s} {'params':>8s} {'tokens':>11s} {'steps':>6s} {'epochs':>6s} {'train':>7s} {'val':>7s} "
          f"{'best@':>6s} {'secs':>5s} {'tok/s':>9s} {'MB':>5s}")
    for spec, m in summary:
        t = m["training"]
        print(f"{spec.name:20s} {fmt_params(m['parameters']):>8s} {t['tokens_seen']:11,d} {t['steps']:6d} "
              f"{t['epochs']:6.2f} {m['final_train_loss']:7.4f} {m['val_loss']:7.4f} {m['best_step']:6d} "
              f"{t['train_seconds']:5.0f} {t['tokens_per_second']:9,d} {m['safetensors']['bytes'] / 1e6:5.1f}")
    print(f"tokenizer: {tok_info['vocab_size']} tokens, {tok_info['bytes_per_token']:.2f} bytes/token, "
          f"{tok_info['train_tokens']:,} training tokens")
    for spec, m in summary:
        for s in m["samples"][:2]:
            print(f"--- {spec.name} greedy: {s['prompt']!r}\n{s['prompt']}{s['greedy']}")
            print(f"--- {spec.name} sampled:\n{s['prompt']}{s['sampled']}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
