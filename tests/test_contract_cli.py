"""Contract section 6 (the command line) as a new user meets it: `--version`, `compile
--backend`, and bad flag values, each exit 2 with one message and no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import symgrad as sg
from needs import module
from symgrad.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def test_version_flag_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["--version"])
    assert stop.value.code == 0
    assert main(["--version"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.endswith(sg.__version__), printed
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == sg.__version__


def test_python_m_symgrad_version_runs_as_a_program():
    done = subprocess.run([sys.executable, "-m", "symgrad", "--version"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"symgrad {sg.__version__}"


def _kernel_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_compile_backend_numpy_is_the_default_source(capsys):
    default = _kernel_text(["compile", "x*y + sin(x)", "--grad"], capsys)
    chosen = _kernel_text(["compile", "x*y + sin(x)", "--grad", "--backend", "numpy"], capsys)
    assert default == chosen
    assert default.rstrip() == sg.compile(sg.parse("x*y + sin(x)"), grad=True).source.rstrip()


def test_compile_backend_numba_prints_the_fused_loop(capsys):
    module("numba", "the numba backend's source is printed by `symgrad compile --backend numba`")
    text = _kernel_text(["compile", "x*y + sin(x)", "--grad", "--backend", "numba"], capsys)
    assert "numba.njit" in text and "for i in range(" in text
    assert text.rstrip() == sg.compile(sg.parse("x*y + sin(x)"), grad=True,
                                       backend="numba").source.rstrip()


def test_compile_backend_cupy_prints_cuda_source_without_a_gpu(capsys):
    text = _kernel_text(["compile", "x*y + sin(x)", "--backend", "cupy"], capsys)
    assert "ElementwiseKernel" in text
    assert "sin(" in text


# Bad values of every kind of flag: exit 2, the message on stderr, never a traceback.
BAD_FLAGS = [
    (["compile", "x", "--backend", "jax"], "invalid choice"),
    (["serve", "--port", "99999"], "0 to 65535"),
    (["serve", "--port", "-1"], "0 to 65535"),
    (["serve", "--port", "http"], "whole number"),
    (["diff", "x^2", "--order", "-1"], "order"),
    (["diff", "x^2", "--order", "two"], "invalid int"),
    (["diff", "x^2", "--order", "100000"], "MAX_ORDER"),
    (["diff", "x^2", "--wrt", "3"], "identifier"),
    (["diff", "x y"], "variables: x, y"),
    (["diff", "x^2", "--at", "x"], "name=value"),
    (["diff", "x^2", "--at", "x=abc"], "cannot use variables"),
    (["eval", "x^2", "--at", "x=[1,2"], "unbalanced"),
    (["eval", "x^2"], "no value given"),
    (["series", "sin(x)", "--order", "-3"], "order"),
    (["series", "sin(x)", "--at", "y"], "--at"),
    (["plot", "sin(x)", "--range", "3:-3", "-o", "never.png"], "--range"),
    (["graph", "sin(x)", "-o", "dag.xyz"], "-o"),
    (["verify", "x^2", "2x", "--order", "0"], "order"),
    (["check", "x^2 y", "--wrt", "x,,"], "identifier"),
    (["diff", "x^2", "--shapes", "x=abc"], "--shapes"),
    (["plot", "sin(x)", "--range", "-1e308:1e308", "-o", "never.png"], "finite"),
    (["plot", "sin(x)", "--range", "nan:1", "-o", "never.png"], "--range"),
    (["verify", "x^2", "2x", "--at", "x=a:b"], "--at x=a"),
    (["verify", "x^2", "2x", "--at", "3x=1:2"], "'3x'"),
    (["verify", "x^2", "2x", "--at", "x=10:5"], "low < high"),
]


@pytest.mark.parametrize("argv, says", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flag_values_exit_2_with_a_message(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert says in captured.err, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not any(tmp_path.iterdir())  # nothing written on bad input


def test_diff_without_wrt_uses_the_only_variable(capsys):
    assert main(["diff", "x^3"]) == 0
    assert capsys.readouterr().out.strip() == "3*x**2"
    assert str(sg.diff("x^3")) == "3*x**2"
    assert sg.diff("x^3", order=2).eval(x=2.0) == pytest.approx(12.0)  # 6x at 2
    with pytest.raises(sg.ArgumentError, match="variables: x, y"):
        sg.diff("x*y")


def test_cli_output_is_the_python_result_for_the_readme_commands(capsys):
    # README's command-line block: the printed text is the library's str().
    assert main(["diff", "3x^2 + 4x + 2u x", "--wrt", "x"]) == 0
    assert capsys.readouterr().out.strip() == "2*u + 6*x + 4"
    assert main(["eval", "3x^2 + 4x + 2u x", "--at", "x=3,u=2"]) == 0
    assert float(capsys.readouterr().out) == 3 * 9 + 4 * 3 + 2 * 2 * 3
    assert main(["series", "exp(x)*sin(x)", "--wrt", "x", "--order", "5"]) == 0
    printed = capsys.readouterr().out.strip()
    polynomial = sg.parse(printed)
    points = np.linspace(-0.1, 0.1, 7)
    truncation = np.abs(points) ** 6  # the omitted terms are O(x^6)
    assert np.all(np.abs(polynomial.eval(x=points) - np.exp(points) * np.sin(points)) <= truncation)
    assert re.fullmatch(r"[-x0-9*/+ ]+", printed)  # exact coefficients, no decimals
