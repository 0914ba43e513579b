"""The API's answers, computed from checked fields (see `fields`) with the same parser and the
same functions as Python: `diff`, `verify`, `steps`, and the plot's sampled curves.

Runs in a worker process (see `workers`). Every answer is JSON-ready: numbers that are not
finite become the strings "nan", "inf" and "-inf" (JSON has no such numbers), except in the
plot's sampled points, where they are null, a gap in the curve.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..calculus.differentiate import diff, sole_symbol
from ..calculus.steps import MAX_SHOWN, formula_latex, steps
from ..checking.verify import verify
from ..core.errors import ParseError, SymgradError
from ..core.expr import Expr
from ..language.latex import parse_latex
from ..language.parse import parse, strip_left_side
from ..language.printing import to_latex, to_text
from .plotting import as_lists, sample, svg

MAX_TEXT = 20_000   # characters of one expression's text in an answer; the rest is cut


class FieldError(SymgradError):
    """An error from reading one input field; `field` names it for the page."""

    def __init__(self, error: SymgradError, field: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.field = field


def _read(request: dict[str, Any], field: str) -> Expr:
    """The expression in `field`, read as plain notation or LaTeX; a claimed answer may carry
    its left-hand side (`f'(x) = ...`), which is dropped as `sg.verify` drops it."""
    text = request[field]
    try:
        if request["input"] == "latex":
            return parse_latex(text)  # drops a derivative's left-hand side itself
        return parse(strip_left_side(text) if field == "answer" else text)
    except FieldError:
        raise
    except SymgradError as error:
        raise FieldError(error, getattr(error, "field", None) or field) from None


def _shown(expr: Expr) -> dict[str, str]:
    text = to_text(expr, MAX_TEXT)
    return {"text": text, "latex": to_latex(expr) if len(text) < MAX_TEXT else r"\text{(too long to show)}"}


def _wrt(function: Expr, request: dict[str, Any]) -> str:
    try:
        return sole_symbol(function, request.get("wrt")).name or ""
    except SymgradError as error:
        raise FieldError(error, "wrt") from None


def answer_parse(request: dict[str, Any]) -> dict[str, Any]:
    """What the page renders while the user types: each given field's reading."""
    result: dict[str, Any] = {}
    for field in ("function", "answer"):
        if field in request:
            expr = _read(request, field)
            result[field] = {**_shown(expr), "symbols": expr.symbols, "shape": list(expr.shape)}
    return result


def answer_diff(request: dict[str, Any]) -> dict[str, Any]:
    """`sg.diff(function, wrt, order)`, as text and LaTeX."""
    function = _read(request, "function")
    wrt = _wrt(function, request)
    derivative = diff(function, wrt, order=request["order"])
    shown = _shown(derivative)
    return {"function": _shown(function), "wrt": wrt, "order": request["order"],
            "derivative": shown["text"], "latex": shown["latex"]}


def answer_verify(request: dict[str, Any]) -> dict[str, Any]:
    """`sg.verify(function, answer, wrt, order, at).to_dict()`."""
    function = _read(request, "function")
    claim = _read(request, "answer")
    wrt = request.get("wrt")
    verdict = verify(function, claim, tuple(wrt) if isinstance(wrt, list) else wrt,
                     order=request["order"], at=request.get("at"))
    result: dict[str, Any] = verdict.to_dict()
    return result


def answer_steps(request: dict[str, Any]) -> dict[str, Any]:
    """`sg.steps(function, wrt)`: each rule as LaTeX, and the whole derivation as text."""
    function = _read(request, "function")
    wrt = _wrt(function, request)
    derivation = steps(function, wrt)
    shown = [{"number": step.number, "rule": step.rule, "law": step.law,
              "subject": _shown(step.subject)["latex"],
              "formula": formula_latex(step.formula, wrt),
              "result": _shown(step.result)["latex"]}
             for step in derivation.steps[:MAX_SHOWN]]
    return {"wrt": wrt, "steps": shown, "count": len(derivation.steps),
            "text": str(derivation), "result": _shown(derivation.result)}


def answer_plot(request: dict[str, Any]) -> dict[str, Any]:
    """f, its derivative and the answer on `range`: an SVG and the sampled points."""
    function = _read(request, "function")
    claim = _read(request, "answer") if "answer" in request else None
    wrt = _wrt(function, request)
    derivative = diff(function, wrt, order=request["order"])
    curves = sample(function, derivative, claim, wrt, request["order"], request["range"],
                    request.get("at"))
    return {"wrt": wrt, "order": request["order"], "range": list(request["range"]),
            "svg": svg(curves), "points": as_lists(curves)}


ANSWERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "parse": answer_parse, "diff": answer_diff, "verify": answer_verify,
    "steps": answer_steps, "plot": answer_plot,
}


def error_body(error: SymgradError, field: str | None = None) -> dict[str, Any]:
    """An error as the API reports it: type, message (with the caret for a parse error), the
    short reason, line and column (1-based; null when the error has no place) and field."""
    inner = error.error if isinstance(error, FieldError) else error
    field = error.field if isinstance(error, FieldError) else field or getattr(error, "field", None)
    placed = inner if isinstance(inner, ParseError) and inner.line > 0 else None
    return {"error": {
        "type": type(inner).__name__,
        "message": str(inner),
        "reason": inner.message if isinstance(inner, ParseError) else str(inner),
        "line": placed.line if placed else None,
        "column": placed.column if placed else None,
        "field": field,
    }}


def json_ready(value: Any) -> Any:
    """`value` with tuples as lists and non-finite floats as "nan", "inf", "-inf" (iterative)."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, float) and not math.isfinite(item):
            container[key] = "nan" if math.isnan(item) else ("inf" if item > 0 else "-inf")
        elif isinstance(item, dict):
            container[key] = copy = dict(item)
            stack.extend((copy, name) for name in copy)
        elif isinstance(item, (list, tuple)):
            container[key] = copy_list = list(item)
            stack.extend((copy_list, index) for index in range(len(copy_list)))
        elif hasattr(item, "tolist") and not isinstance(item, (str, bytes)):  # numpy
            container[key] = item.tolist()
            stack.append((container, key))
    return root[0]


def answer(kind: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body for one request; a user's mistake is a 400 with the error."""
    try:
        return 200, json_ready(ANSWERS[kind](request))
    except SymgradError as error:
        return 400, error_body(error)
    except (MemoryError, RecursionError) as error:
        what = "out of memory" if isinstance(error, MemoryError) else "too deeply nested"
        return 400, {"error": {"type": "LimitError", "message": f"{what}: try a smaller expression",
                               "reason": what, "line": None, "column": None, "field": None}}
    except Exception as error:  # a bug, not the user's mistake: say so, keep the worker alive
        message = f"internal error ({type(error).__name__}: {error}); please report it"
        return 500, {"error": {"type": "InternalError", "message": message, "reason": message,
                               "line": None, "column": None, "field": None}}
