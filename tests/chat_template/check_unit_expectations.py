#!/usr/bin/env python3
"""Checks the chat template unit tests' expected strings against Python Jinja2.

Every `EXPECT_EQ(render("template"[, context]), "expected")` in tests/unit/chat_template/*_test.cc
whose arguments are string literals (or `const std::string` literals defined above it) is rendered
with python_oracle.make_environment() (Jinja2 set up as transformers sets it up) and compared with
the test's expectation, so the unit tests encode Python's behaviour rather than the engine's own
idea of it. Templates using list.append are skipped: Python's sandbox refuses it, turbine accepts it.

  python3 tests/chat_template/check_unit_expectations.py   # needs jinja2; exit 1 on a difference
"""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    from python_oracle import make_environment  # noqa: E402
except ImportError:
    print("SKIP: jinja2 is not installed for this python3")
    sys.exit(77)  # ctest's "skipped"

LITERAL = re.compile(r'R"\((.*?)\)"|"((?:[^"\\]|\\.)*)"', re.S)
ESCAPES = {"n": 10, "t": 9, "r": 13, '"': 34, "\\": 92, "'": 39, "a": 7, "b": 8, "f": 12, "v": 11}


def cpp_unescape(text):
    out, raw, i = bytearray(), text.encode("utf-8"), 0
    while i < len(raw):
        if raw[i] != 0x5C:
            out.append(raw[i])
            i += 1
            continue
        escape = chr(raw[i + 1])
        if escape == "x":
            j = i + 2
            while j < len(raw) and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2:j], 16))
            i = j
        else:
            out.append(ESCAPES[escape])
            i += 2
    return out.decode("utf-8")


def join_literals(text):
    return "".join(m.group(1) if m.group(1) is not None else cpp_unescape(m.group(2)) for m in LITERAL.finditer(text))


def main():
    env = make_environment()
    checked = differing = 0
    for path in sorted(glob.glob(os.path.join(HERE, "..", "unit", "chat_template", "*_test.cc"))):
        source = open(path, encoding="utf-8").read()
        constants = {}
        for m in re.finditer(r'const std::string (\w+) =\s*((?:(?:R"\(.*?\)"|"(?:[^"\\]|\\.)*")\s*)+);', source, re.S):
            constants.setdefault(m.group(1), []).append((m.start(), join_literals(m.group(2))))
        pattern = r'EXPECT_EQ\(render\((.*?)\),\s*((?:(?:R"\(.*?\)"|"(?:[^"\\]|\\.)*")\s*)+)\);'
        for m in re.finditer(pattern, source, re.S):
            parts, current, usable = [], None, True
            for tok in re.finditer(r'R"\((.*?)\)"|"((?:[^"\\]|\\.)*)"|(,)|(\w+)|(\+)|(\S)', m.group(1), re.S):
                if tok.group(3):
                    parts.append(current)
                    current = None
                elif tok.group(4):
                    defined = [v for (pos, v) in constants.get(tok.group(4), []) if pos < m.start()]
                    if not defined:
                        usable = False
                        break
                    current = (current or "") + defined[-1]
                elif tok.group(6):
                    usable = False
                    break
                elif not tok.group(5):
                    current = (current or "") + (tok.group(1) if tok.group(1) is not None else cpp_unescape(tok.group(2)))
            if not usable:
                continue
            parts.append(current)
            template = parts[0]
            if ".append(" in template:
                continue
            expected = join_literals(m.group(2))
            context = json.loads(parts[1]) if len(parts) > 1 else {}
            checked += 1
            try:
                got = env.from_string(template).render(**context)
            except Exception as e:  # noqa: BLE001 - a Python error is a difference too
                got = f"ERROR {type(e).__name__}: {e}"
            if got != expected:
                differing += 1
                print(f"{os.path.basename(path)}: {template!r}\n  test expects {expected!r}\n  python gives {got!r}")
    print(f"{checked} expectations checked against Python Jinja2, {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
