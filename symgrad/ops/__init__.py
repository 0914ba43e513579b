"""The operation table: importing this package registers every operation in `OPS`."""

from . import arithmetic
from . import elementary
from . import linalg
from . import piecewise
from . import reductions  # noqa: F401
from ..core.opspec import OPS

__all__ = ["OPS"]
