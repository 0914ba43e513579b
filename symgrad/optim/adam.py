"""Adam and AdamW, with PyTorch's bias corrections and order of operations."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..core.errors import ArgumentError
from ..eager.tensor import Tensor
from .optimizer import Optimizer, check_nonnegative

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """PyTorch's Adam update, step t = 1, 2, ...:

        g = grad + weight_decay * p          (AdamW instead scales p by 1 - lr * weight_decay)
        m = m + (1 - beta1) * (g - m);  v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    `amsgrad` uses the running maximum of v.
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        for position, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ArgumentError(f"Invalid beta parameter at index {position}: {beta}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if group["maximize"]:
            grad = -grad
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(grad), exp_avg_sq=np.zeros_like(grad))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(grad)
        state["step"] += 1
        if decay != 0:
            if self.decoupled:
                param *= 1 - lr * decay
            else:
                grad = grad + decay * np.asarray(param.numpy())
        state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
        second = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = second = np.maximum(state["max_exp_avg_sq"], second)
        step = state["step"]
        step_size = lr / (1 - beta1 ** step)
        denominator = np.sqrt(second) / (1 - beta2 ** step) ** 0.5 + group["eps"]
        param += -step_size * state["exp_avg"] / denominator


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    # PyTorch's lerp: from the nearer end, so a weight near 1 loses no precision.
    result: np.ndarray = start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)
    return result


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01, as PyTorch)."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
