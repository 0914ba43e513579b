"""The three autograd lessons in examples/ (06-08) run, and give torch's numbers: each script
is run as written and again with `sg.` replaced by `torch.` (float64 by default), and every
number printed above its "symgrad only" line must agree to 1e-9."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LESSONS = ["06_polynomial_gradient_descent.py", "07_custom_function_legendre.py", "08_two_layer_net.py"]
MARKER = "# -- symgrad only"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def as_torch(source: str) -> str:
    """The lesson with torch in place of symgrad, up to its symgrad-only part."""
    common = source.split(MARKER)[0]
    common = common.replace("import symgrad as sg", "import torch\ntorch.set_default_dtype(torch.float64)")
    return re.sub(r"\bsg\.", "torch.", common)


def run(source: str, tmp_path: Path, name: str) -> str:
    script = tmp_path / name
    script.write_text(source)
    done = subprocess.run([sys.executable, "-W", "error", str(script)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_prints_torchs_numbers(lesson: str, tmp_path: Path) -> None:
    source = (EXAMPLES / lesson).read_text()
    assert MARKER in source and "import symgrad as sg" in source
    ours = run(source, tmp_path, "ours_" + lesson)
    theirs = run(as_torch(source), tmp_path, "torch_" + lesson)
    their_lines = theirs.splitlines()
    our_lines = ours.splitlines()[:len(their_lines)]
    assert [NUMBER.sub("#", line) for line in our_lines] == [NUMBER.sub("#", line) for line in their_lines]
    mine = np.array([float(item) for line in our_lines for item in NUMBER.findall(line)])
    reference = np.array([float(item) for line in their_lines for item in NUMBER.findall(line)])
    assert mine.size == reference.size > 5
    np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)


def test_lessons_symgrad_parts_agree_with_backward(tmp_path: Path) -> None:
    out = run((EXAMPLES / LESSONS[2]).read_text(), tmp_path, "lesson8.py")
    match = re.search(r"by backward (\S+), by the formula (\S+)", out)
    assert match and float(match.group(1)) == pytest.approx(float(match.group(2)), rel=1e-9)
    assert "training accuracy: 36 of 36" in out
    out = run((EXAMPLES / LESSONS[1]).read_text(), tmp_path, "lesson7.py")
    assert "grad_fn: <LegendreP3Backward>  expr: 0.5*(5*t**3 - 3*t)" in out
