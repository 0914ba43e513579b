"""Optional dependencies in tests: skip with a visible reason here, fail on CI (CI set)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def need(module: str) -> ModuleType:
    """`module` imported; without it the calling test module skips, or fails on CI."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI is set but the optional dependency {module} cannot be "
                               f"imported ({error}); CI installs symgrad[test]") from error
        pytest.skip(f"{module} is not installed (pip install symgrad[test])",
                    allow_module_level=True)
    raise AssertionError("unreachable")
