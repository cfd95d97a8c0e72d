#!/usr/bin/env python3
"""Turn the raw exports of tools/prepare_demo_corpus.sh into the demo model's corpus.

Only the Python standard library is used, so this runs on any Debian machine.

Input (--raw DIR, written by prepare_demo_corpus.sh):
    DIR/pkgs/<package>/...        each data package's .deb, unpacked (dpkg-deb -x)
    DIR/pkgs/<package>.version    the unpacked package's version
    DIR/pkgs/<package>.sha256     the .deb file's SHA-256
    DIR/austen/<book>.txt         the six novels, one line per R string
    DIR/kjv.txt                   `bible -l100000 Gen1:1-Rev22:21`
    DIR/sword/<module>.imp        `mod2imp <module>` (raw OSIS markup)

Output (--out DIR):
    train.jsonl.gz, val.jsonl.gz  one JSON object per document: {"source", "text"}
    sources.json                  per source: package, version, licence, sizes (machine-readable)
    SOURCES.md                    the same for people, with the licence quoted from the copyright file

Why the shape: documents are kept whole (a chapter, a psalm's commentary, a fortune, a
dictionary entry) so the trainer can put <|begin_of_text|>/<|end_of_text|> around each one,
and the validation split is chosen per document by a hash of a stable key, so re-running
gives the same split. The two Bible translations share their split key per chapter, so a
chapter held out for validation is held out in both translations.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field

# Documents longer than this are cut at paragraph boundaries (a psalm's commentary in the
# Treasury of David reaches 1.8 MB; one such document must not decide the split).
MAX_DOC_CHARS = 16_000
VAL_PER_MILLE = 10  # 1% of documents go to the validation split


@dataclass
class Source:
    id: str
    title: str
    package: str
    licence: str
    # A regular expression that must match the package's copyright file; what it matches is
    # quoted in SOURCES.md. If Debian ever changes the file, the script stops instead of
    # recording a licence it did not see.
    licence_quote_re: str
    note: str = ""
    docs: list = field(default_factory=list)  # (split_key, text)


# Fortune files that are plain English sayings or jokes. Left out: ascii-art and art
# (pictures), translate-me (not English), pratchett, startrek, zippy, songs-poems and
# humorists (mostly quotations of recent copyrighted works), ethnic and men-women (jokes about
# groups of people), drugs, and the technical files (linux, linuxcookie, debian, perl,
# knghtbrd, computers). The offensive set (fortunes-off) is never installed.
FORTUNE_FILES = [
    # fortunes-min
    "fortunes", "literature", "riddles",
    # fortunes
    "cookie", "definitions", "disclaimer", "education", "food", "goedel", "kids", "law",
    "love", "magic", "medicine", "miscellaneous", "news", "paradoxum", "people", "pets",
    "platitudes", "politics", "science", "sports", "tao", "wisdom", "work",
]

AUSTEN_BOOKS = [
    ("sensesensibility", "Sense and Sensibility"),
    ("prideprejudice", "Pride and Prejudice"),
    ("mansfieldpark", "Mansfield Park"),
    ("emma", "Emma"),
    ("northangerabbey", "Northanger Abbey"),
    ("persuasion", "Persuasion"),
]

SWORD_MODULES = [
    # (source id, module name, package)
    ("web", "engWEB2015eb", "sword-text-web"),
    ("mhcc", "MHCC", "sword-comm-mhcc"),
    ("scofield", "Scofield", "sword-comm-scofield"),
    ("tdavid", "TDavid", "sword-comm-tdavid"),
]


def make_sources() -> list[Source]:
    return [
        Source("austen", "Jane Austen's six novels", "r-cran-janeaustenr", "MIT (the novels themselves are in the public domain)",
               r"License: MIT\n(?: .*\n)*? WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE\.",
               "Text read with R's janeaustenr package (data/Rdata.rdb) by Rscript; underscores marking italics removed, paragraphs re-flowed."),
        Source("kjv", "King James Version of the Bible", "bible-kjv-text", "public domain",
               r"The copyright for the King James Version text of the Bible is expired since\n.*\n.*",
               "Read with `bible` from package bible-kjv (GPL-2+ program, not part of the corpus); verse numbers removed, one verse per line."),
        Source("web", "World English Bible (with Deuterocanon)", "sword-text-web", "public domain",
               r"License: public-domain\n The World English Bible is in the Public Domain\.[^\n]*",
               "Read with `mod2imp` from libsword-utils; OSIS markup, footnotes and cross references removed, one verse per line."),
        Source("mhcc", "Matthew Henry's Concise Commentary", "sword-comm-mhcc", "public domain",
               r"License: public-domain\n Public Domain--Copy Freely\.",
               "Read with `mod2imp`; the module's entries overlap, so paragraphs are de-duplicated (exact, prefix and suffix duplicates)."),
        Source("scofield", "Scofield Reference Notes (1917)", "sword-comm-scofield", "public domain",
               r"License: public-domain\n This work is in the public domain\.",
               "Read with `mod2imp`; OSIS markup removed."),
        Source("tdavid", "C. H. Spurgeon, The Treasury of David", "sword-comm-tdavid", "public domain",
               r"License: public-domain\n This work's final volume was released in 1885\. It is now in the public domain\.",
               "Read with `mod2imp`; OSIS markup removed."),
        Source("devil", "Ambrose Bierce, The Devil's Dictionary", "dict-devil", "public domain",
               r"The Devil's Dictionary is in the public domain, its copyright has \nexpired\.",
               "Entries read from the dictd database (devil.dict.dz, devil.index); paragraphs re-flowed, verse kept."),
        Source("fortunes", "fortune cookies (selected inoffensive English files)", "fortunes, fortunes-min", "BSD-3-Clause (Regents of the University of California)",
               r"This program falls under the BSD copyright:\n(?:.*\n)*?SUCH DAMAGE\.",
               "Files: " + ", ".join(FORTUNE_FILES) + ". Left out: art, ascii-art, translate-me, pratchett, startrek, zippy, songs-poems, humorists, ethnic, men-women, drugs, computers, linux, linuxcookie, debian, perl, knghtbrd; the offensive set is not installed."),
    ]


# ----------------------------------------------------------------------------- text cleaning

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u2032": "'", "\u2033": '"', "\u00a0": " ", "\u2009": " ", "\u200a": " ",
    "\u2002": " ", "\u2003": " ", "\u202f": None, "\u2011": "-", "\u2010": "-", "\u00ad": None,
    "\u200b": None, "\ufeff": None,
})


def normalise(text: str) -> str:
    """NFC, ASCII quotes and dashes, no control characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    text = text.replace("\u2014", "--").replace("\u2013", "-").replace("\u2026", "...")
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(8)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def reflow(block: str) -> str:
    """Join hard-wrapped lines of one paragraph; keep indented lines (verse, quotations) as lines."""
    lines = block.split("\n")
    if any(line.startswith(" ") for line in lines[1:]) or (lines and lines[0].startswith("    ")):
        return "\n".join(lines)
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def chunk_paragraphs(paras: list[str], limit: int = MAX_DOC_CHARS) -> list[str]:
    """Greedy groups of whole paragraphs, each at most `limit` characters (a longer paragraph stands alone)."""
    out, cur, size = [], [], 0
    for p in paras:
        if cur and size + len(p) + 2 > limit:
            out.append("\n\n".join(cur))
            cur, size = [], 0
        cur.append(p)
        size += len(p) + 2
    if cur:
        out.append("\n\n".join(cur))
    return out


