"""The LaTeX builders called at each reduction: each grammar rule's node, and functions
written without parentheses applied to the factors after them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..core.errors import ArityError, NameLookupError, ParseError
from ..core.expr import Expr, constant_value, symbol
from ..ops import functions
from . import notation
from .latex_commands import _name_and_subscript
from .latex_state import _at, _build, _error, _literal, _session

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Token


# -- the builders called at each reduction --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Bare:
    """A function written without "(" (`\\sin x`), and its power (`\\sin^2 x`), if any."""

    token: Token
    power: Expr | None


@dataclass(frozen=True, slots=True)
class _Follower:
    """A right-hand factor of an implicit product: what it is, where it starts, its kind
    ("plain" names and powers, "number", "closed" brackets and calls, "function")."""

    value: Expr | _Bare
    token: Token | None  # None for a bracket: only numbers and names are pointed at
    kind: str


class _Builder:
    """Lark callbacks, one per grammar rule (or alias); each returns the node it builds."""

    def start(self, children: list[Any]) -> Expr:
        return _operand(children[0])

    def sum(self, children: list[Any]) -> Expr:
        terms = [_operand(children[0])]
        for index in range(1, len(children), 2):
            term = _operand(children[index + 1])
            terms.append(term if children[index].type == "PLUS" else functions.negate(term))
        return _build(children[1], functions.add, terms)

    def product(self, children: list[Any]) -> Expr:
        return _product(children)

    run = product

    def unary(self, children: list[Any]) -> Expr:
        sign, operand = children
        if isinstance(operand, _Bare):
            name = str(operand.token)
            message = (f"'{name}' is a function: give it an argument; after an operator and a "
                       f"sign write it as {sign}{name}(x)")
            raise _error(NameLookupError, message, _at(operand.token))
        return operand if sign.type == "PLUS" else functions.negate(operand)

    def power(self, children: list[Any]) -> Expr:
        base, operator, exponent = children
        return _build(operator, functions.power, _operand(base), exponent)

    def number(self, children: list[Token]) -> Expr:
        return _literal(str(children[0]))

    def letter(self, children: list[Token]) -> Expr:
        return _letter(children[0])

    def named(self, children: list[Token]) -> Expr:
        return _letter(children[0])

    def call(self, children: list[Any]) -> Expr:
        token, rest, power = children[0], children[1:], None
        if _is_token(rest[0], "POW"):
            power, rest = rest[1], rest[2:]
        arguments = [_operand(child) for child in rest[1:-1] if not _is_token(child, "COMMA")]
        return _call(token, arguments, power)

    def group(self, children: list[Any]) -> Expr:
        return _operand(children[1])

    def abs(self, children: list[Any]) -> Expr:
        return _build(children[0], functions.abs, _operand(children[1]))

    def frac(self, children: list[Any]) -> Expr:
        command, top, bottom = children
        return _build(command, functions.divide, top, bottom)

    def sqrt(self, children: list[Any]) -> Expr:
        return _build(children[0], functions.sqrt, children[1])

    def root(self, children: list[Any]) -> Expr:
        command, _, degree, _, radicand = children
        degree = _operand(degree)
        if _integer(degree) == 3:  # \sqrt[3]{x} is cbrt(x), as sg.parse reads ∛x
            return _build(command, functions.cbrt, radicand)
        if _integer(degree) == 2:
            return _build(command, functions.sqrt, radicand)
        return _build(command, functions.power, radicand, functions.divide(1, degree))

    def bare(self, children: list[Any]) -> _Bare:
        return _Bare(children[0], children[2] if len(children) > 1 else None)

    def script_number(self, children: list[Token]) -> Expr:
        return _literal(_single(children[0]))

    def script_letter(self, children: list[Token]) -> Expr:
        return _letter(children[0], script=True)

    def script_named(self, children: list[Token]) -> Expr:
        return _letter(children[0])

    def script_group(self, children: list[Any]) -> Expr:
        return _operand(children[1])

    # Followers: each is tagged with where it starts and its kind (see _Follower).
    def follower_number(self, children: list[Token]) -> _Follower:
        return _Follower(_literal(str(children[0])), children[0], "number")

    def follower_number_power(self, children: list[Any]) -> _Follower:
        base = _literal(str(children[0]))
        return _Follower(self.power([base, *children[1:]]), children[0], "plain")

    def follower_letter(self, children: list[Token]) -> _Follower:
        return _Follower(_letter(children[0]), children[0], "plain")

    def follower_power(self, children: list[Any]) -> _Follower:
        base, operator, exponent = children
        # e^{...} is the exponential, a function: it ends a bare function's argument, as in
        # \cos x\,e^{\sin x}
        kind = "exponential" if base.value is _literal("e") and base.token is not None and \
            "e" not in _session().declared else "plain"
        return _Follower(self.power([base.value, operator, exponent]), base.token, kind)

    def follower_bare(self, children: list[Any]) -> _Follower:
        return _Follower(self.bare(children), children[0], "function")

    def follower_bracket(self, children: list[Any]) -> _Follower:
        return _Follower(children[0], None, "closed")

    def follower_bracket_power(self, children: list[Any]) -> _Follower:
        value, operator, exponent = children
        return _Follower(self.power([value, operator, exponent]), None, "closed")


def _single(token: Token) -> str:
    """A one-character superscript or argument; `x^23` is refused rather than read as TeX's
    x^2*3."""
    written = str(token)
    if len(written) > 1:
        message = (f"'{written}' after a superscript or command needs braces: write "
                   f"^{{{written}}} (TeX would read only its first character)")
        raise _error(ParseError, message, _at(token))
    return written


def _letter(token: Token, script: bool = False) -> Expr:
    """A letter (`x`, `x_1`), a Greek letter (`\\theta`), `\\pi`, or Euler's `e`."""
    name, subscript = _name_and_subscript(str(token))
    if script and subscript is not None:
        message = f"'{token}' in a superscript needs braces: write ^{{{token}}}"
        raise _error(ParseError, message, _at(token))
    full = name if subscript is None else f"{name}_{subscript}"
    declared = _session().declared
    if full in declared:
        return declared[full]
    if full in ("pi", "e"):
        return _literal(full)
    if not full.isidentifier():
        raise _error(ParseError, f"'{token}' is not a valid name", _at(token))
    return symbol(full)


