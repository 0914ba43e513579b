"""Notebook output of `check` reports and `verify` verdicts: HTML tables, as `str()` shows them
in text. (Typed by attribute, not by class: check.py and verify.py import this module.)"""

from __future__ import annotations

import html
from typing import Any

from ..language.display import html_table
from ..language.printing import to_text
from .sampling import format_point, format_value

_GOOD, _BAD = "#070", "#b00"


def _headline(text: str, good: bool | None) -> str:
    color = "#777" if good is None else _GOOD if good else _BAD
    return f'<p style="color:{color};font-weight:bold">{html.escape(text)}</p>'


def report_html(report: Any) -> str:
    """A check report as HTML: its verdict, then per point a table of derivatives by method."""
    first_line = str(report).split("\n", 1)[0]
    parts = [_headline(first_line, report.ok)]
    columns = list(report.methods)
    for index, point in enumerate(report.points):
        value = f" (value {format_value(report.values[index])})" if index < len(report.values) else ""
        parts.append(f"<p>at {html.escape(format_point(point) + value)}</p>")
        rows = [row for row in report.rows if row.point == index]
        cells = [[_label(row.output, row.variable),
                  *(format_value(row.values.get(method)) for method in columns),
                  f"{row.error:.1e}"] for row in rows]
        header = ["derivative", *(_grouped(method, report) for method in columns), "error"]
        parts.append(html_table(header, cells, [not row.ok for row in rows]))
    parts.extend(f"<p><i>note: {html.escape(note)}</i></p>" for note in report.notes)
    return "<div>" + "".join(parts) + "</div>"


def _label(output: str, variable: str) -> str:
    return f"d{output}/d{variable}" if not output else f"d {output}/d {variable}"


def _grouped(method: str, report: Any) -> str:
    group = "independent" if method in report.independent else \
        "shared" if method in report.shared else ""
    return f"{method} ({group})" if group else method


def verdict_html(verdict: Any) -> str:
    """A verdict as HTML: its status line, the counterexample, the diagnosis or the reason, and
    the right derivative."""
    parts = [_headline(verdict.message, verdict.ok)]
    if verdict.counterexample is not None:
        parts.append(html_table(["at", "the derivative", "your answer"],
                                [[format_point(verdict.counterexample), format_value(verdict.expected),
                                  format_value(verdict.claimed)]], [True]))
    for label, text in (("likely mistake", verdict.diagnosis), ("why", verdict.reason)):
        if text:
            parts.append(f"<p><i>{label}:</i> {html.escape(text)}</p>")
    wrt = "".join(verdict.wrt) if isinstance(verdict.wrt, tuple) else verdict.wrt
    parts.append(f"<p>d/d{html.escape(wrt)} {html.escape(to_text(verdict.expr, 200))} = "
                 f"<code>{html.escape(to_text(verdict.derivative, 400))}</code></p>")
    return "<div>" + "".join(parts) + "</div>"
