#!/usr/bin/env bash
# Installs every build and test dependency (Debian 12 apt, npm for test oracles), idempotently,
# then configures and builds Turbine into build/. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  clang libclang-rt-14-dev            # libFuzzer for the parser fuzz targets
  libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libpcre2-dev libutf8proc-dev libxxhash-dev libboost1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-jinja2                      # second oracle for chat templates (what transformers runs)
)
# Node.js + npm run the test oracles (HF tokenizers, @huggingface/jinja, the openai client).
# A machine that already has a node with npm keeps it (Debian's npm conflicts with NodeSource's).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test oracles from npm (pinned by tests/js/package-lock.json); reinstalled when the lock changes.
if [ ! -f tests/js/node_modules/.package-lock.json ] || ! cmp -s tests/js/package-lock.json tests/js/.installed-lock; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json .installed-lock)
fi

# ccache keys on paths relative to the checkout, so a fresh clone (CI) reuses earlier objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
BUILD_DIR=${TURBINE_BUILD_DIR:-build}
BUILD_TYPE=${TURBINE_BUILD_TYPE:-Release}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${TURBINE_CMAKE_ARGS:-}
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
