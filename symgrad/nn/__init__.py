"""`sg.nn`: the small neural-network kit autograd tutorials use, as PyTorch's `torch.nn`.

Modules and losses are written in symgrad's tensor operations, so a model's loss records the
same DAG as any computation: `loss.expr` is its closed form, with each parameter a symbol
named after its path (`fc1.weight` -> `fc1_weight`, `0.bias` in a Sequential -> `layer0_bias`),
inputs that require grad or carry a `name=` as symbols too, and other data as constants.
"""

from __future__ import annotations

from . import functional
from .layers import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Identity, Linear, LogSoftmax,
                     MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .module import Module, Parameter

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax",
           "Tanh", "functional"]
