"""The `symgrad` command line (also `python -m symgrad`).

Exit codes: 0 success, 1 `check` or `verify` found a disagreement, 2 bad input (the message,
no traceback, on stderr), 3 `verify` could not tell (inconclusive). SymPy and matplotlib are imported by the subcommands that need
them, so `symgrad eval` and `symgrad diff` never import SymPy.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Callable, Sequence

import numpy as np

from .core.errors import ArgumentError, SymgradError
from .core.expr import Expr
from .core.shapes import Shape
from .calculus.differentiate import diff, grad, resolve_symbols, sole_symbol
from .calculus.series import series
from .calculus.steps import steps
from .checking.check import check
from .checking.grade import grade, read_answers
from .checking.verify import verify
from .demo import run as run_demo
from .language.latex import parse_latex
from .language.parse import parse
from .numeric.fused import BACKENDS
from .numeric.kernel import compile as compile_kernel
from .numeric.reverse import reverse

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3


# -- reading the options ------------------------------------------------------------------------------
def _split_top_level(text: str) -> list[str]:
    """`x=3,u=[1,2]` -> ["x=3", "u=[1,2]"]: commas inside brackets do not split."""
    items, depth, current = [], 0, ""
    for character in text:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += character
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def parse_point(text: str | None) -> dict[str, Any]:
    """`--at x=3,u=[1,7,-2],t=pi/2` as {name: float or array}; values are constant expressions."""
    if not text:
        return {}
    point: dict[str, Any] = {}
    for item in _split_top_level(text):
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ArgumentError(f"--at takes name=value pairs separated by commas, not {item!r}")
        if name in point:
            raise ArgumentError(f"--at gives {name} twice; give each variable one value")
        number = parse(value)
        if number.symbols:
            raise ArgumentError(f"--at {name}={value}: a value cannot use variables "
                                f"({', '.join(number.symbols)})")
        result = number.eval()
        point[name] = float(result) if np.ndim(result) == 0 else np.asarray(result)
    return point


def parse_shapes(text: str | None) -> dict[str, Shape]:
    """`--shapes x=3,A=2x2` as {"x": (3,), "A": (2, 2)}."""
    shapes: dict[str, Shape] = {}
    for item in _split_top_level(text or ""):
        name, equals, value = item.partition("=")
        extents = value.strip().lower().replace("(", "").replace(")", "").replace("*", "x").split("x")
        if not equals or not name.strip().isidentifier() or not all(e.strip().isdigit() for e in extents):
            raise ArgumentError(f"--shapes takes name=shape pairs such as x=3 or A=2x3, not {item!r}")
        shapes[name.strip()] = tuple(int(e) for e in extents)
    return shapes


def _shapes(args: argparse.Namespace, point: dict[str, Any]) -> dict[str, Shape]:
    """Symbol shapes from --shapes, and from vector values in --at."""
    shapes = {name: np.shape(value) for name, value in point.items() if np.ndim(value)}
    shapes.update(parse_shapes(getattr(args, "shapes", None)))
    return shapes


def _inputs(args: argparse.Namespace) -> tuple[Expr, dict[str, Any]]:
    """The expression and the point; a vector value in --at declares its symbol's shape."""
    point = parse_point(getattr(args, "at", None))
    return _read(args, args.expr, _shapes(args, point)), point


def _read(args: argparse.Namespace, text: str, shapes: dict[str, Shape]) -> Expr:
    """EXPR or CLAIMED as an expression: LaTeX with --latex-input, the expression language
    otherwise."""
    return (parse_latex if args.latex_input else parse)(text, shapes=shapes)


def _only_variable(expr: Expr, wrt: str | None) -> str:
    """--wrt, resolved as the library resolves `wrt` (a name the expression does not use has
    derivative 0), or the expression's only variable."""
    return sole_symbol(expr, wrt or None, how="--wrt").name or ""


# -- printing -------------------------------------------------------------------------------------------
def _number(value: Any) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return f"{float(array):.12g}"
    return "[" + ", ".join(_number(item) for item in array) + "]"


