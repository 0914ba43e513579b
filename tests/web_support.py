"""Helpers of the web page's tests: optional dependencies (skip with a reason outside CI, fail on
CI) and a real `symgrad serve` process on a free port."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def missing(reason: str) -> None:
    """Skip the test, with `reason`, or fail it on CI, where everything must be installed."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, but {reason}; .ci/run installs it", pytrace=False)
    pytest.skip(reason)


def require(module: str, install: str) -> ModuleType:
    """The module, imported; missing, the test skips (fails on CI) and says how to install it."""
    try:
        with warnings.catch_warnings():
            # Starlette's test client prefers the httpx2 package and warns when it runs on httpx.
            warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
            return importlib.import_module(module)
    except ImportError as error:
        missing(f"{module} is not installed ({error}); install it with {install}")
        raise  # unreachable: missing() skips or fails


def chromium() -> str:
    """The path of Debian's chromium, or skip (fail on CI)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        missing(f"the browser test needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    return str(path)


@contextmanager
def served(*options: str) -> Iterator[tuple[str, str]]:
    """`python -m symgrad serve --port 0 ...` running; yields its URL and its first line."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "symgrad", "serve", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=ROOT, env=environment)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://\S+/", line)
        if match is None:
            process.kill()
            raise AssertionError(f"symgrad serve did not start: {line!r} {process.communicate()[1]}")
        yield match.group(), line
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
