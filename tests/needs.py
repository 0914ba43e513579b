"""Optional test dependencies: skipped with a visible reason locally, a hard failure on CI."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def module(name: str, why: str) -> ModuleType:
    """Import `name`, or skip (outside CI) / fail (with `CI` set) saying `why` it is needed."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI is set but {name} cannot be imported ({error}): {why}") \
                from error
        pytest.skip(f"{name} is not installed: {why}", allow_module_level=True)
        raise  # unreachable: skip raises


def program(name: str, why: str) -> str:
    """The path of the program `name`, or skip (outside CI) / fail (on CI) saying `why`."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the program {name!r} is not on PATH: {why}")
        pytest.skip(f"{name!r} is not on PATH: {why}")
    assert path is not None
    return path
