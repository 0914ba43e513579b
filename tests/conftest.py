"""Shared test configuration: hypothesis profiles (derandomized on CI)."""

from __future__ import annotations

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


settings.load_profile("ci" if os.environ.get("CI") else "default")
