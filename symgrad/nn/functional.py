"""`sg.nn.functional`: activations, softmax and losses with PyTorch's signatures.

Everything is written in symgrad's own tensor operations (the operation table), so a loss
records the same DAG as any other computation: `loss.expr` is its closed form and
`loss.backward()` runs the table's derivative rules. Reductions over one axis are `sum_to`
(a sum that keeps the axis, as `keepdim=True`) followed by indexing the axis away.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..core.errors import ArgumentError, ShapeError
from ..eager.tensor import Tensor, apply_op
from ..ops.functions import clamp, exp, log, relu as _relu, sigmoid as _sigmoid, softplus
from ..ops.functions import tanh as _tanh

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "linear",
           "log_softmax", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "tanh"]


def _tensor(value: Any, what: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise ArgumentError(f"{what} must be a Tensor, not {type(value).__name__}")


# -- activations and linear maps -------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(input, 0); `inplace` is accepted and computes a new tensor."""
    return _relu(_tensor(input, "relu's input"))


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _tanh(_tensor(input, "tanh's input"))


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _sigmoid(_tensor(input, "sigmoid's input"))


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """input @ weight.T + bias, for input of shape (in_features,) or (batch, in_features)."""
    product: Tensor = input @ weight.t()
    if bias is None:
        return product
    # PyTorch fuses a batch product and its bias into one node named AddmmBackward0.
    name = "AddmmBackward0" if input.ndim == 2 else ""
    return apply_op("add", (product, bias), {}, name)


# -- softmax along one axis ------------------------------------------------------------------------
def _axis(input: Tensor, dim: int | None, function: str) -> int:
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {function} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)
    rank = max(input.ndim, 1)
    if not -rank <= dim < rank:
        raise ArgumentError(f"Dimension out of range (expected to be in range of [{-rank}, "
                            f"{rank - 1}], but got {dim})")
    return dim % rank


def _sum_keeping(value: Tensor, axis: int) -> Tensor:
    """The sum over `axis`, keeping it with extent 1 (PyTorch's keepdim=True)."""
    if value.ndim == 0:
        return value
    shape = tuple(1 if position == axis else extent for position, extent in enumerate(value.shape))
    return apply_op("sum_to", (value,), {"shape": shape})


def _drop(value: Tensor, axis: int) -> Tensor:
    """`value` without its extent-1 `axis`."""
    if value.ndim == 0:
        return value
    return value[(slice(None),) * axis + (0,)]


def _shifted(input: Tensor, axis: int) -> Tensor:
    # Subtracting a constant per slice changes neither softmax nor its derivative; only large
    # logits need it (exp overflows past 709), so small ones keep the plain closed form.
    values = np.asarray(input._value)
    if values.size == 0 or np.max(np.abs(values)) < 30:
        return input
    return input - np.max(values, axis=axis, keepdims=True) if values.ndim else input - values


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """input - log(sum(exp(input))) along `dim`."""
    axis = _axis(_tensor(input, "log_softmax's input"), dim, "log_softmax")
    shifted = _shifted(input, axis)
    result: Tensor = shifted - log(_sum_keeping(exp(shifted), axis))
    return result


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """exp(input) / sum(exp(input)) along `dim`."""
    axis = _axis(_tensor(input, "softmax's input"), dim, "softmax")
    powers = exp(_shifted(input, axis))
    result: Tensor = powers / _sum_keeping(powers, axis)
    return result


# -- reductions ------------------------------------------------------------------------------------
def _reduced(loss: Tensor, reduction: str, name: str) -> Tensor:
    """The loss per element reduced as asked; the reduction's node is named as PyTorch's loss."""
    if reduction == "mean":
        return apply_op("mean", (loss,), {}, name)
    if reduction == "sum":
        return apply_op("sum", (loss,), {}, name)
    if reduction == "none":
        return loss
    raise ArgumentError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ArgumentError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Tensor, target: Tensor, size_average: None = None, reduce: None = None,  # noqa: A002
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)**2, reduced."""
    _check_reduction(reduction)
    if _shape(target) != _shape(input):
        warnings.warn(f"Using a target size ({_shape(target)}) that is different to the input size "
                      f"({_shape(input)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=2)
    loss = (input - target) ** 2
    if weight is not None:
        loss = loss * weight
    return _reduced(loss, reduction, "MseLossBackward0")


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(np.shape(value._value if isinstance(value, Tensor) else value))


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         size_average: None = None, reduce: None = None,
                         reduction: str = "mean") -> Tensor:
    """-(target * log(input) + (1 - target) * log(1 - input)), each log clamped at -100 as
    PyTorch does, reduced."""
    _check_reduction(reduction)
    if _shape(target) != _shape(input):
        raise ShapeError(f"Using a target size ({_shape(target)}) that is different to the input "
                         f"size ({_shape(input)}) is deprecated. Please ensure they have the same size.")
    loss = -(target * _log_clamped(input) + (1 - target) * _log_clamped(1 - input))
    if weight is not None:
        loss = loss * weight
    return _reduced(loss, reduction, "BinaryCrossEntropyBackward0")


def _log_clamped(value: Tensor) -> Tensor:
    # PyTorch clamps the logs at -100, so a probability of exactly 0 or 1 gives a finite loss.
    return clamp(log(value), -100.0, np.inf)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     size_average: None = None, reduce: None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) without overflow:
    (1 - target) * input + softplus(-input), the softplus scaled by
    1 + (pos_weight - 1) * target when pos_weight is given."""
    _check_reduction(reduction)
    if _shape(target) != _shape(input):
        raise ShapeError(f"Target size ({_shape(target)}) must be the same as input size ({_shape(input)})")
    tail = softplus(-input)
    if pos_weight is not None:
        tail = (1 + (pos_weight - 1) * target) * tail
    loss = (1 - target) * input + tail
    if weight is not None:
        loss = loss * weight
    return _reduced(loss, reduction, "BinaryCrossEntropyWithLogitsBackward0")


