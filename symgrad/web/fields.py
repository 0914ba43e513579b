"""Reading a request's JSON fields: types, sizes and orders are checked here, in the server
process, before any work starts. Expressions stay text: the worker parses them."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

from ..core.errors import ArgumentError, LimitError

KINDS = ("parse", "diff", "verify", "steps", "plot")
INPUTS = ("text", "latex")

# The fields each endpoint takes; anything else is a mistake worth reporting (a typo such as
# "wtr" would otherwise be ignored silently).
FIELDS: dict[str, frozenset[str]] = {
    "parse": frozenset({"function", "answer", "input"}),
    "diff": frozenset({"function", "wrt", "order", "input"}),
    "verify": frozenset({"function", "answer", "wrt", "order", "at", "input"}),
    "steps": frozenset({"function", "wrt", "input"}),
    "plot": frozenset({"function", "answer", "wrt", "order", "at", "range", "input"}),
}
REQUIRED: dict[str, frozenset[str]] = {
    "parse": frozenset(),
    "diff": frozenset({"function"}),
    "verify": frozenset({"function", "answer"}),
    "steps": frozenset({"function"}),
    "plot": frozenset({"function"}),
}


def _environment(name: str, default: float) -> float:
    text = os.environ.get("SYMGRAD_WEB_" + name)
    try:
        return float(text) if text else default
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class WebLimits:
    """Bounds on one request; each has an environment variable `SYMGRAD_WEB_<NAME>`."""

    max_body: int = int(_environment("MAX_BODY", 16_384))           # bytes of the JSON body
    max_expression: int = int(_environment("MAX_EXPRESSION", 2_000))  # characters of one input
    max_order: int = int(_environment("MAX_ORDER", 10))              # derivative order
    time_limit: float = _environment("TIME_LIMIT", 10.0)             # seconds of work
    workers: int = int(_environment("WORKERS", 2))                   # worker processes
    memory_mb: int = int(_environment("MEMORY_MB", 2048))            # a worker's memory for work


class RequestError(ArgumentError):
    """A request the API cannot take: a missing, mistyped or oversize field. `field` names it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TooLarge(RequestError, LimitError):
    """A body or expression over its limit (HTTP 413)."""


def read_request(kind: str, data: Any, limits: WebLimits) -> dict[str, Any]:
    """The request's fields, checked and with defaults filled in; raises `RequestError`."""
    if not isinstance(data, dict):
        raise RequestError("the request body must be a JSON object, such as "
                           '{"function": "x^2 sin x", "wrt": "x"}')
    unknown = sorted(set(data) - FIELDS[kind])
    if unknown:
        raise RequestError(f"/api/{kind} does not take {', '.join(map(repr, unknown))}; it takes "
                           f"{', '.join(sorted(FIELDS[kind]))}", unknown[0])
    for name in sorted(REQUIRED[kind] - set(data)):
        raise RequestError(f"/api/{kind} needs {name!r}", name)
    request: dict[str, Any] = {"input": _choice(data.get("input", "text"), INPUTS, "input")}
    for name in ("function", "answer"):
        if name in data and data[name] is not None:
            request[name] = _expression(data[name], name, limits)
    if "wrt" in FIELDS[kind]:
        request["wrt"] = _wrt(data.get("wrt"), allow_several=kind == "verify")
    if "order" in FIELDS[kind]:
        request["order"] = _order(data.get("order", 1), limits)
    if "at" in FIELDS[kind]:
        request["at"] = _point(data.get("at"), interval=kind == "verify")
    if kind == "plot":
        request["range"] = _range(data.get("range", [-5, 5]))
    return request


def _choice(value: Any, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise RequestError(f"{field!r} is one of {', '.join(map(repr, choices))}, not {value!r}", field)
    return str(value)


def _expression(value: Any, field: str, limits: WebLimits) -> str:
    if not isinstance(value, str):
        raise RequestError(f"{field!r} must be text, not {type(value).__name__}", field)
    if len(value) > limits.max_expression:
        raise TooLarge(f"{field!r} has {len(value):,} characters; the page takes at most "
                       f"{limits.max_expression:,}", field)
    if not value.strip():
        raise RequestError(f"{field!r} is empty: type an expression", field)
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise RequestError(f"'wrt' names a variable, such as \"x\", not {value!r}", "wrt")
    return value.strip()


def _wrt(value: Any, allow_several: bool) -> str | list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, list) and allow_several:
        if not 1 <= len(value) <= 4:
            raise RequestError("'wrt' lists one to four variable names", "wrt")
        return [_name(item) for item in value]
    return _name(value)


def _order(value: Any, limits: WebLimits) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"'order' is a whole number from 1 to {limits.max_order}, not {value!r}",
                           "order")
    if value < 1:
        raise RequestError(f"'order' is a whole number from 1 to {limits.max_order}, not {value}",
                           "order")
    if value > limits.max_order:
        raise TooLarge(f"'order' is {value}; the page computes derivatives of order 1 to "
                       f"{limits.max_order}", "order")
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{field!r} takes finite numbers, not {value!r}", field)
    return float(value)


def _point(value: Any, interval: bool) -> dict[str, float | tuple[float, float]] | None:
    """`{"y": 2}` (and, for verify, `{"x": [5, 10]}`, an interval)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) > 16:
        raise RequestError("'at' maps variable names to numbers, such as {\"y\": 2}", "at")
    point: dict[str, float | tuple[float, float]] = {}
    for name, item in value.items():
        if isinstance(item, list) and interval:
            low, high = _range(item, field="at")
            point[_name(name)] = (low, high)
        else:
            point[_name(name)] = _number(item, "at")
    return point


def _range(value: Any, field: str = "range") -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise RequestError(f"{field!r} is a pair [low, high], not {value!r}", field)
    low, high = (_number(item, field) for item in value)
    if not low < high or high - low > 1e6:
        raise RequestError(f"{field!r} needs low < high (and a width up to 1e6), not {value!r}", field)
    return low, high
