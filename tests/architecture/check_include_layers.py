#!/usr/bin/env python3
"""Checks every #include under src/ against the layer order written in docs/architecture.md.

The order lives in the architecture page itself, between the markers `<!-- layers:begin -->` and
`<!-- layers:end -->`: one line per layer, lowest first, each line naming folders of src/
(`engine/loop` is more specific than `engine`, so a file belongs to the longest folder that
contains it). A file may include files of its own folder and of folders on lower lines; an
include of a folder on the same line (peers such as tokenizer and backend) or on a higher line
is an edge that runs back up, and fails the check. A folder of src/ that the page does not place
fails too, so a new folder must be given its place before it can be used.

  check_include_layers.py --src SRC_DIR --doc ARCHITECTURE_MD
  check_include_layers.py --self-test      # the checker catches what it should (runs in CTest too)
"""
import argparse
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_SUFFIXES = (".h", ".cc", ".cu", ".cuh", ".inc")


def read_layers(doc_path):
    text = open(doc_path, encoding="utf-8").read()
    m = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", text, re.DOTALL)
    if not m:
        raise SystemExit(f"{doc_path}: no <!-- layers:begin --> ... <!-- layers:end --> block")
    layers = {}
    level = 0
    for line in m.group(1).splitlines():
        line = line.strip().strip("`").strip()
        if not line or line.startswith("```"):
            continue
        for folder in line.split():
            folder = folder.strip("`,").rstrip("/")
            if folder in layers:
                raise SystemExit(f"{doc_path}: folder {folder} is placed twice")
            layers[folder] = level
        level += 1
    if not layers:
        raise SystemExit(f"{doc_path}: the layers block is empty")
    return layers


def folder_of(rel_path, layers):
    """The longest layer folder containing rel_path (a path relative to src/), or None."""
    parts = rel_path.split("/")[:-1]
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        if candidate in layers:
            return candidate
    return None


def check(src_dir, layers):
    errors = []
    for root, _, files in os.walk(src_dir):
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src_dir).replace(os.sep, "/")
            if "/" not in rel:
                continue  # files directly in src/ (build glue) belong to no layer
            own = folder_of(rel, layers)
            if own is None:
                errors.append(f"src/{rel}: its folder is not placed in the layer order")
                continue
            text = open(path, encoding="utf-8", errors="replace").read()
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                # A path relative to the including file (kernels include their .cuh neighbours).
                local = os.path.normpath(os.path.join(os.path.dirname(rel), target)).replace(os.sep, "/")
                if os.path.exists(os.path.join(src_dir, local)) and not target.startswith(".."):
                    target_rel = local
                elif os.path.exists(os.path.join(src_dir, target)):
                    target_rel = target
                else:
                    continue  # not a project file (a system or generated header)
                other = folder_of(target_rel, layers)
                if other is None:
                    errors.append(f"src/{rel}:{line}: includes {target}, whose folder is not placed in the layer order")
                elif other != own and layers[other] >= layers[own]:
                    how = "a peer on the same layer" if layers[other] == layers[own] else "a higher layer"
                    errors.append(f"src/{rel}:{line}: includes {target}: {other} is {how} than {own}")
    return errors


def self_test():
    doc = "<!-- layers:begin -->\ncommon\ntokenizer backend\nengine\nengine/loop\n<!-- layers:end -->\n"
    cases = {
        # files -> expected number of errors
        "ok": ({"common/a.h": "", "backend/b.h": '#include "common/a.h"\n',
                "engine/loop/c.cc": '#include "engine/d.h"\n#include "backend/b.h"\n',
                "engine/d.h": '#include "common/a.h"\n#include <vector>\n'}, 0),
        "back edge": ({"common/a.h": '#include "engine/d.h"\n', "engine/d.h": ""}, 1),
        "core above loop": ({"engine/d.h": '#include "engine/loop/c.h"\n', "engine/loop/c.h": ""}, 1),
        "peers": ({"tokenizer/t.h": '#include "backend/b.h"\n', "backend/b.h": ""}, 1),
        "unplaced folder": ({"newthing/x.h": ""}, 1),
        "relative neighbour": ({"backend/k.cu": '#include "k.cuh"\n', "backend/k.cuh": ""}, 0),
    }
    failures = 0
    for name, (files, expected) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            for rel, content in files.items():
                os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
                open(os.path.join(src, rel), "w").write(content)
            doc_path = os.path.join(tmp, "architecture.md")
            open(doc_path, "w").write(doc)
            errors = check(src, read_layers(doc_path))
            if len(errors) != expected:
                failures += 1
                print(f"self-test '{name}': expected {expected} errors, got {errors}")
    print(f"self-test: {len(cases) - failures} passed, {failures} failed")
    return failures == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src")
    parser.add_argument("--doc")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    if not args.src or not args.doc:
        parser.error("--src and --doc are required")
    layers = read_layers(args.doc)
    errors = check(args.src, layers)
    for e in errors:
        print(e)
    print(f"include layers: {len(errors)} edges against the order in {args.doc}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
