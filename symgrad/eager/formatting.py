"""Tensor text as PyTorch prints it (its default print options), for `repr(tensor)`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..language.printing import latex_number

_LINE_WIDTH, _PRECISION, _THRESHOLD, _EDGE_ITEMS = 80, 4, 1000, 3


class _Formatter:
    """One number format for a whole tensor, chosen the way PyTorch chooses it."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.ravel()
        if not self.floating:
            self.width = max((len(str(item)) for item in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        wide = high / low > 1000.0 or high > 1.0e8
        self.sci_mode = wide if self.int_mode else (wide or low < 1.0e-4)
        self.width = max(len(self._plain(float(item))) for item in finite)

    def _plain(self, value: float) -> str:
        if self.sci_mode:
            return f"{value:.{_PRECISION}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("." if np.isfinite(value) else "")
        return f"{value:.{_PRECISION}f}"

    def format(self, value: Any) -> str:
        text = self._plain(float(value)) if self.floating else str(value)
        return text.rjust(self.width)


def _rows(values: np.ndarray, indent: int, formatter: _Formatter, summarize: bool) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    count = values.shape[0]
    positions: list[int | None] = list(range(count))
    if summarize and count > 2 * _EDGE_ITEMS:
        positions = [*range(_EDGE_ITEMS), None, *range(count - _EDGE_ITEMS, count)]
    if values.ndim == 1:
        items = ["..." if p is None else formatter.format(values[p].item()) for p in positions]
        per_line = max(1, (_LINE_WIDTH - indent) // (formatter.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if p is None else _rows(values[p], indent + 1, formatter, summarize)
             for p in positions]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(values: np.ndarray, suffixes: list[str]) -> str:
    """`tensor(...)` text as PyTorch prints a float32 tensor (no dtype shown)."""
    prefix = "tensor("
    summarize = values.size > _THRESHOLD
    shown = values
    if summarize:
        shown = _edges(values)
    text = _rows(values, len(prefix), _Formatter(shown), summarize)
    if values.size == 0:
        suffixes = [f"size={values.shape}", *suffixes]
    last = len(text.rsplit("\n", 1)[-1]) + (len(prefix) if "\n" not in text else len(prefix))
    for suffix in suffixes:
        if last + len(suffix) + 2 > _LINE_WIDTH:
            text += ",\n" + " " * len(prefix) + suffix
            last = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            last += len(suffix) + 2
    return prefix + text + ")"


def _edges(values: np.ndarray) -> np.ndarray:
    """The first and last few entries along every axis (what a summary shows)."""
    for axis in range(values.ndim):
        if values.shape[axis] > 2 * _EDGE_ITEMS:
            head = np.take(values, range(_EDGE_ITEMS), axis=axis)
            tail = np.take(values, range(values.shape[axis] - _EDGE_ITEMS, values.shape[axis]), axis=axis)
            values = np.concatenate([head, tail], axis=axis)
    return values


LATEX_ELEMENTS = 200  # the largest tensor a notebook shows as a matrix


def latex_tensor(values: np.ndarray) -> str | None:
    """A number, a vector (a column) or a matrix in LaTeX (4 significant digits, as the text);
    None past two axes or LATEX_ELEMENTS elements."""
    if values.ndim > 2 or values.size > LATEX_ELEMENTS:
        return None
    def number(value: Any) -> str:
        return latex_number(float(f"{float(value):.4g}"))
    if values.ndim == 0:
        return number(values)
    rows = [[number(v) for v in row] for row in (values[:, None] if values.ndim == 1 else values)]
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(row) for row in rows) + r" \end{bmatrix}"