def _operand(value: Any) -> Expr:
    """`value` where an expression must stand: a function without its argument is an error."""
    if isinstance(value, _Bare):
        name = str(value.token)
        message = f"'{name}' is a function: give it an argument, as in {name}(x) or {name} x"
        raise _error(NameLookupError, message, _at(value.token))
    return cast(Expr, value)


def _integer(value: Expr) -> int | None:
    if value.op != "const" or value.shape != ():
        return None
    number = float(constant_value(value))
    return int(number) if number.is_integer() and abs(number) < 1 << 31 else None


def _call(token: Token, arguments: list[Expr], power: Expr | None) -> Expr:
    """The function `token` names applied to `arguments`, then raised to `power`
    (`\\sin^2`), or its inverse for a power of -1 (`\\sin^{-1}`)."""
    function = _session().functions[token.start_pos or 0]
    name = function.name
    exponent = None if power is None else _integer(power)
    if power is not None:
        if exponent == -1 and name in notation.INVERSES and function.base is None:
            name, exponent = notation.INVERSES[name], None
        elif exponent is None or exponent < 1:
            message = (f"'{token}^{{...}}' is read only with a positive whole power (\\sin^2 x) "
                       "or -1 for the inverse; write (\\sin x)^{...} for another power")
            raise _error(ParseError, message, _at(token))
    if function.base is not None:
        arguments = [*arguments, function.base]
    entry = functions.CALLS[name]
    if not entry.min_args <= len(arguments) <= entry.max_args:
        count = entry.min_args if entry.min_args == entry.max_args else \
            f"{entry.min_args} to {entry.max_args}"
        message = f"{token} takes {count} argument(s) ({len(arguments)} given)"
        raise _error(ArityError, message, _at(token))
    result = _build(token, entry.build, *arguments)
    if exponent is not None:
        result = _build(token, functions.power, result, power)
    return result


Term = tuple["Token | None", Expr, "Token"]


@dataclass(slots=True)
class _Application:
    """A function written without "(" and the factors gathered so far as its argument."""

    operator: Token | None
    function: _Bare
    factors: list[Expr] = field(default_factory=list)


def _product(children: list[Any]) -> Expr:
    """A chain of `* / \\cdot \\div` and juxtaposition: one n-ary product, as `sg.parse`
    builds it; a function without "(" first takes the plain factors after it."""
    factors: list[Expr] = []
    for operator, operand in _applied(children):
        if operator is not None and operator.type == "SLASH":
            factors.append(_build(operator, functions.divide, 1, operand))
        else:
            factors.append(operand)
    if len(factors) == 1:
        return factors[0]
    where = next((child if isinstance(child, str) else child.token for child in children[1:]
                  if isinstance(child, str) or getattr(child, "token", None) is not None), None)
    return _build(cast("Token | None", where), functions.multiply, factors)


def _is_token(value: Any, kind: str) -> bool:
    """Whether `value` is a lark token (a str) of type `kind`, not a built node."""
    return isinstance(value, str) and getattr(value, "type", None) == kind


def _applied(children: list[Any]) -> list[tuple[Token | None, Expr]]:
    """The chain's operands, each function without "(" applied to the factors after it (plain
    ones, or one bracket right after it), up to the next operator, function or bracket."""
    terms: list[tuple[Token | None, Expr]] = []
    open_call: _Application | None = None
    index = 0
    while index < len(children):
        item = children[index]
        operator: Token | None = None
        if isinstance(item, _Follower):
            value, kind, index = item.value, item.kind, index + 1
        elif index == 0:
            value, kind, index = item, "first", 1
        else:
            operator, value, kind, index = item, children[index + 1], "operand", index + 2
        if open_call is not None and kind in ("plain", "number", "closed") and \
                (kind == "plain" or not open_call.factors):
            open_call.factors.append(cast(Expr, value))
            if kind == "closed":  # \ln |x|, \sin \frac{x}{2}: the bracket is the argument
                terms.append(_close_call(open_call))
                open_call = None
            continue
        if open_call is not None:
            terms.append(_close_call(open_call))
            open_call = None
        if isinstance(value, _Bare):
            open_call = _Application(operator, value)
            continue
        if kind == "number":
            message = (f"unexpected number '{item.token}' after a factor: write \\cdot "
                       "between numbers, or put the number first")
            raise _error(ParseError, message, _at(cast(_Follower, item).token))
        terms.append((operator, value))
    if open_call is not None:
        terms.append(_close_call(open_call))
    return terms


def _close_call(application: _Application) -> tuple[Token | None, Expr]:
    token = application.function.token
    if not application.factors:
        _operand(application.function)  # raises: nothing to apply it to
    factors = application.factors
    argument = factors[0] if len(factors) == 1 else _build(token, functions.multiply, factors)
    return (application.operator, _call(token, [argument], application.function.power))
