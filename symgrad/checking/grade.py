"""Grading a class: one verdict per answer, with the diagnosis, and what the class got wrong.

`grade(rows)` takes mappings with the columns `id`, `function`, `variable`, `answer` and an
optional `order` (from a spreadsheet's CSV, a learning system's JSON lines, or Python) and
returns a `GradeReport`. A row that cannot be read (a parse error, a missing column) is
reported in that row and never stops the others. Large classes are graded in several
processes at once; a progress bar shows on a terminal. `report.write(path)` saves CSV, JSON
or a self-contained HTML page (see `report_html`).
"""

from __future__ import annotations

import csv
import html
import importlib
import io
import json
import multiprocessing
import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..core.errors import ArgumentError, SymgradError
from ..language.display import html_table
from .diagnosis import load_sympy, mistake_kind
from .report_html import render
from .verdict import Verdict
from .verify import verify

COLUMNS = ("id", "function", "variable", "answer", "order")
ERROR = "error"
PARALLEL_FROM = 40          # rows; fewer are graded in this process (starting workers costs more)
CHUNK = 8


@dataclass(frozen=True, slots=True)
class Graded:
    """One answer: the row as given, its `verdict`, or the `error` that kept it from one."""

    id: str
    function: str
    variable: str
    answer: str
    order: int
    verdict: Verdict | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        """"correct", "wrong", "inconclusive", or "error" for a row that could not be read."""
        return self.verdict.status if self.verdict is not None else ERROR

    @property
    def mistake(self) -> str | None:
        """The kind of mistake (`diagnosis.mistake_kind`) of a wrong answer, else None."""
        if self.verdict is None or self.verdict.status != "wrong":
            return None
        return mistake_kind(self.verdict.diagnosis or "")

    def to_dict(self) -> dict[str, Any]:
        """The row and its verdict (`Verdict.to_dict()`), JSON-ready."""
        return {"id": self.id, "function": self.function, "variable": self.variable,
                "answer": self.answer, "order": self.order, "status": self.status,
                "mistake": self.mistake, "error": self.error,
                "verdict": None if self.verdict is None else self.verdict.to_dict()}


@dataclass(frozen=True, slots=True)
class GradeReport:
    """Every graded answer, in the order given, and what the class got wrong most often."""

    rows: list[Graded] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many answers are correct, wrong, inconclusive, or could not be read."""
        counted = Counter(row.status for row in self.rows)
        return {status: counted.get(status, 0) for status in ("correct", "wrong", "inconclusive", ERROR)}

    def common_mistakes(self, limit: int = 5) -> list[tuple[str, int]]:
        """The most frequent kinds of mistake among the wrong answers, with their counts."""
        kinds = Counter(row.mistake for row in self.rows if row.mistake is not None)
        return kinds.most_common(limit)

    def _repr_html_(self) -> str:
        """The counts, the common mistakes and one row per answer (wrong ones in red)."""
        counts = ", ".join(f"{count} {status}" for status, count in self.counts.items() if count)
        mistakes = "; ".join(f"{kind} ({count})" for kind, count in self.common_mistakes())
        summary = f"<p><b>{len(self.rows)} answers</b>: {html.escape(counts or 'none')}"
        if mistakes:
            summary += f"<br>common mistakes: {html.escape(mistakes)}"
        table = html_table(
            ["id", "function", "variable", "answer", "status", "mistake"],
            [[row.id, row.function, row.variable, row.answer, row.status, row.mistake or ""]
             for row in self.rows],
            [row.status in ("wrong", ERROR) for row in self.rows])
        return summary + "</p>" + table

    def to_json(self) -> str:
        """{"summary": ..., "rows": [...]} as JSON text."""
        summary = {"counts": self.counts, "common_mistakes": [
            {"mistake": kind, "count": count} for kind, count in self.common_mistakes()]}
        return json.dumps({"summary": summary, "rows": [row.to_dict() for row in self.rows]},
                          indent=1, allow_nan=False)

    def to_csv(self) -> str:
        """One line per answer: the row, the status, the counterexample and the diagnosis."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*COLUMNS, "status", "proved", "counterexample", "expected", "claimed",
                         "mistake", "diagnosis", "reason", "error"])
        for row in self.rows:
            data = row.verdict.to_dict() if row.verdict is not None else {}
            point = data.get("counterexample")
            writer.writerow([row.id, row.function, row.variable, row.answer, row.order,
                             row.status, data.get("proved", ""),
                             "" if not point else json.dumps(point),
                             _cell(data.get("expected")), _cell(data.get("claimed")),
                             row.mistake or "", data.get("diagnosis") or "",
                             data.get("reason") or "", row.error or ""])
        return out.getvalue()

    def to_html(self, title: str = "Derivative answers") -> str:
        """A self-contained HTML page (see `report_html`)."""
        return render(self, title)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Save as .csv, .json or .html (.htm), chosen by the file's extension."""
        target = Path(path)
        writers = {".csv": self.to_csv, ".json": self.to_json, ".html": self.to_html,
                   ".htm": self.to_html}
        writer = writers.get(target.suffix.lower())
        if writer is None:
            kind = target.suffix or "a file without an extension"
            raise ArgumentError(f"cannot write a report as {kind}; use .csv, .json or .html")
        try:
            target.write_text(writer(), encoding="utf-8")
        except OSError as error:
            raise ArgumentError(f"cannot write {target}: {error.strerror}") from None

    def __str__(self) -> str:
        lines = [f"{row.id}: {row.status}" + (f": {_detail(row)}" if _detail(row) else "")
                 for row in self.rows]
        counts = ", ".join(f"{count} {status}" for status, count in self.counts.items() if count)
        lines.append(f"{len(self.rows)} answers: {counts}")
        for kind, count in self.common_mistakes():
            lines.append(f"  {count} x {kind}")
        return "\n".join(lines)


