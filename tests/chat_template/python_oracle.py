#!/usr/bin/env python3
"""Renders chat templates with Python's Jinja2 configured exactly as transformers configures it.

This is the second oracle of the chat template parity test (the first is @huggingface/jinja).
transformers (utils/chat_template_utils.py) renders with an ImmutableSandboxedEnvironment with
trim_blocks and lstrip_blocks, the loopcontrols extension, a {% generation %} tag, json.dumps as
`tojson`, and `raise_exception` / `strftime_now` globals; this script sets up the same, without
needing transformers itself (only jinja2).

  python_oracle.py --tokenizer DIR --jsonl FILE [--template NAME]

Same contract as `turbine chat-template`: each input line is a context; each output line is
{"text": ...} or {"error": ...}. Special tokens from DIR/tokenizer_config.json are added to the
context unless the line sets them.
"""
import argparse
import json
import os
import sys
from datetime import datetime

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationTag(Extension):
    """transformers' AssistantTracker without the mask bookkeeping: renders the body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def make_environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


def token_content(token):
    if isinstance(token, str):
        return token
    if isinstance(token, dict) and isinstance(token.get("content"), str):
        return token["content"]
    return None


def load_config(directory, name):
    with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    templates = config.get("chat_template")
    if isinstance(templates, list):
        templates = {t["name"]: t["template"] for t in templates}
    elif isinstance(templates, str):
        templates = {"default": templates}
    else:
        templates = {}
    tokens = {}
    for key in SPECIAL_TOKENS:
        content = token_content(config.get(key))
        if content is not None:
            tokens[key] = content
    if isinstance(config.get("additional_special_tokens"), list):
        tokens["additional_special_tokens"] = [c for c in map(token_content, config["additional_special_tokens"]) if c is not None]
    return templates, tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--jsonl", required=True)
    parser.add_argument("--template", default=None)
    args = parser.parse_args()
    templates, tokens = load_config(args.tokenizer, args.template)
    out = sys.stdout
    with open(args.jsonl, encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    compiled = None
    compile_error = None
    for line in lines:
        context = json.loads(line)
        try:
            if compiled is None and compile_error is None:
                name = args.template or ("tool_use" if context.get("tools") is not None and "tool_use" in templates else "default")
                if name not in templates:
                    raise TemplateError(f"no chat template named '{name}'")
                try:
                    compiled = make_environment().from_string(templates[name])
                except Exception as e:  # noqa: BLE001 - report any compile failure per line
                    compile_error = e
            if compile_error is not None:
                raise compile_error
            merged = dict(tokens)
            merged.update(context)
            result = {"text": compiled.render(**merged)}
        except Exception as e:  # noqa: BLE001 - every failure becomes an {"error"} line
            result = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
