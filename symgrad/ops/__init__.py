"""The operation table: importing this package registers every operation in `OPS`."""

from . import arithmetic, elementary, linalg, piecewise, reductions  # noqa: F401
from ..opspec import OPS

__all__ = ["OPS"]
