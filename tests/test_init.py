"""The public surface in symgrad/__init__.py."""

from __future__ import annotations

import symgrad as sg


class TestVersion:
    def test_version(self):
        assert isinstance(sg.__version__, str) and sg.__version__
