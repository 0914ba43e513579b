"""Limits on the work one call may do, so short input never runs for hours or exhausts memory.

Each limit is a module attribute, read when it is checked; raise one for a session with

    import symgrad as sg
    sg.limits.MAX_ELEMENTS = 10**9

or for a process with the environment variable of the same name prefixed by `SYMGRAD_`
(`SYMGRAD_MAX_ELEMENTS=1000000000`), read when symgrad is imported. Going past a limit raises
`sg.LimitError`, whose message names the limit and both ways to raise it.

- `MAX_ORDER`: the highest derivative order of `diff` (and of the CLI's `--order`).
- `MAX_ELEMENTS`: the most elements of any array a node would make: a symbol's or a node's
  shape, a constant folded while building, and every value while evaluating (batch included).
- `MAX_NODES`: the most DAG nodes a repeated derivative (`order=`) may grow to, and the most
  outputs times elements of a Jacobian built element by element.
- `MAX_EXACT_BITS`: the most bits of an exact rational's numerator or denominator. A short
  input such as `(1/3)**100000` or `10**10**10` would otherwise build a huge number: a power
  that would pass it stays an unevaluated power (`10**10000000000`), and other arithmetic
  past it raises `LimitError`.
- `MAX_KERNEL_OPERANDS`: the most operands (arguments of all nodes together) a compiled kernel
  may have. Python's own compiler needs about 5 KB per generated statement, so a 20 KB power
  tower `x^x^...^x` compiled with its gradient (about 400,000 operands) would take 2.3 GB.
"""

from __future__ import annotations

import os

from .errors import LimitError


def _from_environment(name: str, default: int) -> int:
    text = os.environ.get("SYMGRAD_" + name)
    try:
        return int(text) if text else default
    except ValueError:
        return default


MAX_ORDER: int = _from_environment("MAX_ORDER", 100)
MAX_ELEMENTS: int = _from_environment("MAX_ELEMENTS", 100_000_000)
MAX_NODES: int = _from_environment("MAX_NODES", 2_000_000)
MAX_KERNEL_OPERANDS: int = _from_environment("MAX_KERNEL_OPERANDS", 100_000)
MAX_EXACT_BITS: int = _from_environment("MAX_EXACT_BITS", 20_000)


_UNITS = {"MAX_ORDER": "", "MAX_ELEMENTS": " elements", "MAX_NODES": " nodes",
          "MAX_KERNEL_OPERANDS": " operands", "MAX_EXACT_BITS": " bits"}


def exceeded(name: str, value: int, what: str) -> LimitError:
    """The error for `what` needing `value` where the limit `name` allows less."""
    limit = globals()[name]
    return LimitError(f"{what}: {value:,}{_UNITS[name]} is over the limit {name} = {limit:,}; "
                      f"raise it with symgrad.limits.{name} = ... or the environment variable "
                      f"SYMGRAD_{name}")


def check(name: str, value: int, what: str) -> None:
    """Raise `LimitError` when `value` is over the limit `name` (the limit's current value)."""
    if value > globals()[name]:
        raise exceeded(name, value, what)


def check_elements(shape: tuple[int, ...], what: str) -> None:
    """Raise `LimitError` when an array of `shape` would have more than MAX_ELEMENTS elements."""
    count = 1
    for extent in shape:
        count *= int(extent)
    if count > MAX_ELEMENTS:
        raise exceeded("MAX_ELEMENTS", count, f"{what} of shape {tuple(shape)}")


def check_exact(numerator: int, denominator: int, what: str) -> None:
    """Raise `LimitError` when an exact rational needs more than MAX_EXACT_BITS bits."""
    bits = max(abs(numerator).bit_length(), denominator.bit_length())
    if bits > MAX_EXACT_BITS:
        raise exceeded("MAX_EXACT_BITS", bits, what)