def is_val(key: str) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 1000 < VAL_PER_MILLE


_BOOK_PREFIX = [("III ", "3 "), ("II ", "2 "), ("I ", "1 ")]


def bible_key(book: str, chapter: int) -> str:
    """One split key per chapter shared by both translations ('I Samuel' == '1 Samuel')."""
    for roman, arabic in _BOOK_PREFIX:
        if book.startswith(roman):
            book = arabic + book[len(roman):]
            break
    if book == "Revelation of John":
        book = "Revelation"
    return f"bible:{book.lower()}:{chapter}"


# ----------------------------------------------------------------------------- OSIS (SWORD)

def read_imp(path: str) -> list[tuple[str, str]]:
    """mod2imp output: '$$$key' lines, each followed by the entry's raw markup."""
    with open(path, encoding="utf-8", errors="replace") as f:
        data = f.read()
    entries = []
    for part in re.split(r"^\$\$\$", data, flags=re.M)[1:]:
        key, _, body = part.partition("\n")
        entries.append((key.strip(), body))
    return entries


_SEP = "\x00"  # stands where a footnote was; becomes a space only between two word characters


def osis_to_text(markup: str, keep_paragraphs: bool) -> str:
    """Plain text of an OSIS fragment: notes and non-canonical headings dropped."""
    s = markup
    # An entry can stop in the middle of a tag (the MHCC module does): drop the broken tail/head.
    s = re.sub(r"<[^<>]*$", "", s)
    s = re.sub(r"^[^<>]*>", "", s)
    s = re.sub(r"<note\b[^>]*>.*?</note>", _SEP, s, flags=re.S)
    s = re.sub(r"<note\b[^>]*/>", "", s)
    s = re.sub(r"<rdg\b[^>]*>.*?</rdg>", "", s, flags=re.S)
    # Canonical titles (psalm superscriptions) are scripture; other titles are headings.
    s = re.sub(r'<title\b(?=[^>]*canonical="true")[^>]*>(.*?)</title>', r"\1 ", s, flags=re.S)
    if keep_paragraphs:
        s = re.sub(r"<title\b[^>]*>(.*?)</title>", r"\n\n\1\n\n", s, flags=re.S)
        s = re.sub(r'<div\b[^>]*type="(?:x-p|paragraph|introduction)"[^>]*/?>', "\n\n", s)
        s = re.sub(r"<(?:p|lg)\b[^>]*/?>|</(?:p|lg)>", "\n\n", s)
        s = re.sub(r"<(?:lb|l|item|row)\b[^>]*/?>", "\n", s)
        s = re.sub(r"<cell\b[^>]*>", " ", s)
    else:
        s = re.sub(r"<title\b[^>]*>.*?</title>", " ", s, flags=re.S)
    s = re.sub(r"<[^>]*>", "", s)
    s = html.unescape(s)
    s = re.sub(r"(\w)" + _SEP + r"(\w)", r"\1 \2", s)
    s = s.replace(_SEP, "")
    if keep_paragraphs:
        paras = []
        for p in paragraphs(s):
            lines = [re.sub(r"[ \t]+", " ", line).strip() for line in p.split("\n")]
            lines = [line for line in lines if line]
            if lines:
                paras.append(" ".join(lines))
        s = "\n\n".join(paras)
    else:
        s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r" +([,.;:!?])", r"\1", s)
    return s