def _warn_if_not_finite(value: Any, what: str) -> None:
    if not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        print(f"warning: {what} is not finite (outside the domain of a function?)", file=sys.stderr)


def _point_text(point: dict[str, Any]) -> str:
    return ", ".join(f"{name}={_number(value)}" for name, value in point.items())


# -- the subcommands --------------------------------------------------------------------------------------
def _diff(args: argparse.Namespace) -> int:
    expr, point = _inputs(args)
    derivative = diff(expr, _only_variable(expr, args.wrt), order=args.order)
    print(derivative.latex() if args.latex else str(derivative))
    if point:
        value = derivative.eval(**point)
        _warn_if_not_finite(value, "the derivative's value")
        print(f"at {_point_text(point)}: {_number(value)}")
    return EXIT_OK


def _grad(args: argparse.Namespace) -> int:
    expr, point = _inputs(args)
    for name, partial in grad(expr).items():
        line = f"d/d{name} = {partial.latex() if args.latex else partial}"
        if point:
            value = partial.eval(**point)
            _warn_if_not_finite(value, f"d/d{name}")
            line += f" = {_number(value)}"
        print(line)
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    expr, point = _inputs(args)
    value = expr.eval(**point)
    _warn_if_not_finite(value, "the value")
    print(_number(value))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    expr, point = _inputs(args)
    names = [name.strip() for name in args.wrt.split(",")] if args.wrt else None
    wrt = resolve_symbols(expr, names, _shapes(args, point))
    report = check(expr, at=point or None, wrt=wrt)
    print(report)
    return EXIT_OK if report.ok else EXIT_DIFFERENT


def _region_end(name: str, end: str) -> Any:
    """One end of `--at name=low:high`, read as parse_point reads a value (errors name `name`)."""
    if not name.isidentifier():
        raise ArgumentError(f"--at takes name=low:high with a variable's name, not {name!r}")
    return parse_point(f"{name}={end}")[name]


def parse_region(text: str | None) -> dict[str, Any]:
    """`--at x=5:10,y=2` as {"x": (5.0, 10.0), "y": 2.0}: an interval or a point per name."""
    region: dict[str, Any] = {}
    for item in _split_top_level(text or ""):
        name, equals, value = item.partition("=")
        if equals and ":" in value and "[" not in value:
            low, _, high = value.partition(":")
            region[name.strip()] = tuple(_region_end(name.strip(), end) for end in (low, high))
        else:
            region.update(parse_point(item))
    return region


def _verify(args: argparse.Namespace) -> int:
    shapes = parse_shapes(args.shapes)
    if args.latex_input:  # read here; verify reads (and strips a left side of) plain text
        args.expr, args.claimed = (_read(args, text, shapes) for text in (args.expr, args.claimed))
    names = [name.strip() for name in args.wrt.split(",")] if args.wrt else None
    wrt = names[0] if names and len(names) == 1 else tuple(names) if names else None
    verdict = verify(args.expr, args.claimed, wrt, args.order, parse_region(args.at) or None,
                     shapes=shapes)
    print(json.dumps(verdict.to_dict(), indent=2) if args.json else verdict)
    return {"correct": EXIT_OK, "wrong": EXIT_DIFFERENT}.get(verdict.status, EXIT_INCONCLUSIVE)


def _grade(args: argparse.Namespace) -> int:
    report = grade(read_answers(args.expr))
    if args.output:
        report.write(args.output)
        counts = ", ".join(f"{count} {status}" for status, count in report.counts.items() if count)
        print(f"graded {len(report.rows)} answers ({counts}); wrote {args.output}")
    else:
        print(report)
    return EXIT_OK


def _steps(args: argparse.Namespace) -> int:
    expr, _ = _inputs(args)
    derivation = steps(expr, _only_variable(expr, args.wrt))
    print(derivation.latex() if args.latex else derivation)
    return EXIT_OK


