#!/usr/bin/env python3
"""Writes corpus/assigned_unicode.json: [first, last] code point ranges that Python's unicodedata
calls assigned (not Cn, not a surrogate). make_corpus.mjs draws its random characters from it, so
the random corpus is fixed to one Unicode version (14.0 on Debian 12's Python) rather than to
whatever Node's ICU ships, and characters newer than that appear only in labelled samples."""
import json
import pathlib
import unicodedata

ranges = []
for code in range(0x110000):
    if unicodedata.category(chr(code)) in ("Cn", "Cs"):
        continue
    if ranges and ranges[-1][1] == code - 1:
        ranges[-1][1] = code
    else:
        ranges.append([code, code])

out = pathlib.Path(__file__).parent / "corpus" / "assigned_unicode.json"
out.write_text(json.dumps({"unicode_version": unicodedata.unidata_version, "ranges": ranges},
                          separators=(",", ":")) + "\n")
print(f"wrote {out}: Unicode {unicodedata.unidata_version}, {len(ranges)} ranges")