def _cell(value: Any) -> str:
    return "" if value is None else json.dumps(value) if isinstance(value, list) else f"{value:.12g}"


def _detail(row: Graded) -> str:
    if row.error is not None:
        return row.error.splitlines()[0]
    if row.verdict is None or row.verdict.status == "correct":
        return ""
    return row.verdict.diagnosis or row.verdict.reason or ""


# -- grading --------------------------------------------------------------------------------------------
def grade(rows: Iterable[Mapping[str, Any]], *, workers: int | None = None,
          progress: bool | None = None, seed: int = 0) -> GradeReport:
    """Grade every row (see the module); one `Graded` per row, in order.

    `workers`: processes to grade in (default: the CPUs, for 40 rows or more; 1 grades here).
    `progress`: show a progress bar (default: when stderr is a terminal).
    """
    listed = [] if isinstance(rows, (str, bytes)) else list(rows)
    if isinstance(rows, (str, bytes)) or not all(isinstance(row, Mapping) for row in listed):
        raise ArgumentError("grade takes rows: mappings with id, function, variable, answer and "
                            "optionally order (sg.read_answers reads them from a CSV or JSON lines file)")
    items = [dict(row) for row in listed]
    count = workers if workers is not None else (os.cpu_count() or 1)
    if progress is None:
        progress = sys.stderr.isatty()
    load_sympy()  # once, before the workers fork, not once in each
    if count > 1 and len(items) >= PARALLEL_FROM:
        graded = list(_in_processes(items, count, seed, progress))
    else:
        graded = [grade_row(item, seed) for item in _shown(items, progress)]
    return GradeReport(graded)


def _in_processes(items: list[dict[str, Any]], count: int, seed: int,
                  progress: bool) -> Iterator[Graded]:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        results = pool.map(grade_row, items, [seed] * len(items), chunksize=CHUNK)
        yield from _shown(results, progress, len(items))


def _shown(items: Iterable[Any], progress: bool, total: int | None = None) -> Iterable[Any]:
    if not progress:
        return items
    # Imported by name: tqdm ships no type stubs, and only a terminal needs it.
    tqdm: Any = importlib.import_module("tqdm").tqdm
    bar: Iterable[Any] = tqdm(items, total=total, desc="grading", unit="answer", file=sys.stderr)
    return bar


def grade_row(row: Mapping[str, Any], seed: int = 0) -> Graded:
    """One row's verdict, or the error that explains why it has none."""
    text = {name: _text(row.get(name)) for name in COLUMNS}
    identifier = text["id"] or "?"
    try:
        order = int(text["order"]) if text["order"] else 1
    except ValueError:
        return Graded(identifier, text["function"], text["variable"], text["answer"], 1,
                      error=f"order must be a whole number, not {text['order']!r}")
    base = (identifier, text["function"], text["variable"], text["answer"], order)
    if row.get("_error"):
        return Graded(*base, error=str(row["_error"]))
    missing = [name for name in ("function", "answer") if not text[name]]
    if missing:
        return Graded(*base, error=f"the row has no {' and no '.join(missing)}")
    try:
        verdict = verify(text["function"], text["answer"], _wrt(text["variable"]), order,
                         seed=seed, prove=False)
    except SymgradError as error:
        return Graded(*base, error=str(error))
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as error:
        return Graded(*base, error=f"could not grade this row ({type(error).__name__}: {error})")
    return Graded(*base, verdict=verdict)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _wrt(variable: str) -> str | tuple[str, ...] | None:
    names = [name.strip() for name in variable.replace(";", ",").split(",") if name.strip()]
    if not names:
        return None
    return names[0] if len(names) == 1 else tuple(names)


# -- reading answers ---------------------------------------------------------------------------------
def read_answers(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a CSV file (with a header naming the columns) or of JSON lines (one object
    per line; also a .json file holding a list of objects)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ArgumentError(f"cannot read {source}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ArgumentError(f"{source} is not UTF-8 text") from None
    if source.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith(("{", "[")):
        return _json_rows(text, source.name)
    return _csv_rows(text, source.name)


def _csv_rows(text: str, name: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    absent = [column for column in ("function", "answer") if column not in header]
    if absent:
        raise ArgumentError(f"{name} has no column {' and no column '.join(absent)}; the header "
                            f"needs {', '.join(COLUMNS[:4])} (and optionally order)")
    rows = []
    for number, row in enumerate(reader, start=2):
        item = {key.strip().lower(): value for key, value in row.items() if key is not None}
        item.setdefault("id", str(number - 1))
        if not item.get("id"):
            item["id"] = str(number - 1)
        rows.append(item)
    return rows


def _json_rows(text: str, name: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ArgumentError(f"{name} is not valid JSON: {error}") from None
        lines: Sequence[Any] = data if isinstance(data, list) else [data]
        return [_json_row(item, index + 1, name) for index, item in enumerate(lines)]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append({"id": str(number), "function": "", "answer": "",
                         "_error": f"line {number} is not JSON: {error.msg}"})
            continue
        rows.append(_json_row(item, number, name))
    return rows


def _json_row(item: Any, number: int, name: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"id": str(number), "function": "", "answer": "",
                "_error": f"entry {number} of {name} is not an object"}
    row = {str(key).lower(): value for key, value in item.items()}
    row.setdefault("id", str(number))
    return row
