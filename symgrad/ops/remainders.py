"""Remainders of division, as PyTorch defines them: `remainder` (the sign of the divisor,
Python's %) and `fmod` (the sign of the dividend, C's fmod)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.opspec import Backend, OpSpec, register


def _remainder_grad(F: Backend, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # out = a - b*q with q = floor(a/b) (remainder) or trunc(a/b) (fmod), a whole number
    # constant between the jumps: d/da = 1 and d/db = -q, as PyTorch. q is read back as
    # (a - out)/b, so the rule needs only arithmetic and differentiates again to 0 (PyTorch's
    # second derivatives are 0 too); numbers round it to the exact whole number.
    quotient = (a - out) / b
    if isinstance(quotient, (np.ndarray, np.floating, float)):
        quotient = np.round(quotient)
    return g, -g * quotient


_MOD_CLASSES: dict[int, Any] = {}


def _differentiable_mod(sympy: Any) -> Any:
    """SymPy's Mod with the derivatives SymPy leaves unevaluated: d/da = 1, d/db = -floor(a/b)
    (a subclass, so it prints, simplifies and converts back as Mod)."""
    kind = _MOD_CLASSES.get(id(sympy))
    if kind is None:
        def fdiff(self: Any, argindex: int = 1) -> Any:
            # -floor(a/b) written as (Mod(a, b) - a)/b: SymPy can differentiate it again
            # (to 0) and print it, where floor's derivative stays unevaluated.
            a, b = self.args
            return sympy.Integer(1) if argindex == 1 else (self - a) / b
        kind = type("Mod", (sympy.Mod,), {"fdiff": fdiff})
        _MOD_CLASSES[id(sympy)] = kind
    return kind


def _remainder_sympy(sympy: Any, a: Any, b: Any) -> Any:
    return _differentiable_mod(sympy)(a, b)


def _fmod_sympy(sympy: Any, a: Any, b: Any) -> Any:
    # SymPy has no fmod: the sign of the dividend times the remainder of the magnitudes.
    return sympy.sign(a) * _differentiable_mod(sympy)(sympy.Abs(a), sympy.Abs(b))


# torch's node for two tensors is ...Backward1; a number as divisor gives ...Backward0.
# Both tested where a/b lies in (2.09, 2.8): away from the jumps, and with a quotient of 2.
_DOMAIN = ((2.2, 2.8), (1.0, 1.05))

register(OpSpec(
    name="remainder", arity=2, numpy=np.remainder, grad=_remainder_grad, sympy=_remainder_sympy,
    from_sympy="Mod",
    latex=r"{0} \bmod {1}", torch="RemainderBackward1", domain=_DOMAIN,
    note="a - b*floor(a/b): the sign of b, as Python's % and torch.remainder; "
         "d/da = 1, d/db = -floor(a/b)",
))
register(OpSpec(
    name="fmod", arity=2, numpy=np.fmod, grad=_remainder_grad, sympy=_fmod_sympy,
    latex=r"\operatorname{{fmod}}\left({0}, {1}\right)", torch="FmodBackward1", domain=_DOMAIN,
    note="a - b*trunc(a/b): the sign of a, as C's fmod and torch.fmod; "
         "d/da = 1, d/db = -trunc(a/b)",
))
