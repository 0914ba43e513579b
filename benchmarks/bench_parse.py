"""Parse + build speed of `sg.parse`, beside Python's `ast.parse` (the floor) and SymPy.

    python benchmarks/bench_parse.py                 # 1,000 / 10,000 / 100,000 terms
    python benchmarks/bench_parse.py --quick         # 1,000 / 10,000, fewer repeats
    python benchmarks/bench_parse.py --parts 10000   # where the time per token goes (CPU time)
    python benchmarks/bench_parse.py --megabytes 5   # one input of that size, CPU seconds

`--parts` splits one parse into what it is made of, each in CPU microseconds per token (CPU
time, so that other processes on a shared machine count less): the regular-expression floor,
lark's lexer alone, lark's parser alone (building its own tree, no symgrad callbacks), the
same with lark-cython when it is installed, the builders alone (the same Expr built by
Python calls), the fast lane (symgrad/language/fastlane.py: its tokenizer alone, the lane
alone with every builder stubbed out, all of it), the lark path alone, the whole `sg.parse`
(which takes the fast lane for this input), and `sg.parse_latex` of the same sum in LaTeX.

The input is a sum of terms `3*x_i**2*x_j + x_i` with x_j = x_{i+1} (names mod n). All times
come from this one run: medians of a few repeats for the fast cases, one run for the slow ones.
SymPy's `parse_expr` runs at 1,000 terms only: it takes seconds there and hits Python's
recursion limit a few thousand terms later. `ast.parse` runs in a thread with a large stack,
since CPython's parser recurses once per `+` of the left-nested sum.
"""

from __future__ import annotations

import argparse
import ast
import gc
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import symgrad as sg  # noqa: E402

SYMPY_TERMS = 1_000
TOKEN = re.compile(r"\*\*|[^\W\d]\w*|\d+(?:\.\d*)?|\S")


def expression(terms: int) -> str:
    """The benchmark input: a sum of `terms` terms (twice as many summands)."""
    return " + ".join(f"3*x_{i}**2*x_{(i + 1) % terms} + x_{i}" for i in range(terms))


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """The median wall time of `run()`; each result is dropped before the next run."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def in_big_stack(run: Callable[[], float]) -> float:
    """`run()` in a thread with a 1 GiB stack and no practical recursion limit."""
    box: list[float] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10**7)
    threading.stack_size(1 << 30)
    try:
        worker = threading.Thread(target=lambda: box.append(run()))
        worker.start()
        worker.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    return box[0]


def sympy_seconds(text: str) -> float | None:
    """SymPy's `parse_expr` on `text`, or None when SymPy is missing or fails."""
    try:
        from sympy.parsing.sympy_parser import parse_expr
    except ImportError:
        return None
    try:
        return median_seconds(lambda: parse_expr(text), 1)
    except (RecursionError, ValueError):
        return None


