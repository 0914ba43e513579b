"""sg.grade and `symgrad grade`: a class of answers, right, wrong and unreadable, graded."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import symgrad as sg
from symgrad.cli import main
from test_verify import RIGHT, WRONG
from test_verify_courses import DOMAIN_TABLE, SECOND_DERIVATIVES

BAD_ROWS = [
    ("sin(x", "cos(x)", "x", "1", "unbalanced"),
    ("x^2", "2x +", "x", "1", "end of input"),
    ("x^2", "", "x", "1", "no answer"),
    ("foo(x)", "1", "x", "1", "unknown function"),
    ("x^2", "2x", "x", "two", "whole number"),
]


def _class_of(size: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    """`size` rows mixing right, wrong and unreadable answers, and each row's right status."""
    right = [(f, a, "x", "1") for f, a, _ in DOMAIN_TABLE] + [(f, a, "x", "1") for f, a in RIGHT]
    right += [(f, r, "x", "2") for f, r, _ in SECOND_DERIVATIVES]
    wrong = [(f, c, "x", "1") for f, c, _ in WRONG] + [(f, w, "x", "2") for f, _, w in SECOND_DERIVATIVES]
    wrong += [(f, f"({a}) (1 + 1e-9)", "x", "1") for f, a, _ in DOMAIN_TABLE[::3]]
    rows, expected = [], {}
    for number in range(size):
        identifier = f"s{number:03d}"
        if number % 20 == 7:
            f, a, v, o, _ = BAD_ROWS[(number // 20) % len(BAD_ROWS)]
            status = "error"
        elif number % 2:
            f, a, v, o = wrong[number % len(wrong)]
            status = "wrong"
        else:
            f, a, v, o = right[number % len(right)]
            status = "correct"
        rows.append({"id": identifier, "function": f, "variable": v, "answer": a, "order": o})
        expected[identifier] = status
    return rows, expected


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["id", "function", "variable", "answer", "order"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    rows, expected = _class_of(300)
    path = tmp_path_factory.mktemp("class") / "answers.csv"
    _write_csv(path, rows)
    start = time.perf_counter()
    report = sg.grade(sg.read_answers(path))
    seconds = time.perf_counter() - start
    print(f"graded {len(rows)} answers in {seconds:.1f} s")
    return report, expected, seconds


def test_three_hundred_answers_are_graded_in_under_thirty_seconds(graded_class):
    report, _, seconds = graded_class
    assert len(report.rows) == 300
    assert seconds < 30, f"grading 300 answers took {seconds:.1f} s"


def test_every_verdict_of_the_class_is_right(graded_class):
    report, expected, _ = graded_class
    assert [row.id for row in report.rows] == list(expected)
    mismatches = [(row.id, row.function, row.answer, row.status) for row in report.rows
                  if row.status != expected[row.id]]
    assert not mismatches
    counts = report.counts
    assert counts["error"] == 15 and counts["correct"] + counts["wrong"] == 285


def test_wrong_rows_carry_a_counterexample_and_a_diagnosis(graded_class):
    report, _, _ = graded_class
    for row in report.rows:
        if row.status == "wrong":
            assert row.verdict.counterexample and row.verdict.diagnosis and row.mistake
    kinds = dict(report.common_mistakes())
    assert kinds and all(count > 0 for count in kinds.values())


def test_bad_rows_are_reported_in_their_row(graded_class):
    report, _, _ = graded_class
    bad = {row.function + "|" + row.answer + "|" + str(row.order): row for row in report.rows
           if row.status == "error"}
    for function, answer, _, order, words in BAD_ROWS:
        matching = [row for row in report.rows if row.status == "error"
                    and row.function == function and row.answer == answer]
        assert matching and all(words in row.error for row in matching), (function, words)
    assert bad


def test_reports_as_csv_json_and_html(graded_class, tmp_path):
    report, expected, _ = graded_class
    report.write(tmp_path / "r.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert [row["status"] for row in rows] == list(expected.values())
    report.write(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["counts"] == report.counts
    assert data["rows"][1]["verdict"]["status"] == "wrong"
    report.write(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "Most common mistakes" in page and "\\(" in page and "<script>" in page
    assert "http" not in page  # self-contained: nothing to fetch
    with pytest.raises(sg.ArgumentError):
        report.write(tmp_path / "r.txt")


def test_grade_takes_python_rows_and_json_lines(tmp_path):
    report = sg.grade([{"id": "a", "function": "x^3", "variable": "x", "answer": "3x^2"},
                       {"id": "b", "function": "x^3", "answer": "6x", "order": 2},
                       {"id": "c", "function": "x^2 y", "variable": "x,y", "answer": "2x"}],
                      workers=1)
    assert [row.status for row in report.rows] == ["correct", "correct", "correct"]
    lines = tmp_path / "answers.jsonl"
    lines.write_text('{"id": "1", "function": "sin(x^2)", "variable": "x", "answer": "cos(x^2)"}\n'
                     "not json\n"
                     '{"id": "3", "function": "ln x", "answer": "1/x"}\n')
    graded = sg.grade(sg.read_answers(lines))
    assert [row.status for row in graded.rows] == ["wrong", "error", "correct"]
    assert "chain" in graded.rows[0].mistake and "not JSON" in graded.rows[1].error


def test_cli_grade_writes_the_report(tmp_path, capsys):
    rows, _ = _class_of(24)
    path = tmp_path / "answers.csv"
    _write_csv(path, rows)
    assert main(["grade", str(path), "-o", str(tmp_path / "report.json")]) == 0
    assert "graded 24 answers" in capsys.readouterr().out
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["counts"]["error"] == 1
    assert main(["grade", str(path)]) == 0
    assert "24 answers" in capsys.readouterr().out
    assert main(["grade", str(tmp_path / "missing.csv")]) == 2


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_html_report_renders_in_a_headless_browser_without_script_errors(graded_class, tmp_path):
    browser = _chromium()
    report, _, _ = graded_class
    page = tmp_path / "report.html"
    report.write(page)
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines()
              if "CONSOLE" in line and re.search("Uncaught|Error", line)]
    assert not errors
    assert 'data-ready="yes"' in result.stdout  # the page's script ran to its end
    assert result.stdout.count('data-status="wrong"') == report.counts["wrong"]


def test_progress_bar_on_request(capsys):
    sg.grade([{"id": "a", "function": "x^2", "answer": "2x"}], progress=True, workers=1)
    assert "grading" in capsys.readouterr().err
    sg.grade([{"id": "a", "function": "x^2", "answer": "2x"}], progress=False, workers=1)
    assert capsys.readouterr().err == ""


def test_grade_of_text_instead_of_rows_is_a_clear_error():
    import symgrad as sg
    with pytest.raises(sg.ArgumentError, match="grade takes rows"):
        sg.grade("answers.csv")