def split_key_ref(key: str) -> tuple[str, int, int] | None:
    m = re.match(r"^(.+) (\d+):(\d+)$", key)
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def extract_web(entries) -> list[tuple[str, str]]:
    chapters: dict[tuple[str, int], list[str]] = {}
    order = []
    for key, body in entries:
        ref = split_key_ref(key)
        if ref is None:
            continue  # module and testament headings
        book, chapter, _verse = ref
        text = osis_to_text(body, keep_paragraphs=False)
        if not text:
            continue
        k = (book, chapter)
        if k not in chapters:
            chapters[k] = []
            order.append(k)
        chapters[k].append(text)
    docs = []
    for book, chapter in order:
        verses = chapters[(book, chapter)]
        if chapter == 0:
            # Book introductions; in this versification a few whole books (Greek Daniel,
            # Greek Esther) are stored under 'X 0:0', with no verse structure to keep.
            body = "\n".join(verses)
            heading = ""
        else:
            body = "\n".join(verses)
            heading = f"{book} {chapter}\n\n"
        for i, piece in enumerate(chunk_paragraphs(body.split("\n"), MAX_DOC_CHARS)):
            docs.append((bible_key(book, chapter) + (f":{i}" if chapter == 0 else ""),
                         heading + piece.replace("\n\n", "\n")))
    return docs


