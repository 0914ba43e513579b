"""The LaTeX audit: each string of the audit corpus is read back by SymPy (same values at random
points), checked by regexes for forms that never render or read as something else, and rendered
by KaTeX under node. `python tests/latex_audit.py` prints the counts and every problem."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Iterable

import numpy as np

import symgrad as sg

from latex_oracle import compare

HERE = Path(__file__).resolve().parent

DIGIT_SPACE_DIGIT = re.compile(r"\d\s+\d")


def _double_script(text: str) -> bool:
    """Whether a superscript (or subscript) follows another directly: `e^{x^{2}}^{2}`."""
    position = 0
    while position < len(text):
        mark = text[position]
        if mark not in "^_":
            position += 1
            continue
        end = position + 1
        if text[end:end + 1] == "{":  # the script is a group: skip to its closing brace
            depth = 0
            for end in range(position + 1, len(text)):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                if depth == 0:
                    break
        if text[end + 1:end + 2] == mark:
            return True
        position += 1
    return False


def form_problems(text: str) -> list[str]:
    """Forms that do not render or read as other mathematics: two scripts on one base, two
    numbers side by side, unbalanced braces or `\\left`/`\\right`."""
    problems = []
    if _double_script(text):
        problems.append("double script")
    if DIGIT_SPACE_DIGIT.search(text):
        problems.append("digit-space-digit")
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        problems.append("unbalanced braces")
    if len(re.findall(r"\\left\W", text)) != len(re.findall(r"\\right\W", text)):
        problems.append(r"\left without \right")
    return problems


def points(names: Iterable[str], seed: int) -> list[dict[str, float]]:
    """Points in five ranges (inside the unit interval, above 1, above 2.5, near 0, negative),
    two each, so that functions defined on part of the line (acosh, asec, log, asech) meet
    some of their domain."""
    rng = np.random.default_rng(seed)
    found = []
    for low, high in ((0.25, 0.95), (1.2, 2.5), (2.5, 4.0), (0.02, 0.2), (-0.9, -0.25)):
        for _ in range(2):
            found.append({name: float(rng.uniform(low, high)) for name in sorted(names)})
    return found


def render_problems(texts: list[str]) -> list[str | None] | None:
    """KaTeX's error for each text (None where it renders), or None where node is missing."""
    node = shutil.which("node")
    if node is None:
        return None
    result = subprocess.run([node, str(HERE / "katex_render.js")],
                            input="".join(json.dumps(t) + "\n" for t in texts),
                            capture_output=True, text=True, check=True, timeout=300)
    return [json.loads(line) for line in result.stdout.splitlines()]


def audit(items: list[tuple[str, sg.Expr, bool]], seed: int = 0) -> dict[str, list[str]]:
    """The problems found, by kind: wrong (reads back to other values), unreadable (SymPy's
    reader cannot read it), unchecked (no finite point), forms (regexes), render (KaTeX)."""
    found: dict[str, list[str]] = {"wrong": [], "unreadable": [], "unchecked": [], "arrays": [],
                                   "forms": [], "render": []}
    texts = []
    for label, expr, is_array in items:
        text = expr.latex()
        texts.append(text)
        for problem in form_problems(text):
            found["forms"].append(f"{label}: {problem}: {text}")
        if is_array:
            found["arrays"].append(label)
            continue
        problem, compared = compare(expr, text, points(expr.symbols, seed))
        if problem is None and compared == 0:
            found["unchecked"].append(f"{label}: {text}")
        elif problem is not None and problem.startswith("unreadable"):
            found["unreadable"].append(f"{label}: {problem}")
        elif problem is not None:
            found["wrong"].append(f"{label}: {problem}")
    rendered = render_problems(texts)
    if rendered is not None:
        for (label, _, _), text, error in zip(items, texts, rendered):
            if error is not None:
                found["render"].append(f"{label}: {error}: {text}")
    return found


if __name__ == "__main__":
    import time

    from latex_audit_corpus import audited, expressions
    start = time.perf_counter()
    everything = list(audited())
    result = audit(everything)
    print(f"{len(expressions())} expressions, {len(everything)} LaTeX strings "
          f"({time.perf_counter() - start:.1f} s)")
    for kind, problems in result.items():
        print(f"{kind}: {len(problems)}")
    for kind, problems in result.items():
        if kind not in ("arrays",) and problems:
            print(f"\n== {kind}")
            print("\n".join(problems))
