#!/usr/bin/env bash
# Copies binaries built here (a TURBINE_CUDA=ON build) and the shared libraries the GPU machine
# lacks (fmt, spdlog) into a git-ignored folder that the device tool carries over.
#   scripts/stage_gpu_binaries.sh BUILD_DIR DEST BINARY...   (BINARY relative to BUILD_DIR)
# There: export LD_LIBRARY_PATH=DEST/lib:/usr/local/cuda/lib64 and run DEST/<name>.
set -euo pipefail
build=${1:?build dir}; dest=${2:?destination}; shift 2
mkdir -p "$dest/lib"
for b in "$@"; do
  cp "$build/$b" "$dest/"
  for lib in $(ldd "$build/$b" | awk '/libfmt|libspdlog/ {print $3}'); do cp -L "$lib" "$dest/lib/"; done
done
du -sh "$dest"
