"""A short fuzz run in the suite (a few seconds): generated and mutated text through parse,
diff, eval, compile, pickle and the CLI raises nothing but `SymgradError`s, and every Expr and
kernel survives a pickle round trip (the same interned object back). `benchmarks/fuzz.py` is
the long run, with the outcome table."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import pickle
import random
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.cli import main as cli_main

_SPEC = importlib.util.spec_from_file_location(
    "symgrad_fuzz", Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_SPEC)  # type: ignore[arg-type]
_SPEC.loader.exec_module(fuzz)  # type: ignore[union-attr]

SHORT = settings(max_examples=60, deadline=None)


@st.composite
def texts(draw: st.DrawFn) -> str:
    """A generated expression, mutated half of the time (the benchmark's generator)."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    text = fuzz.generate(rng)
    return fuzz.mutate(rng, text) if draw(st.booleans()) else text


@SHORT
@given(texts(), st.integers(0, 2**32 - 1))
def test_the_pipeline_raises_only_symgrad_errors_and_pickles_round_trip(text: str, seed: int):
    with np.errstate(all="ignore"):
        # The text round trip is the printer's contract, tested with the printer.
        result = fuzz.pipeline(text, random.Random(seed), check_text_round_trip=False)
    assert not result.startswith("BUG"), (result, text)


@SHORT
@given(st.lists(st.sampled_from(fuzz.GARBAGE + fuzz.NAMES + fuzz.NUMBERS + fuzz.UNARY),
                max_size=20))
def test_random_text_to_parse_is_an_expr_or_a_symgrad_error(tokens: list[str]):
    text = "".join(tokens)
    try:
        expr = sg.parse(text)
    except sg.SymgradError:
        return
    assert pickle.loads(pickle.dumps(expr)) is expr


COMMANDS = ["diff", "grad", "eval", "steps", "compile", "graph", "check"]
OPTIONS = ["--at", "--wrt", "--order", "--shapes", "--latex", "--grad", "-o"]
VALUES = ["x=1", "x=1,x=2", "x=[1,2]", "x", "1000000000", "-1", "w=3", "w=100000", "x=nan",
          "y=1e999", "", "α", "=", "x=pi/2", "w=2x2", "x=(1"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(COMMANDS), texts(),
       st.lists(st.sampled_from(OPTIONS + VALUES), max_size=5))
def test_cli_main_with_random_arguments_exits_0_1_or_2(command: str, text: str, extra: list[str]):
    argv = [command, text, *extra]
    if "-o" in argv:
        argv = argv[: argv.index("-o")]  # no files written
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        with np.errstate(all="ignore"):
            code = cli_main(argv)
    assert code in (0, 1, 2)
    assert "Traceback" not in err.getvalue()
