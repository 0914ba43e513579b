"""`sg.optim`: PyTorch's optimizers `SGD`, `Adam` and `AdamW`, with the same update formulas,
so a training loop gives torch's trajectory (to rounding) after `torch.` -> `sg.`."""

from __future__ import annotations

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
