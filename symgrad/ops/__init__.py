"""The operation table: importing this package registers every operation in `OPS`."""

from . import arithmetic, elementary, linalg, piecewise, reciprocal, reductions, remainders  # noqa: F401
from ..core.opspec import OPS

__all__ = ["OPS"]
