"""What `sg.autograd` holds, as `torch.autograd` does: `grad`, `backward`, `Function` and
the `functional` helpers (jacobian, hessian, vjp, jvp, hvp, vhp)."""

from __future__ import annotations

from . import functional
from .autograd import backward, grad
from .function import Function, FunctionCtx

__all__ = ["Function", "FunctionCtx", "backward", "functional", "grad"]
