"""The `Optimizer` base class: parameter groups, per-parameter state, `zero_grad`."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..core.errors import ArgumentError
from ..eager.tensor import Tensor, no_grad, set_grad_enabled

__all__ = ["Optimizer"]


class Optimizer:
    """Holds `param_groups` (each a dict of parameters and hyperparameters, as PyTorch's) and
    `state` (per-parameter buffers); subclasses define `step`."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ArgumentError("optimizer got an empty parameter list")
        for group in (groups if isinstance(groups[0], dict) else [{"params": groups}]):
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyperparameters that override the defaults."""
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise ArgumentError(f"optimizer can only optimize Tensors, but one of the params "
                                    f"is {type(param).__name__}")
            if not param.is_leaf:
                raise ArgumentError("can't optimize a non-leaf Tensor")
        self.param_groups.append({**self.defaults, **param_group, "params": params})

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (to None by default, as PyTorch 2)."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            previous = set_grad_enabled(True)
            try:
                loss = closure()
            finally:
                set_grad_enabled(previous)
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        self._update(param, np.asarray(param.grad.numpy(), dtype=np.float64),
                                     group, self.state.setdefault(param, {}))
        return loss

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any],
                state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for position, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {position}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])


def check_nonnegative(name: str, value: float) -> None:
    """PyTorch's constructor checks: `Invalid learning rate: -0.1`."""
    if not value >= 0.0:
        raise ArgumentError(f"Invalid {name}: {value}")
