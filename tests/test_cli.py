"""The command line: each subcommand's happy path and its bad-input path (exit 2, no traceback)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

import symgrad as sg
from symgrad.cli import main, parse_point, parse_shapes
from strategies import E_TEXT

HAPPY = [
    (["diff", "3x^2 + 4x + 2u x", "--wrt", "x", "--at", "x=3,u=2"], ["2*u + 6*x + 4", "at x=3, u=2: 26"]),
    (["diff", "x^3", "--order", "2"], ["6*x"]),
    (["diff", "sin(x^2)", "--latex"], [r"\cos\left(x^{2}\right)"]),
    (["diff", "x @ x", "--at", "x=[1,2,3]"], ["2*x", "[2, 4, 6]"]),
    (["grad", "x^2 y + sin(y)", "--at", "x=1,y=2"], ["d/dx = 2*x*y = 4", "d/dy = x**2 + cos(y) = 0.583853163453"]),
    (["eval", "3x^2 + 4x + 2u x", "--at", "x=3,u=2"], ["51"]),
    (["eval", "-x^2", "--at", "x=2"], ["-4"]),
    (["eval", "sum(w)", "--shapes", "w=3", "--at", "w=[1,2,3.5]"], ["6.5"]),
    (["eval", "sin(t)", "--at", "t=pi/2"], ["1"]),
    (["check", "3x^2 + 4x + 2u x", "--at", "x=3,u=2"], ["all methods agree", "d/dx", "26"]),
    (["steps", "x sin(x)", "--wrt", "x"], ["product rule", "result: d/dx x*sin(x) = x*cos(x) + sin(x)"]),
    (["steps", "x sin(x)", "--latex"], [r"\begin{aligned}"]),
    (["compile", "sin(x) y", "--grad"], ["def ", "np.sin"]),
    (["graph", "sin(x)^2 + sin(x)"], ["digraph", "sin"]),
]


@pytest.mark.parametrize("argv, expected", HAPPY, ids=[" ".join(a[:2]) for a, _ in HAPPY])
def test_happy_paths(argv, expected, capsys):
    assert main(argv) == 0
    captured = capsys.readouterr()
    for text in expected:
        assert text in captured.out
    assert captured.err == ""


BAD = [
    ["diff", "3x^2 + 2u x"],                       # which variable?
    ["diff", "sin(x", "--wrt", "x"],
    ["grad", "[x, y]"],
    ["eval", "x + y", "--at", "x=1"],
    ["eval", "x", "--at", "x=="],
    ["eval", "x", "--at", "x=y"],
    ["verify", "sin(x", "cos(x)", "--wrt", "x"],
    ["steps", "atn2(x, 1)", "--wrt", "x"],
    ["compile", "x +* y"],
    ["graph", "x", "-o", "dag.txt"],
    ["plot", "x^2", "--wrt", "x", "--range", "3:-3", "-o", "p.png"],
    ["eval", "x", "--shapes", "x=three"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) for a in BAD])
def test_bad_input_exits_2_with_a_message_and_no_traceback(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err and captured.out == ""


def test_parse_error_shows_the_caret(capsys):
    assert main(["eval", "sin(x", "--at", "x=1"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[1].strip() == "sin(x" and lines[2].strip() == "^"


def test_argparse_errors_exit_2(capsys):
    assert main(["nonsense"]) == 2
    assert main(["diff"]) == 2
    assert main(["--help"]) == 0
    assert "example" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["diff", "grad", "eval", "check", "verify", "steps", "compile",
                                     "graph", "plot", "demo"])
def test_every_subcommand_help_has_an_example(command, capsys):
    assert main([command, "--help"]) == 0
    assert "example:\n  symgrad " + command in capsys.readouterr().out


def test_non_finite_values_warn(capsys):
    assert main(["eval", "log(x)", "--at", "x=-1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "nan" and "not finite" in captured.err


def test_check_help_and_demo_say_which_columns_are_independent(capsys):
    assert main(["check", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "symgrad's rules (closed form, reverse mode)" in help_text
    assert "independent oracles (finite differences, SymPy)" in help_text
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "independent oracle" in out and "a wrong rule shows in all four" in out
    assert "closed form  reverse  tensor  kernel  |  finite diff" in out


def test_check_exit_code_is_1_when_methods_disagree(capsys):
    # at a bound clamp passes the gradient (PyTorch); finite differences and SymPy say 1/2
    assert main(["check", "clamp(x, 0, 1)", "--at", "x=0"]) == 1
    assert "differs" in capsys.readouterr().out


def test_graph_writes_dot_and_svg_needs_graphviz(tmp_path, capsys):
    target = tmp_path / "dag.dot"
    assert main(["graph", "x*y + x", "-o", str(target)]) == 0
    assert target.read_text().startswith("digraph")
    svg = tmp_path / "dag.svg"
    code = main(["graph", "x*y + x", "-o", str(svg)])
    if shutil.which("dot"):
        assert code == 0 and "<svg" in svg.read_text()
    else:
        assert code == 2 and "Graphviz" in capsys.readouterr().err


def test_plot_writes_png_or_explains_missing_matplotlib(tmp_path, capsys):
    target = tmp_path / "plot.png"
    code = main(["plot", "sin(x) x", "--wrt", "x", "--range", "-3:3", "-o", str(target)])
    if importlib.util.find_spec("matplotlib") is None:
        assert code == 2 and "pip install 'symgrad[plot]'" in capsys.readouterr().err
    else:
        assert code == 0 and target.read_bytes()[:4] == b"\x89PNG"


def test_demo_is_short_and_every_method_agrees(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 80
    assert "all five methods agree" in out
    for value in ("26", "19", "-7.66128", "6.69176", "480", "256"):
        assert value in out


def test_point_and_shape_options():
    assert parse_point("x=3, w=[1, 7, -2], t=pi") ["w"].tolist() == [1.0, 7.0, -2.0]
    assert parse_shapes("x=3,A=2x3") == {"x": (3,), "A": (2, 3)}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, env=env)


def test_python_dash_m_verify_exit_codes():
    right = _run("-m", "symgrad", "verify", "sin(x^2)", "2x cos(x^2)", "--wrt", "x")
    wrong = _run("-m", "symgrad", "verify", "sin(x^2)", "cos(x^2)", "--wrt", "x")
    assert right.returncode == 0 and right.stdout.startswith("correct")
    assert wrong.returncode == 1 and "x=" in wrong.stdout


def test_eval_imports_no_sympy_and_demo_is_fast():
    done = _run("-X", "importtime", "-m", "symgrad", "eval", "3x^2 + 4x + 2u x", "--at", "x=3,u=2")
    assert done.returncode == 0 and done.stdout.strip() == "51"
    assert not _imported(done.stderr, "sympy") and not _imported(done.stderr, "matplotlib")
    start = time.perf_counter()
    demo = _run("-m", "symgrad", "demo")
    assert demo.returncode == 0 and time.perf_counter() - start < 4.0  # 2 s budget, slow CI margin
    assert not _imported(_run("-X", "importtime", "-m", "symgrad", "demo").stderr, "sympy")


def _imported(importtime: str, package: str) -> bool:
    """Whether `python -X importtime` output lists `package` (not merely a name containing it)."""
    return any(line.rsplit("|", 1)[-1].strip().split(".")[0] == package
               for line in importtime.splitlines())


def test_at_with_a_name_twice_is_an_error(capsys):
    assert main(["eval", "x", "--at", "x=1,x=2"]) == 2
    assert "x twice" in capsys.readouterr().err


def run_cli(*args: str, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True,
                          text=True, timeout=timeout)


class TestCLI:
    def test_diff(self):
        r = run_cli("diff", E_TEXT, "--wrt", "x")
        assert r.returncode == 0, r.stderr
        assert sg.parse(r.stdout.strip().splitlines()[0]) is sg.diff(sg.parse(E_TEXT), "x")

    def test_diff_order_at(self):
        r = run_cli("diff", "x**3", "--wrt", "x", "--order", "2", "--at", "x=2")
        assert r.returncode == 0 and "12" in r.stdout

    def test_diff_latex(self):
        r = run_cli("diff", "sin(x)", "--latex")
        assert r.returncode == 0 and "\\cos" in r.stdout

    def test_grad(self):
        r = run_cli("grad", E_TEXT, "--at", "x=3,u=2")
        assert r.returncode == 0 and "26" in r.stdout and "6" in r.stdout

    def test_eval(self):
        r = run_cli("eval", E_TEXT, "--at", "x=3,u=2")
        assert r.returncode == 0 and r.stdout.strip() == "51"

    def test_check_exit_0(self):
        r = run_cli("check", E_TEXT, "--at", "x=3,u=2")
        assert r.returncode == 0, r.stdout + r.stderr

    def test_check_no_point(self):
        assert run_cli("check", "sin(x)*y").returncode == 0

    def test_verify_exit_0_and_1(self):
        ok = run_cli("verify", "sin(x^2)", "2x cos(x^2)", "--wrt", "x")
        assert ok.returncode == 0
        bad = run_cli("verify", "sin(x^2)", "cos(x^2)", "--wrt", "x")
        assert bad.returncode == 1
        assert "x=" in bad.stdout + bad.stderr       # a counterexample is shown

    def test_steps(self):
        r = run_cli("steps", "sin(x^2)", "--wrt", "x")
        assert r.returncode == 0 and "chain" in r.stdout.lower()

    def test_compile(self):
        r = run_cli("compile", "x*sin(x)", "--grad")
        assert r.returncode == 0 and "def " in r.stdout and "np." in r.stdout

    def test_graph_stdout_and_dot_file(self, tmp_path):
        r = run_cli("graph", "x*sin(x)")
        assert r.returncode == 0 and "digraph" in r.stdout
        out = tmp_path / "dag.dot"
        r = run_cli("graph", "x*sin(x)", "-o", str(out))
        assert r.returncode == 0 and out.read_text().lstrip().startswith("digraph")

    def test_plot(self, tmp_path):
        out = tmp_path / "plot.png"
        r = run_cli("plot", "sin(x)", "--wrt", "x", "--range", "-3:3", "-o", str(out))
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            # without the optional dependency: a clear message, exit 2, no traceback
            assert r.returncode == 2 and "matplotlib" in r.stderr
            assert "Traceback" not in r.stderr
            return
        assert r.returncode == 0 and out.read_bytes()[:4] == b"\x89PNG"

    def test_demo(self):
        r = run_cli("demo")
        assert r.returncode == 0 and "26" in r.stdout

    @pytest.mark.parametrize("args", [
        ("eval", "sin(x", "--at", "x=1"), ("eval", "foo(x)", "--at", "x=1"),
        ("diff", "x +* 2"), ("eval", "x @ y", "--shapes", "x=3,y=2"),
        ("eval", "x", "--at", "x=abc("), ("diff",), ("nosuchcommand", "x"),
        ("eval", "sin(x, y)", "--at", "x=1,y=2"),
    ])
    def test_bad_input_exit_2_no_traceback(self, args):
        r = run_cli(*args)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip()

    def test_parse_error_message_has_caret(self):
        r = run_cli("eval", "sin(x", "--at", "x=1")
        assert "^" in r.stderr and "column" in r.stderr

    @pytest.mark.parametrize("text, point", [("log(x)", "x=-1"), ("1/x", "x=0")])
    def test_warns_when_value_not_finite(self, text, point):
        r = run_cli("eval", text, "--at", point)
        assert r.returncode == 0
        assert "warning" in r.stderr.lower() and "finite" in r.stderr.lower()

    def test_injection_not_executed(self):
        marker = f"/tmp/pwned_symgrad_cli_{uuid.uuid4().hex}"
        r = run_cli("eval", f"__import__('os').system('touch {marker}')")
        assert r.returncode == 2 and not os.path.exists(marker)


class TestMoreContract:
    def test_cli_check_exit_1_when_methods_disagree(self):
        # at clamp's bound the closed form (PyTorch's 1) differs from central differences
        # and SymPy (both 1/2). (At relu's kink SymPy agrees with PyTorch's 0: no alarm.)
        r = run_cli("check", "clamp(x, 0, 1)", "--at", "x=0")
        assert r.returncode == 1
        assert not sg.check(sg.parse("clamp(x, 0, 1)"), at={"x": 0.0}).ok
        assert sg.check(sg.parse("relu(x)"), at={"x": 0.0}).ok

    def test_cli_vector_point(self):
        r = run_cli("grad", "3*dot(x, [1, 7, 5]) + x @ x", "--at", "x=[1,7,-2]")
        assert r.returncode == 0 and "[5, 35, 11]" in r.stdout
