"""Fuzz the whole pipeline and count outcomes by class; run before each release.

    python benchmarks/fuzz.py                  # 20,000 inputs, seed 0
    python benchmarks/fuzz.py -n 500 --seed 7  # a short run
    python benchmarks/fuzz.py --show 5         # print up to 5 inputs of each bad class

Each input is a generated expression (a random program in the expression language: calls,
operators, implicit products, arrays, subscripts, `where`, statements, odd numbers such as 1e999)
or a mutation of one (characters inserted, deleted, replaced, substrings duplicated). It goes
through parse -> str round trip -> diff -> eval -> compile (with the gradient) -> pickle round
trip, and through the CLI (`main([...])`) with a point. Outcome classes:

- `ok`: every stage ran (a `SymgradError` raised by a later stage counts by its class);
- `SymgradError <Class> at <stage>`: the input was refused with a symgrad error (fine);
- `BUG other exception at <stage>`: any other exception (a bug: the contract says none);
- `BUG wrong round trip` (`parse(str(e)) is not e`) and `BUG pickle` (not the same object back);
- `BUG timeout`: one input took longer than --timeout seconds.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import pickle
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import symgrad as sg  # noqa: E402
from symgrad.cli import main as cli_main  # noqa: E402

SHAPES = {"w": (3,), "A": (2, 2)}
UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "erf",
         "asin", "acos", "atan", "sinh", "cosh", "log2", "log10", "cbrt", "sign", "softplus",
         "sum", "mean", "prod", "norm", "transpose"]
BINARY = ["min", "max", "atan2", "dot", "log"]
NUMBERS = ["0", "1", "2", "3", "0.5", ".5", "2.5", "1e-3", "1e999", "1e308", "pi", "e", "-0.0",
           "1/3", "10", "100", "0.1"]
NAMES = ["x", "y", "u", "t", "w", "A"]
OPERATORS = ["+", "-", "*", "/", "^", "**", "@", " "]
GARBAGE = list("()[]|,;=+-*/^@.<>!_ \n\t0123456789xyzweπ√²⁻·×÷−") + ["sin", "log_", "d/dx"]


class Timeout(Exception):
    """One input ran over its time."""


def generate(rng: random.Random, depth: int = 0) -> str:
    """A random expression in the language (often ill-shaped or out of domain: that is fine)."""
    if depth > 4 or rng.random() < 0.3:
        return rng.choice(NAMES + NUMBERS)
    kind = rng.random()
    if kind < 0.3:
        return f"{rng.choice(UNARY)}({generate(rng, depth + 1)})"
    if kind < 0.4:
        return f"{rng.choice(BINARY)}({generate(rng, depth + 1)}, {generate(rng, depth + 1)})"
    if kind < 0.7:
        operator = rng.choice(OPERATORS)
        return f"({generate(rng, depth + 1)}){operator}({generate(rng, depth + 1)})"
    if kind < 0.78:
        items = ", ".join(generate(rng, depth + 2) for _ in range(rng.randint(1, 3)))
        return f"[{items}]"
    if kind < 0.84:
        comparison = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        return (f"where({generate(rng, depth + 1)} {comparison} {generate(rng, depth + 1)}, "
                f"{generate(rng, depth + 1)}, {generate(rng, depth + 1)})")
    if kind < 0.88:
        return f"{rng.choice(['w', 'A'])}[{rng.choice(['0', '1', '-1', '1:', ':2', '0, 1'])}]"
    if kind < 0.92:
        return f"|{generate(rng, depth + 1)}|"
    if kind < 0.96:
        return f"z = {generate(rng, depth + 1)}; z*{generate(rng, depth + 1)}"
    return f"{rng.choice(['2', '3', 'x', ''])}{rng.choice(['sin ', 'ln ', 'x', '(x+1)'])}{generate(rng, depth + 1)}"


def mutate(rng: random.Random, text: str) -> str:
    """`text` with a few random edits."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        position = rng.randint(0, len(chars))
        action = rng.random()
        if action < 0.3:
            chars[position:position] = list(rng.choice(GARBAGE))
        elif action < 0.55 and chars:
            del chars[min(position, len(chars) - 1)]
        elif action < 0.8 and chars:
            chars[min(position, len(chars) - 1)] = rng.choice(GARBAGE)
        else:
            end = min(len(chars), position + rng.randint(1, 8))
            chars[position:position] = chars[position:end] * rng.randint(1, 3)
    return "".join(chars)


