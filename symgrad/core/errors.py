"""The errors symgrad raises: every failure a user can cause is a `SymgradError`.

    SymgradError
    ├── ParseError        (ValueError)  text that is not an expression; has .line, .column
    ├── NameLookupError   (ValueError)  an unknown function or name, with a suggestion
    ├── ArityError        (TypeError)   a function called with the wrong number of arguments
    ├── ShapeError        (ValueError)  operands whose shapes do not fit the operation
    ├── DomainError       (ArithmeticError, ValueError)  a non-finite value, with errors="raise"
    ├── ArgumentError     (TypeError, ValueError)  a bad argument to a symgrad function
    ├── LimitError        (ValueError)  work beyond a documented limit (symgrad.limits)
    └── AutogradError     (RuntimeError)  tensor misuse: backward twice, no grad, in-place ...
        └── InPlaceError  a value backward needs was changed in place (torch's version error)
"""

from __future__ import annotations


class SymgradError(Exception):
    """Base class of every error symgrad raises on bad input."""


class ParseError(SymgradError, ValueError):
    """Text that is not a valid expression.

    `line` and `column` are 1-based; `str(error)` shows the offending line with a caret.
    """

    def __init__(self, message: str, text: str = "", line: int = 0, column: int = 0) -> None:
        self.message = message
        self.text = text
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.line:
            return self.message
        header = f"{self.message} at line {self.line}, column {self.column}"
        lines = self.text.splitlines() or [""]
        source = lines[self.line - 1] if self.line <= len(lines) else ""
        start = max(0, self.column - 60)
        shown = source[start : start + 120]
        caret = " " * (self.column - 1 - start) + "^"
        return f"{header}\n  {shown}\n  {caret}"


class NameLookupError(ParseError):
    """An unknown function or constant name (a `ParseError` when it comes from text)."""


class ArityError(ParseError, TypeError):
    """A function called with the wrong number of arguments."""


class ShapeError(ParseError):
    """Operands whose shapes do not fit the operation; the message names both shapes."""


class DomainError(SymgradError, ArithmeticError, ValueError):
    """A value outside an operation's domain, raised only when `errors="raise"` was asked."""


class ArgumentError(SymgradError, TypeError, ValueError):
    """A bad argument to a symgrad function (wrong type, unknown variable, missing value)."""


class LimitError(SymgradError, ValueError):
    """Work beyond one of the limits in `symgrad.limits`; the message names the limit and how
    to raise it."""


class AutogradError(SymgradError, RuntimeError):
    """Misuse of eager tensors: backward without a seed, through a freed graph, and so on."""


class InPlaceError(AutogradError):
    """A value backward needs was changed by an in-place operation after it was used (PyTorch's
    version-counter error); also a RuntimeError, as PyTorch raises it."""
