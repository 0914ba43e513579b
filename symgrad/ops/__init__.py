"""The operation table: importing this package registers every operation in `OPS`."""

from . import arithmetic, elementary, linalg, piecewise, reciprocal, reductions  # noqa: F401
from ..core.opspec import OPS

__all__ = ["OPS"]
