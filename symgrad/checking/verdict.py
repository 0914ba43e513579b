"""The answer of `verify`: a `Verdict`, honest about what it knows.

A verdict's `status` is "correct", "wrong" or "inconclusive"; `ok` is True, False or None to
match. A wrong verdict carries a `counterexample` point with the `expected` (true) and `claimed`
values there, and a `diagnosis` of the mistake; an inconclusive one carries the `reason`.
`to_dict()` gives the same as plain JSON data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..core.expr import Expr
from ..language.printing import to_latex, to_text
from .display import verdict_html
from .sampling import format_point

CORRECT, WRONG, INCONCLUSIVE = "correct", "wrong", "inconclusive"
STATUSES = (CORRECT, WRONG, INCONCLUSIVE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether `claim` is the derivative of `expr` (`order` times by `wrt`, or the mixed
    partial when `wrt` is a tuple of names).

    `status`: "correct" (`proved` is True when SymPy also proved it), "wrong" (`counterexample`
    is a point such as `{"x": 0.7}` where the true value `expected` and the claim's value
    `claimed` differ, confirmed in higher precision; `diagnosis` names the mistake) or
    "inconclusive" (`reason` says why). `derivative` is the right answer; `message` is the
    one-line summary; `parts` holds one verdict per partial when a gradient was claimed.
    """

    status: str
    expr: Expr
    wrt: str | tuple[str, ...]
    claim: Expr
    derivative: Expr
    counterexample: dict[str, Any] | None = None
    expected: Any = None
    claimed: Any = None
    message: str = ""
    proved: bool = False
    diagnosis: str | None = None
    reason: str | None = None
    order: int = 1
    parts: Mapping[str, "Verdict"] | None = None
    dependent: str | None = None    # implicit curves: y in dy/dx, and `expr` is F of F = 0

    @property
    def ok(self) -> bool | None:
        """True when correct, False when wrong, None when inconclusive."""
        return {CORRECT: True, WRONG: False}.get(self.status)

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables differentiated by, in order: ("x", "x") for a second derivative."""
        if isinstance(self.wrt, tuple):
            return self.wrt
        return (self.wrt,) * self.order

    def __str__(self) -> str:
        lines = [self.message]
        if self.parts:
            lines.extend(f"  {name}: {part.message}" for name, part in self.parts.items())
        if self.status == WRONG and self.counterexample is not None:
            lines.append(f"  at {format_point(self.counterexample)}: the derivative is "
                         f"{_shown(self.expected)}, your answer gives {_shown(self.claimed)}")
        if self.status != CORRECT and self.dependent is not None:
            lines.append(f"  d{self.dependent}/d{self.wrt} on the curve {to_text(self.expr, 100)}"
                         f" = 0 is {to_text(self.derivative, 100)}")
        elif self.status != CORRECT and not self.parts:
            lines.append(f"  {derivative_name(self.variables)} {to_text(self.expr, 100)} = "
                         f"{to_text(self.derivative, 100)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return verdict_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data (`json.dumps` takes it): numbers as floats (null
        where not finite), the point as a dict, expressions as their text and LaTeX."""
        return {
            "status": self.status,
            "ok": self.ok,
            "proved": self.proved,
            "function": _formula(self.expr),
            "wrt": list(self.wrt) if isinstance(self.wrt, tuple) else self.wrt,
            "order": self.order,
            "dependent": self.dependent,
            "claim": _formula(self.claim),
            "derivative": _formula(self.derivative),
            "counterexample": None if self.counterexample is None
            else {name: _plain(value) for name, value in self.counterexample.items()},
            "expected": _plain(self.expected),
            "claimed": _plain(self.claimed),
            "diagnosis": self.diagnosis,
            "reason": self.reason,
            "message": self.message,
            "parts": None if self.parts is None
            else {name: part.to_dict() for name, part in self.parts.items()},
        }


def derivative_name(variables: tuple[str, ...]) -> str:
    """`d/dx`, `d^2/dx^2`, `d^2/dx dy`: the derivative's operator as text."""
    if len(variables) == 1:
        return f"d/d{variables[0]}"
    order = len(variables)
    if len(set(variables)) == 1:
        return f"d^{order}/d{variables[0]}^{order}"
    return f"d^{order}/" + " ".join(f"d{name}" for name in variables)


def _formula(expr: Expr) -> dict[str, str]:
    return {"text": to_text(expr), "latex": to_latex(expr)}


def _plain(value: Any) -> Any:
    """Floats and nested lists of floats; None for a missing or non-finite number."""
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return [_plain(item) for item in array]
    number = float(array)
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim:
        return "[" + ", ".join(_shown(item) for item in array) + "]"
    return f"{float(array):.10g}"