def extract_commentary(source_id: str, entries) -> list[tuple[str, str]]:
    """Commentary modules: paragraphs grouped by (book, chapter) of the entry that first holds them.

    De-duplicates paragraphs: modules link one entry to many verses, and the MHCC module's
    entries overlap and are sometimes cut short, so a paragraph may also appear as a prefix or
    a suffix of a longer one; only the longest survives.
    """
    seen = set()
    ordered: list[tuple[tuple[str, int], str]] = []
    for key, body in entries:
        ref = split_key_ref(key)
        group = (ref[0], ref[1]) if ref else (key, 0)
        for p in paragraphs(osis_to_text(body, keep_paragraphs=True)):
            p = p.strip()
            if len(p) < 2 or p in seen:
                continue
            seen.add(p)
            ordered.append((group, p))
    texts = sorted(seen)
    covered = set()
    for a, b in zip(texts, texts[1:]):
        if b.startswith(a):
            covered.add(a)
    rev = sorted(t[::-1] for t in seen)
    for a, b in zip(rev, rev[1:]):
        if b.startswith(a):
            covered.add(a[::-1])
    groups: dict[tuple[str, int], list[str]] = {}
    group_order = []
    for group, p in ordered:
        if p in covered:
            continue
        if group not in groups:
            groups[group] = []
            group_order.append(group)
        groups[group].append(p)
    docs = []
    for group in group_order:
        for i, piece in enumerate(chunk_paragraphs(groups[group])):
            docs.append((f"{source_id}:{group[0]}:{group[1]}:{i}", piece))
    return docs


# ----------------------------------------------------------------------------- other sources

def extract_austen(raw: str) -> list[tuple[str, str]]:
    docs = []
    for stem, title in AUSTEN_BOOKS:
        path = os.path.join(raw, "austen", stem + ".txt")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Chapters start at lines like 'CHAPTER 1', 'Chapter 12', 'CHAPTER XIV'.
        parts = re.split(r"^\s*(?:CHAPTER|Chapter)\s+([0-9IVXLC]+)\.?\s*$", text, flags=re.M)
        if len(parts) < 20:
            raise SystemExit(f"austen: found only {len(parts) // 2} chapters in {path}")
        # parts[0] is the title page; then (number, body) pairs.
        for i in range(1, len(parts), 2):
            number, body = parts[i], parts[i + 1]
            body = re.sub(r"^\s*(?:VOLUME|Volume)\s+[IVX0-9]+\s*$", "", body, flags=re.M)
            body = re.sub(r"^\s*(?:THE END|FINIS)\.?\s*$", "", body, flags=re.M)
            body = re.sub(r"_([^_]+)_", r"\1", body)
            paras = [reflow(p.strip("\n")) for p in paragraphs(body)]
            paras = [p for p in paras if p]
            if not paras:
                continue
            docs.append((f"austen:{stem}:{i // 2 + 1}",
                         f"{title}\n\nChapter {number}\n\n" + "\n\n".join(paras)))
    return docs


