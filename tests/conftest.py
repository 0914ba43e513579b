"""Shared test configuration: hypothesis profiles (derandomized on CI); on CI torch is required."""

from __future__ import annotations

import importlib
import os

import pytest

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis' failure report touches a deprecated mypy_extensions name; with warnings as
    # errors that would hide the real failure behind an INTERNALERROR.
    config.addinivalue_line("filterwarnings",
                            "ignore:mypy_extensions.TypedDict:DeprecationWarning")
    if os.environ.get("CI"):
        _require_torch()


def _require_torch() -> None:
    # torch is the independent oracle of the tensor tests, which skip where it is missing; on
    # CI a missing or broken torch must fail the run, not quietly skip those tests.
    try:
        importlib.import_module("torch")
    except ImportError as error:
        raise pytest.UsageError(f"CI is set but torch cannot be imported ({error}): the torch "
                                "oracle tests would skip; install the pinned torch") from error


settings.load_profile("ci" if os.environ.get("CI") else "default")
