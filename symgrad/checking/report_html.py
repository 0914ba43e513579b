"""The HTML report of a graded class: one self-contained page, no network, no external files.

The summary comes first (how many answers are right, wrong, undecided, unreadable, and the
most common kinds of mistake), then one row per answer with the function and the answer as
LaTeX between `\\(` and `\\)` (a page with KaTeX or MathJax typesets them; as plain text they
still read), the verdict, the counterexample and the diagnosis. A few lines of script filter
the rows by verdict.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import TYPE_CHECKING

from .sampling import format_point

if TYPE_CHECKING:
    from .grade import GradeReport, Graded

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.math { font-family: "Latin Modern Math", "STIX Two Math", serif; white-space: nowrap; }
.text { color: #666; font-family: monospace; font-size: .85em; display: block; }
.status { font-weight: 600; border-radius: .3em; padding: .1em .4em; }
.correct { background: #dff3e0; color: #17601d; } .wrong { background: #fbe0e0; color: #8a1a1a; }
.inconclusive { background: #fff4d6; color: #7a5a00; } .error { background: #e6e6e6; color: #444; }
.note { color: #666; font-size: .85em; }
button { margin-right: .4em; }
"""

_SCRIPT = """
(function () {
  var rows = document.querySelectorAll("tbody tr[data-status]");
  document.querySelectorAll("button[data-show]").forEach(function (button) {
    button.addEventListener("click", function () {
      var show = button.getAttribute("data-show");
      rows.forEach(function (row) {
        row.hidden = show !== "all" && row.getAttribute("data-status") !== show;
      });
    });
  });
  document.body.setAttribute("data-ready", "yes");
})();
"""


def render(report: "GradeReport", title: str) -> str:
    """The page as text."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(title)}</h1>",
        _summary(report),
        _mistakes(report),
        "<h2>Answers</h2>",
        '<p class="note">Formulas are written in LaTeX between \\( and \\); the grey line under '
        "each is symgrad's text form.</p>",
        _filters(),
        _table(report.rows),
        f"<script>{_SCRIPT}</script>",
        "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(report: "GradeReport") -> str:
    counts = report.counts
    items = "".join(f'<li><span class="status {status}">{count}</span> {escape(status)}</li>'
                    for status, count in counts.items())
    return f"<p>{len(report.rows)} answers.</p><ul>{items}</ul>"


def _mistakes(report: "GradeReport") -> str:
    common = report.common_mistakes(limit=8)
    if not common:
        return "<h2>Most common mistakes</h2><p>No wrong answers.</p>"
    examples: dict[str, list[str]] = defaultdict(list)
    for row in report.rows:
        if row.mistake is not None:
            examples[row.mistake].append(row.id)
    lines = "".join(
        f"<tr><td>{escape(kind)}</td><td>{count}</td>"
        f"<td>{escape(', '.join(examples[kind][:10]))}{' ...' if len(examples[kind]) > 10 else ''}</td></tr>"
        for kind, count in common)
    return ("<h2>Most common mistakes</h2><table><thead><tr><th>Mistake</th><th>Answers</th>"
            f"<th>For example</th></tr></thead><tbody>{lines}</tbody></table>")


def _filters() -> str:
    buttons = "".join(f'<button type="button" data-show="{status}">{label}</button>'
                      for status, label in (("all", "All"), ("correct", "Correct"),
                                            ("wrong", "Wrong"), ("inconclusive", "Inconclusive"),
                                            ("error", "Unreadable")))
    return f"<p>Show: {buttons}</p>"


def _table(rows: "list[Graded]") -> str:
    head = ("<thead><tr><th>Id</th><th>Function</th><th>Answer</th><th>Verdict</th>"
            "<th>Counterexample</th><th>Diagnosis</th></tr></thead>")
    body = "".join(_row(row) for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _row(row: "Graded") -> str:
    verdict = row.verdict
    status = row.status
    order = f" (order {row.order})" if row.order != 1 else ""
    variable = f" by {escape(row.variable)}" if row.variable else ""
    if verdict is None:
        function = f'<span class="text">{escape(row.function)}</span>'
        answer = f'<span class="text">{escape(row.answer)}</span>'
        point, detail = "", escape(row.error or "")
    else:
        data = verdict.to_dict()
        function = _formula(data["function"])
        answer = _formula(data["claim"])
        point = _point(row)
        detail = escape(verdict.diagnosis or verdict.reason or "")
        if verdict.status == "correct" and verdict.proved:
            detail = "proved by SymPy"
    return (f'<tr data-status="{escape(status)}"><td>{escape(row.id)}</td>'
            f"<td>{function}<span class=\"note\">{variable}{order}</span></td><td>{answer}</td>"
            f'<td><span class="status {escape(status)}">{escape(status)}</span></td>'
            f"<td>{point}</td><td>{detail}</td></tr>")


def _formula(formula: dict[str, str]) -> str:
    return (f'<span class="math">\\({escape(formula["latex"])}\\)</span>'
            f'<span class="text">{escape(formula["text"])}</span>')


def _point(row: "Graded") -> str:
    verdict = row.verdict
    if verdict is None or verdict.counterexample is None:
        return ""
    return (f"at {escape(format_point(verdict.counterexample))}: derivative "
            f"{escape(_number(verdict.expected))}, answer {escape(_number(verdict.claimed))}")


def _number(value: object) -> str:
    try:
        return f"{float(value):.6g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