def extract_kjv(raw: str) -> list[tuple[str, str]]:
    with open(os.path.join(raw, "kjv.txt"), encoding="utf-8", errors="replace") as f:
        text = f.read()
    docs = []
    book, chapter, verses = None, 0, []

    def flush():
        if book is not None and verses:
            docs.append((bible_key(book, chapter), f"{book} {chapter}\n\n" + "\n".join(verses)))

    for line in text.split("\n"):
        m = re.match(r"^([1-3]?\s?[A-Z][A-Za-z ]+?) (\d+)$", line)
        if m:
            flush()
            book, chapter, verses = m.group(1), int(m.group(2)), []
            continue
        m = re.match(r"^\s+(\d+) (.*)$", line)
        if m:
            verses.append(re.sub(r"\s+", " ", m.group(2)).strip())
        elif line.strip() and verses:
            verses[-1] += " " + line.strip()  # a wrapped line (only if -l was too small)
    flush()
    if len(docs) != 1189:
        raise SystemExit(f"kjv: expected 1189 chapters, got {len(docs)}")
    return docs


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _dictd_number(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64.index(c)
    return n


def extract_devil(raw: str) -> list[tuple[str, str]]:
    base = os.path.join(raw, "pkgs", "dict-devil", "usr", "share", "dictd")
    with gzip.open(os.path.join(base, "devil.dict.dz"), "rb") as f:
        data = f.read()  # dictzip files are gzip files
    spans = set()
    with open(os.path.join(base, "devil.index"), encoding="utf-8") as f:
        for line in f:
            word, off, length = line.rstrip("\n").split("\t")[:3]
            if word.startswith("00database") or word.startswith("00-database"):
                continue
            spans.add((_dictd_number(off), _dictd_number(length)))
    docs = []
    for off, length in sorted(spans):
        entry = data[off:off + length].decode("utf-8", errors="replace")
        entry = re.sub(r"_([^_]+)_", r"\1", entry)
        paras = [reflow(p.strip("\n")) for p in paragraphs(entry)]
        paras = [p for p in paras if p.strip()]
        if paras:
            head = re.match(r"[A-Z][A-Z' -]*", paras[0])
            docs.append((f"devil:{head.group(0) if head else off}:{off}", "\n\n".join(paras)))
    if len(docs) < 900:
        raise SystemExit(f"devil: only {len(docs)} entries")
    return docs


def extract_fortunes(raw: str) -> list[tuple[str, str]]:
    docs = []
    for name in FORTUNE_FILES:
        path = None
        for pkg in ("fortunes-min", "fortunes"):
            candidate = os.path.join(raw, "pkgs", pkg, "usr", "share", "games", "fortunes", name)
            if os.path.isfile(candidate):
                path = candidate
                break
        if path is None:
            raise SystemExit(f"fortunes: file {name} not found in the unpacked packages")
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for i, cookie in enumerate(re.split(r"^%\s*$", text, flags=re.M)):
            cookie = cookie.strip("\n")
            if len(cookie.strip()) < 8:
                continue
            docs.append((f"fortunes:{name}:{i}", cookie))
    return docs


# ----------------------------------------------------------------------------- main

def licence_quote(raw: str, src: Source) -> tuple[str, str]:
    """(copyright file path as installed, quoted text) or stop if the expected statement is missing."""
    pkg = src.package.split(",")[0].strip()
    path = os.path.join(raw, "pkgs", pkg, "usr", "share", "doc", pkg, "copyright")
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(src.licence_quote_re, text)
    if not m:
        raise SystemExit(f"{src.id}: licence statement not found in {path}; check the package's licence by hand")
    return f"/usr/share/doc/{pkg}/copyright", m.group(0)


def read_meta(raw: str, pkg: str, what: str) -> str:
    with open(os.path.join(raw, "pkgs", f"{pkg}.{what}"), encoding="utf-8") as f:
        return f.read().strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", required=True, help="directory written by prepare_demo_corpus.sh")
    ap.add_argument("--out", required=True, help="corpus directory to write")
    ap.add_argument("--max-mb", type=float, default=40.0, help="stop if the corpus text exceeds this")
    args = ap.parse_args(argv)

    sources = make_sources()
    by_id = {s.id: s for s in sources}
    by_id["austen"].docs = extract_austen(args.raw)
    by_id["kjv"].docs = extract_kjv(args.raw)
    for sid, module, _pkg in SWORD_MODULES:
        entries = read_imp(os.path.join(args.raw, "sword", module + ".imp"))
        by_id[sid].docs = extract_web(entries) if sid == "web" else extract_commentary(sid, entries)
    by_id["devil"].docs = extract_devil(args.raw)
    by_id["fortunes"].docs = extract_fortunes(args.raw)

    os.makedirs(args.out, exist_ok=True)
    meta = []
    total = 0
    # mtime=0 and a fixed order: the same packages give byte-identical files.
    with open(os.path.join(args.out, "train.jsonl.gz"), "wb") as ftrain_raw, \
            open(os.path.join(args.out, "val.jsonl.gz"), "wb") as fval_raw, \
            gzip.GzipFile(fileobj=ftrain_raw, mode="wb", mtime=0, filename="") as ftrain, \
            gzip.GzipFile(fileobj=fval_raw, mode="wb", mtime=0, filename="") as fval:
        for src in sources:
            counts = {"train": [0, 0], "val": [0, 0]}
            for key, text in src.docs:
                text = normalise(text)
                if not text:
                    continue
                split = "val" if is_val(key) else "train"
                line = json.dumps({"source": src.id, "text": text}, ensure_ascii=False) + "\n"
                (fval if split == "val" else ftrain).write(line.encode("utf-8"))
                counts[split][0] += 1
                counts[split][1] += len(text.encode("utf-8"))
            pkgs = [p.strip() for p in src.package.split(",")]
            copyright_path, quote = licence_quote(args.raw, src)
            nbytes = counts["train"][1] + counts["val"][1]
            total += nbytes
            meta.append({
                "id": src.id, "title": src.title, "packages": [
                    {"name": p, "version": read_meta(args.raw, p, "version"),
                     "deb_sha256": read_meta(args.raw, p, "sha256")} for p in pkgs],
                "licence": src.licence, "copyright_file": copyright_path, "licence_quote": quote,
                "note": src.note,
                "docs": counts["train"][0] + counts["val"][0], "bytes": nbytes,
                "train_docs": counts["train"][0], "train_bytes": counts["train"][1],
                "val_docs": counts["val"][0], "val_bytes": counts["val"][1],
            })
            print(f"{src.id:10s} {nbytes / 1e6:8.2f} MB  {len(src.docs):6d} docs  "
                  f"(val {counts['val'][0]} docs, {counts['val'][1] / 1e3:.0f} kB)", flush=True)
    if total > args.max_mb * 1e6:
        raise SystemExit(f"corpus is {total / 1e6:.1f} MB, over --max-mb {args.max_mb}")
    with open(os.path.join(args.out, "sources.json"), "w", encoding="utf-8") as f:
        json.dump({"total_bytes": total, "val_per_mille": VAL_PER_MILLE, "sources": meta}, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write(sources_markdown(meta, total))
    print(f"total      {total / 1e6:8.2f} MB -> {args.out}", flush=True)
    return 0


def sources_markdown(meta: list[dict], total: int) -> str:
    out = ["# Demo corpus: sources", "",
           "Made by `tools/prepare_demo_corpus.sh` from Debian 12 packages; each package's",
           "licence is quoted from its copyright file. Sizes are UTF-8 bytes of cleaned text.", "",
           "| source | package (version) | licence | size | documents | validation |",
           "|---|---|---|---:|---:|---:|"]
    for m in meta:
        pk = ", ".join(f"`{p['name']}` ({p['version']})" for p in m["packages"])
        out.append(f"| {m['title']} | {pk} | {m['licence']} | {m['bytes'] / 1e6:.2f} MB | "
                   f"{m['docs']} | {m['val_docs']} docs, {m['val_bytes'] / 1e3:.0f} kB |")
    out.append(f"| **total** | | | **{total / 1e6:.2f} MB** | | |")
    out.append("")
    for m in meta:
        out += [f"## {m['title']}", "",
                "- package: " + ", ".join(f"`{p['name']}` {p['version']} (.deb SHA-256 `{p['deb_sha256']}`)"
                                           for p in m["packages"]),
                f"- licence: {m['licence']}; from `{m['copyright_file']}`:", ""]
        out += ["    " + line for line in m["licence_quote"].split("\n")]
        out += ["", f"- processing: {m['note']}", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
