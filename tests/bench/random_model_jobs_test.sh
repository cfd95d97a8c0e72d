#!/usr/bin/env bash
# tools/make_random_model.py makes its chunks in a process pool: the files must not depend on how
# many processes made them (bench numbers from different machines compare the same weights).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shape=(--preset custom --hidden-size 64 --intermediate-size 128 --num-layers 2 --num-heads 4 --num-kv-heads 2
       --vocab-size 4096 --max-shard-size 300KB)
python3 "$root/tools/make_random_model.py" "${shape[@]}" --out "$tmp/one" --jobs 1 > /dev/null
python3 "$root/tools/make_random_model.py" "${shape[@]}" --out "$tmp/three" --jobs 3 > /dev/null
n=0
for f in "$tmp/one"/*; do
  cmp "$f" "$tmp/three/$(basename "$f")"
  n=$((n + 1))
done
[ "$n" -ge 4 ] || { echo "expected a sharded model, got $n files" >&2; exit 1; }
echo "identical: $n files"