# -- cross entropy ---------------------------------------------------------------------------------
def _class_indices(target: Any, input_shape: tuple[int, ...], axis: int) -> np.ndarray:
    """Class-index targets as integers, checked against the input's shape."""
    values = np.asarray(target._value if isinstance(target, Tensor) else target)
    expected = input_shape[:axis] + input_shape[axis + 1:]
    if values.shape != expected:
        raise ShapeError(f"class-index targets of shape {expected} are needed for input of shape "
                         f"{input_shape}, not {values.shape}")
    if values.size and not np.all(values == np.round(values)):
        raise ArgumentError("class-index targets must be whole numbers")
    return values.astype(np.int64)


def _target_mask(indices: np.ndarray, classes: int, axis: int, weight: np.ndarray,
                 ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-hot mask scaled by each target's class weight, each sample's weight), as constants."""
    kept = indices != ignore_index
    if np.any(kept & ((indices < 0) | (indices >= classes))):
        raise ArgumentError(f"Target {indices[kept & ((indices < 0) | (indices >= classes))][0]} "
                            f"is out of bounds for {classes} classes")
    safe = np.where(kept, indices, 0)
    sample_weight = np.where(kept, weight[safe], 0.0)
    hot = np.moveaxis(np.eye(classes)[safe], -1, axis) if indices.ndim else np.eye(classes)[safe]
    mask = hot * np.expand_dims(sample_weight, axis)
    return mask, sample_weight


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None,  # noqa: A002
             size_average: None = None, ignore_index: int = -100, reduce: None = None,
             reduction: str = "mean") -> Tensor:
    """-input[target] per sample (input holds log-probabilities), weighted and reduced; the
    mean divides by the summed weights of the targets, as PyTorch's."""
    _check_reduction(reduction)
    axis = 1 if input.ndim >= 2 else 0
    classes = input.shape[axis] if input.ndim else 1
    indices = _class_indices(target, input.shape, axis)
    weights = _class_weights(weight, classes)
    mask, sample_weight = _target_mask(indices, classes, axis, weights, ignore_index)
    picked = -(input * mask)
    if reduction == "none":
        return _drop(_sum_keeping(picked, axis), axis)
    total = apply_op("sum", (picked,), {}, "NllLossBackward0" if reduction == "sum" else "")
    if reduction == "sum":
        return total
    return apply_op("mul", (total, _reciprocal(np.sum(sample_weight))), {}, "NllLossBackward0")


def _reciprocal(total: float) -> float:
    # Every target ignored: the mean of nothing is nan, as in PyTorch.
    return 1.0 / float(total) if total else float("nan")


def _class_weights(weight: Tensor | None, classes: int) -> np.ndarray:
    if weight is None:
        return np.ones(classes)
    values = np.asarray(weight._value if isinstance(weight, Tensor) else weight, dtype=np.float64)
    if values.shape != (classes,):
        raise ShapeError(f"weight tensor should be defined either for all {classes} classes or "
                         f"no classes but got weight tensor of shape: {values.shape}")
    return values


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,  # noqa: A002
                  size_average: None = None, ignore_index: int = -100, reduce: None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, class axis), target): targets are class indices (one axis
    fewer than input) or class probabilities (input's shape); with PyTorch's label smoothing."""
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    input = _tensor(input, "cross_entropy's input")  # noqa: A001
    axis = 1 if input.ndim >= 2 else 0
    logp = log_softmax(input, axis)
    if _shape(target) == input.shape:
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, axis)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return loss
    classes = input.shape[axis]
    weights = _class_weights(weight, classes)
    indices = _class_indices(target, input.shape, axis)
    kept = indices != ignore_index
    scale = np.expand_dims(kept.astype(np.float64), axis) * _along(weights, axis, input.ndim)
    smooth = _drop(_sum_keeping(-(logp * scale), axis), axis)
    if reduction == "mean":
        divisor = np.sum(np.where(kept, weights[np.where(kept, indices, 0)], 0.0))
        smooth = smooth.sum() * _reciprocal(divisor)
    elif reduction == "sum":
        smooth = smooth.sum()
    result: Tensor = (1 - label_smoothing) * loss + smooth * (label_smoothing / classes)
    return result


def _along(values: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """A per-class vector shaped to broadcast along `axis` of an `ndim`-dimensional input."""
    return values.reshape((-1,) + (1,) * (ndim - axis - 1))


def _soft_cross_entropy(logp: Tensor, target: Any, weight: Tensor | None, reduction: str,
                        label_smoothing: float, axis: int) -> Tensor:
    classes = logp.shape[axis]
    probabilities = target * (1 - label_smoothing) + label_smoothing / classes \
        if label_smoothing else target
    scaled = logp * probabilities
    if weight is not None:
        scaled = scaled * _along(_class_weights(weight, classes), axis, logp.ndim)
    if reduction == "none":
        return _drop(_sum_keeping(-scaled, axis), axis)
    total: Tensor = -scaled.sum()
    if reduction == "sum":
        return total
    mean: Tensor = total / (logp.numel() / classes)
    return mean