def _compile(args: argparse.Namespace) -> int:
    expr, _ = _inputs(args)
    print(compile_kernel(expr, grad=args.grad, backend=args.backend).source.rstrip())
    return EXIT_OK


def _graph(args: argparse.Namespace) -> int:
    expr, _ = _inputs(args)
    dot = expr.to_dot()
    if not args.output:
        print(dot, end="")
        return EXIT_OK
    if args.output.endswith(".dot") or args.output.endswith(".gv"):
        _write(args.output, dot)
        return EXIT_OK
    return _render_graph(dot, args.output)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise ArgumentError(f"cannot write {path}: {error.strerror}") from None
    print(f"wrote {path}")


def _render_graph(dot: str, path: str) -> int:
    import shutil
    import subprocess
    program = shutil.which("dot")
    form = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if form not in ("svg", "png", "pdf"):
        raise ArgumentError(f"-o takes a .dot, .svg, .png or .pdf file name, not {path!r}")
    if program is None:
        print("error: writing ." + form + " needs the Graphviz program 'dot', which is not "
              "installed; write Graphviz text with -o dag.dot instead", file=sys.stderr)
        return EXIT_BAD_INPUT
    done = subprocess.run([program, f"-T{form}", "-o", path], input=dot, text=True,
                          capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        print(f"error: dot failed: {done.stderr.strip()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"wrote {path}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    try:
        # Imported here: Starlette and uvicorn are an optional extra, which no other command needs.
        from .web.server import serve
    except ImportError as error:
        print(f"error: symgrad serve needs Starlette and uvicorn ({error.name} is missing); "
              "install them with: pip install 'symgrad[web]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        serve(host=args.host, port=args.port, open_browser=args.open)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    return EXIT_OK if run_demo(sys.stdout) else EXIT_DIFFERENT


def _plot(args: argparse.Namespace) -> int:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("error: plot needs matplotlib; install it with: pip install 'symgrad[plot]'",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    expr, point = _inputs(args)
    name = _only_variable(expr, args.wrt)
    xs, values, derivative, marks, slopes = _plot_data(expr, name, point, _range(args.range))
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(xs, values, label=f"f = {_clip(str(expr))}")
    axes.plot(xs, derivative, label=f"df/d{name} (closed form)")
    axes.plot(marks, slopes, "o", label=f"df/d{name} (reverse mode)")
    axes.set_xlabel(name)
    axes.axhline(0.0, color="0.8", linewidth=0.8)
    axes.legend()
    try:
        figure.savefig(args.output)
    except (OSError, ValueError) as error:
        raise ArgumentError(f"cannot write {args.output}: {error}") from None
    finally:
        plt.close(figure)
    print(f"wrote {args.output}")
    return EXIT_OK


def _plot_data(expr: Expr, name: str, point: dict[str, Any],
               interval: tuple[float, float]) -> tuple[np.ndarray, ...]:
    if expr.shape != ():
        raise ArgumentError(f"plot draws a scalar function; this one has shape {expr.shape}")
    missing = [other for other in expr.symbols if other != name and other not in point]
    if missing:
        raise ArgumentError(f"give values for {', '.join(missing)} with --at to plot against {name}")
    xs = np.linspace(*interval, 400)
    marks = np.linspace(*interval, 13)
    values = np.broadcast_to(compile_kernel(expr)(**{**point, name: xs}), xs.shape)
    derivative = np.broadcast_to(compile_kernel(diff(expr, name))(**{**point, name: xs}), xs.shape)
    slopes = np.broadcast_to(reverse(expr, at={**point, name: marks}, wrt=[name])[1][name], marks.shape)
    return xs, values, derivative, marks, slopes


def _range(text: str) -> tuple[float, float]:
    low, colon, high = text.strip().partition(":")
    try:
        interval = (float(low), float(high))
    except ValueError:
        interval = (math.nan, math.nan)
    # The width must be finite too: linspace over -1e308:1e308 overflows.
    if not colon or not math.isfinite(interval[1] - interval[0]) or interval[0] >= interval[1]:
        raise ArgumentError(f"--range takes low:high, finite numbers with low < high, such as -3:3, "
                            f"not {text.strip()!r}")
    return interval


def _clip(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _series(args: argparse.Namespace) -> int:
    expr = parse(args.expr, shapes=parse_shapes(args.shapes))
    point = parse(args.at)
    if point.symbols:
        raise ArgumentError(f"--at takes a number such as 0 or pi/2, not {args.at!r}")
    polynomial = series(expr, _only_variable(expr, args.wrt), at=point, order=args.order)
    print(polynomial.latex() if args.latex else str(polynomial))
    return EXIT_OK


# -- the parser ---------------------------------------------------------------------------------------------
Handler = Callable[[argparse.Namespace], int]

_COMMANDS: list[tuple[str, str, str, Handler]] = [
    ("diff", "the derivative, symbolically", 'symgrad diff "3x^2 + 4x + 2u x" --wrt x --at x=3,u=2', _diff),
    ("grad", "all partial derivatives", 'symgrad grad "x^2 y + sin(y)" --at x=1,y=2', _grad),
    ("eval", "the value at a point", 'symgrad eval "x @ x" --at x=[1,7,-2]', _eval),
    ("check", "compare symgrad's rules (closed form, reverse mode) with independent oracles "
     "(finite differences, SymPy); exit 1 if they differ or no oracle ran",
     'symgrad check "sin(x^2) log(y)"', _check),
    ("verify", "is CLAIMED the derivative of EXPR? exit 1 (with a counterexample) if not, "
     "3 if it cannot tell; --wrt x,y checks a mixed partial",
     'symgrad verify "sin(x^2)" "2x cos(x^2)" --wrt x', _verify),
    ("series", "the Taylor polynomial, exact where the numbers are",
     'symgrad series "exp(x) sin(x)" --wrt x --at 0 --order 6', _series),
    ("grade", "grade a class: ANSWERS is a CSV (columns id, function, variable, answer, "
     "optional order) or JSON lines; one verdict per answer, with the diagnosis",
     "symgrad grade answers.csv -o report.html", _grade),
    ("steps", "the derivation, rule by rule", 'symgrad steps "x sin(x^2)" --wrt x', _steps),
    ("compile", "print the generated numpy kernel", 'symgrad compile "sin(x) y" --grad', _compile),
    ("graph", "the expression DAG as Graphviz text (or SVG with the dot program)",
     'symgrad graph "sin(x)^2 + sin(x)" -o dag.dot', _graph),
    ("plot", "plot f and its derivative (needs matplotlib: pip install 'symgrad[plot]')",
     'symgrad plot "sin(x) x" --wrt x --range -3:3 -o plot.png', _plot),
    ("serve", "the local web page: type a function and your answer, see the derivative, the "
     "verdict, the steps and a plot (needs pip install 'symgrad[web]')",
     "symgrad serve --port 8000 --open", _serve),
    ("demo", "the notebook examples, every method side by side", "symgrad demo", _demo),
]


def _port(text: str) -> int:
    """--port's value: a whole number 0..65535 (argparse reports anything else as bad input)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port), not {port}")
    return port


def _add_options(name: str, sub: argparse.ArgumentParser) -> None:
    if name == "demo":
        return
    if name == "serve":
        sub.add_argument("--port", type=_port, default=8000, help="the port (default 8000; 0: any free port)")
        sub.add_argument("--host", default="127.0.0.1",
                         help="the address to listen on (default 127.0.0.1: this computer only)")
        sub.add_argument("--open", action="store_true", help="open the page in a web browser")
        return
    if name == "grade":
        sub.add_argument("expr", metavar="ANSWERS", help="the answers: a .csv or .jsonl file")
        sub.add_argument("-o", "--output", help="write the report: .html, .csv or .json")
        return
    sub.add_argument("expr", metavar="EXPR", help="the expression, e.g. \"3x^2 + sin(x y)\"")
    if name == "verify":
        sub.add_argument("claimed", metavar="CLAIMED", help="the claimed derivative")
    sub.add_argument("--latex-input", action="store_true",
                     help="read EXPR" + (" and CLAIMED" if name == "verify" else "")
                     + r" as LaTeX, e.g. \frac{1}{2}\sin^2 x")
    if name in ("diff", "steps", "verify", "plot", "check", "series"):
        sub.add_argument("--wrt", help="the variable (optional when there is only one)"
                         + ("; several separated by commas" if name == "check" else ""))
    if name in ("diff", "verify"):
        sub.add_argument("--order", type=int, default=1, help="how many times (default 1)")
    if name == "verify":
        sub.add_argument("--at", help="where to check: an interval x=5:10 or a point x=7")
        sub.add_argument("--json", action="store_true", help="print the verdict as JSON")
    if name == "series":
        sub.add_argument("--at", default="0", help="the point to expand about (default 0)")
        sub.add_argument("--order", type=int, default=6, help="the highest power (default 6)")
    if name in ("diff", "grad", "eval", "check", "plot"):
        sub.add_argument("--at", help="the point: x=3,u=2 (vectors as w=[1,2,3])")
    if name in ("diff", "grad", "steps", "series"):
        sub.add_argument("--latex", action="store_true", help="print LaTeX")
    if name == "compile":
        sub.add_argument("--grad", action="store_true", help="the value and gradient kernel")
        sub.add_argument("--backend", choices=BACKENDS, default="numpy",
                         help="numpy (default: readable statements), numba (one fused loop) "
                              "or cupy (one fused CUDA kernel)")
    if name in ("graph", "plot"):
        sub.add_argument("-o", "--output", required=name == "plot",
                         help="output file" + (": .dot, or .svg/.png/.pdf with Graphviz" if name == "graph" else ""))
    if name == "plot":
        sub.add_argument("--range", default="-3:3", help="low:high of the variable (default -3:3)")
    sub.add_argument("--shapes", help="declare vector and matrix symbols: x=3,A=2x2")


class _Version(argparse.Action):
    """`--version`: the installed distribution's version, looked up only when asked (the
    package root, which holds `__version__`, is a layer above the command line's imports, and
    importlib.metadata costs every other command its import time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        import importlib.metadata
        try:
            version = importlib.metadata.version("symgrad")
        except importlib.metadata.PackageNotFoundError:
            version = "(not installed: run from a source tree)"
        print(f"symgrad {version}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="symgrad", description="Symbolic-plus-numeric differentiation, checked.",
        epilog='example: symgrad diff "3x^2 + 4x + 2u x" --wrt x --at x=3,u=2',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary, example, handler in _COMMANDS:
        sub = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                                  epilog=f"example:\n  {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_options(name, sub)
        sub.set_defaults(handler=handler)
    return parser


def _protect_dashes(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """A leading space on arguments such as `-x^2` or `-3:3`, so argparse reads them as values,
    not unknown options (the expression parser ignores the space)."""
    known = {"-h", "--help", "--version"}
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():  # type: ignore[union-attr]
            known.update(sub._option_string_actions)
    return [" " + arg if arg.startswith("-") and len(arg) > 1 and arg != "--"
            and arg.split("=", 1)[0] not in known else arg for arg in argv]


def _replace_unencodable() -> None:
    """Write characters the terminal's encoding lacks (α under ASCII) as escapes, not errors."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change now: leave it
                pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit code."""
    _replace_unencodable()
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(_protect_dashes(parser, arguments))
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        code: int = args.handler(args)
        return code
    except SymgradError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (MemoryError, RecursionError) as error:
        # The limits in symgrad.limits should stop this first; never a traceback, though.
        what = "out of memory" if isinstance(error, MemoryError) else "too deeply nested"
        print(f"error: {what}; see symgrad.limits for the limits on work per call",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader (e.g. `| head`) left: stop quietly, as command-line tools do.
        sys.stdout = None
        return EXIT_OK