def inputs(rng: random.Random) -> Iterator[str]:
    """Generated and mutated inputs, half of each."""
    while True:
        text = generate(rng)
        yield text if rng.random() < 0.5 else mutate(rng, text)


def point_for(expr: sg.Expr, rng: random.Random) -> dict[str, Any]:
    """Values for the free symbols: random numbers, now and then a special one."""
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, -2.0, 1e300]
    point = {}
    for name, shape in expr.symbol_shapes.items():
        values = [rng.choice(special) if rng.random() < 0.15 else rng.uniform(-3, 3)
                  for _ in range(int(np.prod(shape)))]
        point[name] = np.array(values).reshape(shape) if shape else values[0]
    return point


def pipeline(text: str, rng: random.Random, check_text_round_trip: bool = True) -> str:
    """The outcome class of `text` through every stage (see the module docstring)."""
    stage = "parse"
    try:
        expr = sg.parse(text, shapes=SHAPES)
        stage = "str round trip"
        if check_text_round_trip:
            printed = str(expr)
            if sg.parse(printed, shapes=expr.symbol_shapes) is not expr:
                return "BUG wrong round trip"
        stage = "pickle"
        if pickle.loads(pickle.dumps(expr)) is not expr:
            return "BUG pickle"
        names = expr.symbols
        stage = "diff"
        derivative = sg.diff(expr, names[0]) if names else expr
        if pickle.loads(pickle.dumps(derivative)) is not derivative:
            return "BUG pickle"
        stage = "eval"
        point = point_for(expr, rng)
        value = expr.eval(**point)
        derivative.eval(**point)
        stage = "compile"
        kernel = sg.compile(expr, grad=expr.shape == () and bool(names))
        kernel(**point)
        stage = "pickle kernel"
        pickle.loads(pickle.dumps(kernel))(**point)
        stage = "cli"
        at = ",".join(f"{name}={np.asarray(v).tolist()}" for name, v in point.items())
        argv = ["eval", text] + (["--at", at.replace("nan", "0").replace("inf", "1")] if at else [])
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = cli_main(argv + ["--shapes", "w=3,A=2x2"])
        if code not in (0, 1, 2):
            return f"BUG cli exit {code}"
        del value
    except Timeout:
        raise
    except sg.SymgradError as error:
        return f"SymgradError {type(error).__name__} at {stage}"
    except Exception as error:  # noqa: BLE001  anything else is a bug: counted, not raised
        return f"BUG other exception at {stage}: {type(error).__name__}"
    return "ok"


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="inputs to run (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--show", type=int, default=3, help="examples to print per bad class")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[str]] = collections.defaultdict(list)
    signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    source = inputs(rng)
    for _ in range(args.n):
        text = next(source)
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            with np.errstate(all="ignore"):
                result = pipeline(text, rng)
        except Timeout:
            result = "BUG timeout"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        counts[result] += 1
        if result.startswith("BUG") and len(examples[result]) < args.show:
            examples[result].append(text)
    elapsed = time.perf_counter() - started
    print(f"{args.n} inputs, seed {args.seed}, {elapsed:.0f} s")
    width = max(len(name) for name in counts)
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<{width}}  {count:>7}")
    bugs = sum(count for name, count in counts.items() if name.startswith("BUG"))
    print(f"bugs: {bugs}")
    for name, texts in sorted(examples.items()):
        print(f"{name}:")
        for text in texts:
            print(f"    {text!r}")


if __name__ == "__main__":
    main()
