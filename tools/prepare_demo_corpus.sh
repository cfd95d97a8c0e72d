#!/usr/bin/env bash
# Prepare the demo model's training corpus from Debian packages (see tools/DEMO_MODEL.md).
#
#   tools/prepare_demo_corpus.sh [OUT_DIR]      (default: .carry/demo_corpus in the repository)
#
# Run as root on Debian 12 (it calls apt-get). It installs only the tools that read the data
# (r-base-core, bible-kjv, libsword-utils, python3); the data packages themselves are
# downloaded with `apt-get download` and unpacked into a work directory, so nothing else on
# the machine changes (dict-devil, for one, would pull in the dictd server if installed).
# Safe to run again: installed tools are skipped, and the output is rebuilt from scratch.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-$repo_root/.carry/demo_corpus}"

tools=(r-base-core bible-kjv libsword-utils python3)
data_pkgs=(r-cran-janeaustenr bible-kjv-text sword-text-web sword-comm-mhcc
           sword-comm-scofield sword-comm-tdavid fortunes fortunes-min dict-devil)

missing=()
for p in "${tools[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
# apt-get download needs current package lists, so update whenever the lists are empty or old.
if [[ ${#missing[@]} -gt 0 || -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1)" ]]; then
  apt-get update -qq
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing tools: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/demo_corpus.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/raw/pkgs" "$work/raw/austen" "$work/raw/sword"

echo "downloading data packages: ${data_pkgs[*]}"
# apt-get download writes into the current directory; the _apt sandbox warning is harmless.
if ! (cd "$work/debs" && apt-get download -qq "${data_pkgs[@]}") 2> "$work/download.err"; then
  cat "$work/download.err" >&2
  exit 1
fi
grep -v 'unsandboxed as root' "$work/download.err" >&2 || true
for p in "${data_pkgs[@]}"; do
  deb=( "$work"/debs/"${p}"_*.deb )
  [[ -f "${deb[0]}" ]] || { echo "error: apt-get download $p gave no .deb" >&2; exit 1; }
  dpkg-deb -x "${deb[0]}" "$work/raw/pkgs/$p"
  dpkg-deb -f "${deb[0]}" Version > "$work/raw/pkgs/$p.version"
  sha256sum "${deb[0]}" | cut -d' ' -f1 > "$work/raw/pkgs/$p.sha256"
done

echo "exporting Jane Austen (Rscript)"
R_LIBS_SITE="$work/raw/pkgs/r-cran-janeaustenr/usr/lib/R/site-library" \
AUSTEN_OUT="$work/raw/austen" \
  Rscript --vanilla -e '
    lib <- Sys.getenv("R_LIBS_SITE")
    library(janeaustenr, lib.loc = lib)
    for (n in c("sensesensibility", "prideprejudice", "mansfieldpark",
                "emma", "northangerabbey", "persuasion")) {
      x <- get(n, envir = asNamespace("janeaustenr"))
      con <- file(file.path(Sys.getenv("AUSTEN_OUT"), paste0(n, ".txt")), open = "w", encoding = "UTF-8")
      writeLines(enc2utf8(x), con, useBytes = TRUE)
      close(con)
    }'

echo "exporting the King James Version (bible)"
bible -p "$work/raw/pkgs/bible-kjv-text/usr/lib" -l100000 "Gen1:1-Rev22:21" > "$work/raw/kjv.txt"

echo "exporting SWORD modules (mod2imp)"
# One SWORD library directory holding all four modules. (The Treasury of David has no New
# Testament, and mod2imp says so on stderr; that is fine.)
mkdir -p "$work/sword"
for p in sword-text-web sword-comm-mhcc sword-comm-scofield sword-comm-tdavid; do
  cp -r "$work/raw/pkgs/$p/usr/share/sword/." "$work/sword/"
done
for m in engWEB2015eb MHCC Scofield TDavid; do
  SWORD_PATH="$work/sword" mod2imp "$m" > "$work/raw/sword/$m.imp" 2> "$work/raw/sword/$m.err" || {
    echo "error: mod2imp $m failed:" >&2; cat "$work/raw/sword/$m.err" >&2; exit 1; }
  [[ -s "$work/raw/sword/$m.imp" ]] || { echo "error: mod2imp $m wrote nothing" >&2; exit 1; }
done

echo "cleaning and splitting"
rm -rf "$out_dir"
python3 "$repo_root/tools/demo_corpus_extract.py" --raw "$work/raw" --out "$out_dir"
ls -l "$out_dir"