def first_parse() -> tuple[float, float, float]:
    """Medians over fresh interpreters (cache warm): import, first parse, whole process."""
    code = ("import time; t0 = time.perf_counter(); import symgrad; t1 = time.perf_counter(); "
            "symgrad.parse('x+1'); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    root = str(Path(__file__).resolve().parent.parent)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, capture_output=True)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        samples.append((*map(float, done.stdout.split()), wall))
    imported, parsed, wall = (statistics.median(column) for column in zip(*samples))
    return imported, parsed, wall


def row(terms: int, repeats: int) -> str:
    text = expression(terms)
    tokens = len(TOKEN.findall(text))
    ours = median_seconds(lambda: sg.parse(text), repeats)
    floor = in_big_stack(lambda: median_seconds(lambda: ast.parse(text), repeats))
    theirs = sympy_seconds(text) if terms <= SYMPY_TERMS else None
    sympy_text = f"{theirs:9.3f}" if theirs is not None else f"{'-':>9}"
    speedup = f"{theirs / ours:8.0f}x" if theirs is not None else f"{'-':>9}"
    return (f"{terms:>8,} {tokens:>10,} {ours:10.3f} {ours / tokens * 1e6:9.2f} "
            f"{ours / floor:9.1f}x {sympy_text} {speedup}")


def cpu_per_token(run: Callable[[], object], tokens: int, repeats: int = 2) -> float:
    """The least CPU time of `run()` over `repeats`, in microseconds per token."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        result = run()
        best = min(best, time.process_time() - start)
        del result
    return best / tokens * 1e6


def latex_expression(terms: int) -> str:
    """The benchmark sum written as LaTeX: `3x_{i}^{2}x_{j} + x_{i}`."""
    return " + ".join(f"3x_{{{i}}}^{{2}}x_{{{(i + 1) % terms}}} + x_{{{i}}}"
                      for i in range(terms))


def built(terms: int) -> sg.Expr:
    """The benchmark's Expr built by the same builder calls the parser makes, without text."""
    from symgrad.core.expr import constant, symbol
    from symgrad.ops import functions
    names: dict[str, sg.Expr] = {}

    def name(text: str) -> sg.Expr:
        if text not in names:
            names[text] = symbol(text)
        return names[text]
    three, two = constant(3), constant(2)  # integer literals are exact, as the parser reads them
    summands = []
    for i in range(terms):
        summands.append(functions.multiply(
            [three, functions.power(name(f"x_{i}"), two), name(f"x_{(i + 1) % terms}")]))
        summands.append(name(f"x_{i}"))
    return functions.add(summands)


def stubbed(text: str) -> object:
    """The fast lane with every builder it calls (the arithmetic ones, `symbol` and `constant`)
    replaced by a C builtin that returns at once: the lane's own cost, its share of sg.parse."""
    import operator
    from symgrad.language import fastlane, parse as parse_module
    from symgrad.ops import functions
    stubs = [(functions, "add", len), (functions, "multiply", len), (functions, "negate", id),
             (functions, "divide", operator.is_), (functions, "power", operator.is_),
             (parse_module, "symbol", str), (parse_module, "constant", str)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in stubs]
    for module, name, stub in stubs:
        setattr(module, name, stub)
    try:
        return fastlane.parse_plain(text, {})
    finally:
        for module, name, builder in saved:
            setattr(module, name, builder)


def parts(terms: int) -> None:
    """Where the time of one parse goes, in CPU microseconds per token."""
    from lark import Lark
    from symgrad.language import fastlane, parse as parse_module
    text = expression(terms)
    if fastlane.parse_plain(text, {}) is not built(terms):
        raise SystemExit("the fast lane does not read the benchmark input to the built Expr")
    tokens = len(TOKEN.findall(text))
    grammar = parse_module._grammar_text()
    rows = [("regular-expression floor (re.findall)", lambda: TOKEN.findall(text))]
    for lexer in ("basic", "contextual"):
        plain = Lark(grammar, parser="lalr", lexer=lexer)
        if lexer == "basic":
            rows.append(("lark lexer alone (basic)", lambda plain=plain: list(plain.lex(text))))
        rows.append((f"lark parser alone, its own tree ({lexer} lexer)",
                     lambda plain=plain: plain.parse(text)))
    try:
        import lark_cython
        fast = Lark(grammar, parser="lalr", lexer="basic", _plugins=lark_cython.plugins)
        rows.append(("lark-cython lexer alone", lambda: list(fast.lex(text))))
        rows.append(("lark-cython parser alone, its own tree", lambda: fast.parse(text)))
    except ImportError:
        rows.append(("lark-cython: not installed (pip install lark-cython)", lambda: None))
    rows.append(("symgrad builders alone (no text)", lambda: built(terms)))
    rows.append(("fast lane tokenizer alone (re.findall)", lambda: fastlane.tokens(text)))
    rows.append(("fast lane alone, builders stubbed out", lambda: stubbed(text)))
    rows.append(("fast lane parse (fastlane.parse_plain)", lambda: fastlane.parse_plain(text, {})))
    rows.append(("lark path, all of it (parse_with_lark)",
                 lambda: parse_module.parse_with_lark(text, {})))
    rows.append(("sg.parse, all of it", lambda: sg.parse(text)))
    latex = latex_expression(terms)
    rows.append(("sg.parse_latex of the same sum in LaTeX", lambda: sg.parse_latex(latex)))
    sg.parse("x + 1"), sg.parse_latex("x + 1")
    print(f"{terms:,} terms, {tokens:,} tokens; CPU microseconds per token")
    for label, run in rows:
        print(f"  {label:<55} {cpu_per_token(run, tokens):8.2f}", flush=True)


def megabytes(size: float) -> None:
    """`sg.parse` of one generated input of `size` MB: CPU seconds and per token."""
    sample = 100_000  # names grow with the term count: measure the length per term at scale
    terms = max(1, int(size * 1e6 / (len(expression(sample)) / sample)))
    text = expression(terms)
    tokens = len(TOKEN.findall(text))
    sg.parse("x + 1")
    seconds = cpu_per_token(lambda: sg.parse(text), tokens, repeats=1) * tokens / 1e6
    print(f"{len(text) / 1e6:.2f} MB, {tokens:,} tokens: {seconds:.1f} CPU s, "
          f"{seconds / tokens * 1e6:.2f} us/token")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="skip 100,000 terms")
    options.add_argument("--parts", type=int, metavar="TERMS",
                         help="split the time per token into its parts, for TERMS terms")
    options.add_argument("--megabytes", type=float, metavar="MB",
                         help="parse one generated input of MB megabytes")
    arguments = options.parse_args()
    if arguments.parts:
        parts(arguments.parts)
        return
    if arguments.megabytes:
        megabytes(arguments.megabytes)
        return
    quick = arguments.quick
    sizes = [(1_000, 5), (10_000, 3)] + ([] if quick else [(100_000, 1)])
    sg.parse("x + 1")  # build (or load) the parser outside the timings
    print(f"python {sys.version.split()[0]}, symgrad {sg.__version__}")
    print(f"{'terms':>8} {'tokens':>10} {'symgrad s':>10} {'us/token':>9} {'vs ast':>10} "
          f"{'sympy s':>9} {'vs sympy':>9}")
    for terms, repeats in sizes:
        print(row(terms, repeats), flush=True)
    imported, parsed, wall = first_parse()
    print(f"\nfresh interpreter, cache warm: import symgrad {imported * 1e3:.0f} ms, "
          f"first parse {parsed * 1e3:.1f} ms, whole process {wall * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
