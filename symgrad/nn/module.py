"""`sg.nn.Module` and `sg.nn.Parameter`: containers of parameters, as PyTorch's.

A module registers the parameters and submodules assigned to its attributes, in order.
Each parameter is named after its path for `.expr`: `fc1.weight` becomes the symbol
`fc1_weight`; a path that starts with a digit (inside `Sequential`) gets `layer` in front
(`layer0_weight`). So `loss.expr` of a model is a closed form in those symbols, and
`sg.diff(loss.expr, "layer0_bias")` differentiates it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

import numpy as np

from ..core.errors import ArgumentError
from ..eager.tensor import Tensor, make_leaf, no_grad

__all__ = ["Module", "Parameter"]


class _ParameterType(type):
    """Makes `Parameter(data)` a leaf `Tensor` marked as a parameter, and `isinstance(t,
    Parameter)` test the mark: symgrad's tensors are one class, kept exact for speed."""

    def __call__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Tensor:
        if data is None:
            values: Any = np.zeros((0,))
        elif isinstance(data, Tensor):
            values = data._value  # shares the storage, as PyTorch's Parameter does
        else:
            raise ArgumentError(f"Parameter takes a tensor, not {type(data).__name__}")
        leaf = make_leaf(values).requires_grad_(requires_grad)
        setattr(leaf, "_is_parameter", True)
        return leaf

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, Tensor) and bool(getattr(instance, "_is_parameter", False))


if TYPE_CHECKING:
    class Parameter(Tensor):
        """What type checkers see: a Tensor (at run time `Parameter(t)` is a marked Tensor)."""

        def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None: ...
else:
    class Parameter(metaclass=_ParameterType):
        """A tensor that a `Module` registers as one of its parameters (requires grad by default).

        `Parameter(t)` shares `t`'s storage, as in PyTorch; the result is a `sg.Tensor`, and
        `isinstance(p, sg.nn.Parameter)` is True for it.
        """


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` did not match: `missing_keys` and `unexpected_keys`."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def symbol_name(path: str) -> str:
    """The symbol a parameter at `path` ("0.weight") becomes in `.expr` ("layer0_weight")."""
    name = path.replace(".", "_")
    return f"layer{name}" if name[:1].isdigit() else name


class Module:
    """Base class of models and layers: subclass it, assign layers and parameters in
    `__init__` (after `super().__init__()`), and define `forward`; call the module to run it."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the subclass")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- registration ------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError("cannot assign parameters or modules before Module.__init__() call")
        parameters, modules = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if parameters is not None and modules is not None:
            parameters.pop(name, None)
            modules.pop(name, None)
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
                return
            if isinstance(value, Module):
                self.add_module(name, value)
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Called only when ordinary lookup fails: parameters and modules live in their tables.
        for table in ("_parameters", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Tensor | None) -> None:
        """Register `param` (or None, a placeholder) as parameter `name`."""
        self.__dict__.pop(name, None)
        self._parameters[name] = param
        if param is not None:
            param._name = symbol_name(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as submodule `name`; its parameters are renamed under `name`."""
        self.__dict__.pop(name, None)
        self._modules[name] = module
        if module is not None:
            for path, param in module.named_parameters():
                param._name = symbol_name(f"{name}.{path}")

    register_module = add_module

    # -- traversal (iterative: a stack, not recursion) --------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, each once, with its path."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = [(f"{path}.{name}" if path else name, child)
                        for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(path, parameter) pairs: this module's, then each submodule's, in registration order."""
        seen: set[int] = set()
        owners = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for path, module in owners:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{path}.{name}" if path else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every parameter, each once (pass them to an optimizer)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    # -- state --------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (to None by default, as PyTorch 2)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = make_leaf(np.zeros(param.shape))

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule; returns the module."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """`train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Each parameter's values by path (detached, sharing storage)."""
        return OrderedDict((path, param.detach()) for path, param in self.named_parameters())

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters, in place; with `strict`, the keys must match."""
        own = dict(self.named_parameters())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if strict and (missing or unexpected):
            raise ArgumentError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                                f"missing keys {missing}, unexpected keys {unexpected}")
        with no_grad():
            for key, param in own.items():
                if key in state_dict:
                    _copy_into(param, key, state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Accepts device "cpu" and dtype float64 (what symgrad computes in); returns the module."""
        for target in (*args, *kwargs.values()):
            if str(target).rsplit(".", 1)[-1] not in ("cpu", "float64", "double"):
                raise ArgumentError(f"cannot move a module to {target!r}: symgrad modules live on "
                                    "the CPU in float64")
        return self

    def double(self) -> Module:
        """The module itself: its parameters are float64 already."""
        return self

    # -- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """What goes inside the parentheses of this module's line (subclasses set it)."""
        return ""

    def __repr__(self) -> str:
        lines: list[str] = []
        # (module, label, depth, closing): a closing entry prints the ')' after the children.
        stack: list[tuple[Module, str, int, bool]] = [(self, "", 0, False)]
        while stack:
            module, label, depth, closing = stack.pop()
            indent = "  " * depth
            if closing:
                lines.append(f"{indent})")
                continue
            head = f"{indent}{label}{type(module).__name__}("
            children = list(module.named_children())
            if not children:
                lines.append(f"{head}{module.extra_repr()})")
                continue
            lines.append(head + (module.extra_repr() if module.extra_repr() else ""))
            stack.append((module, label, depth, True))
            stack.extend((child, f"({name}): ", depth + 1, False) for name, child in reversed(children))
        return "\n".join(lines)


def _copy_into(param: Tensor, key: str, value: Any) -> None:
    values = np.asarray(value.detach().numpy() if hasattr(value, "detach") else value, dtype=np.float64)
    if values.shape != param.shape:
        raise ArgumentError(f"size mismatch for {key}: copying a param with shape {values.shape}, "
                            f"the shape in current model is {param.shape}")
    if param.ndim:
        param[:] = values  # in place: views of the parameter see the new values
    else:
        param.data = values
