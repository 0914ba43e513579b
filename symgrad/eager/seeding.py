"""`sg.manual_seed`: make symgrad's random factories (and `nn.Linear`'s initialisation)
reproducible. The numbers are symgrad's own (numpy's PCG64), not torch's."""

from __future__ import annotations

import numpy as np

from ..core.errors import ArgumentError
from .factories import _RANDOM

__all__ = ["manual_seed"]


def manual_seed(seed: int) -> None:
    """Reseed the generator behind `sg.rand`, `sg.randn`, `sg.normal` and `sg.nn` layers."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ArgumentError(f"manual_seed takes an integer, not {seed!r}")
    # Reseeded in place: the factories hold this generator object.
    _RANDOM.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
