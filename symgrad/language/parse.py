"""Text to expressions: the LALR grammar in `grammar/symgrad.lark` and the builders it calls.

Nodes are built at each reduction by the transformer handed to `Lark(...)`: there is no parse
tree and nothing recurses over the depth of the input. Lark's errors become `ParseError`s here,
at one boundary, with 1-based line and column and tokens named as a user types them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Union, cast

from ..ops import functions
from ..core.errors import (ArgumentError, ArityError, LimitError, NameLookupError, ParseError,
                           ShapeError, SymgradError)
from ..core.collector import collector_paused
from ..core.expr import Expr, as_expr, constant, symbol
from ..core.shapes import Shape
from .sympy_bridge import from_sympy
from . import notation, tables
from ..core.greek import canonical_keys, canonical_name

if TYPE_CHECKING:  # lark is imported on the first parse, keeping `import symgrad` light
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

Where = tuple[int, int]  # (line, column), both 1-based
Value = Union[Expr, "Token"]


# Digits of the longest whole-number literal (Python converts at most 4300 by default).
MAX_DIGITS = 4300
# Characters from which a parse pauses the cyclic garbage collector (core/collector.py).
LARGE_TEXT = 10_000


def parse(text: str, shapes: Mapping[str, Shape] | None = None) -> Expr:
    """The expression `text` describes, as a node of the symbolic DAG.

    `shapes` declares symbols and their shapes, e.g. `{"x": (3,)}`; other names are scalar
    symbols. `pi` and `e` (also `E`, as SymPy prints it) are the constants (Euler's number)
    unless they are keys of `shapes`:
    `parse("e*t", shapes={"e": ()})` has a symbol `e`. Likewise a function name such as `sum`
    can only be used as a variable when it is a key of `shapes`.

    Several statements, separated by newlines or `;`, may bind names (`p = sigmoid(z)`) that
    later statements use; the last statement is the result. A bound name shadows a symbol.

    Multiplication may be implicit, with the precedence of `*`: `3x^2`, `2(x+1)`,
    `(x+1)(x-1)`, `2x cos(x^2)`, `x y` (but `xy` is one name, `2e3` a number, and `x -1` a
    subtraction). A leading sign covers the juxtaposed factors after it: `-2x` is `-(2*x)`.
    Textbook notation (README, "Textbook notation"): `ln x`, `sin^2 x`, `sin^-1(x)`, `arcsin`,
    `log_2(x)`, `|x|`, `√x`, `x²`; a function without parentheses takes the implicit product
    after it, up to the next function, operator or bracket (`sin 2x cos x` is
    `sin(2*x)*cos(x)`). A name before `(` is a call only if it is a function: `x(x + 1)` and
    `t(1 - t)` multiply, `foo(x)` is an error. A function name is never a variable unless
    declared in `shapes` or assigned to. Newlines inside brackets continue the statement; `#`
    starts a comment.

    Raises `ParseError` (with `.line` and `.column`), or its subclasses `NameLookupError`
    (unknown function), `ArityError` (wrong number of arguments) and `ShapeError`.
    """
    if not isinstance(text, str):
        raise ArgumentError(f"parse takes a str, not {type(text).__name__}")
    declared = declared_symbols(shapes)
    if len(text) < LARGE_TEXT:
        return _parse(text, declared)
    with collector_paused():  # a fifth of a large parse's time went to cyclic collections
        return _parse(text, declared)


def _parse(text: str, declared: dict[str, Expr]) -> Expr:
    from .fastlane import parse_plain  # a cycle: the fast lane reads this module's name rules
    fast = parse_plain(text, declared)  # plain operator text, read without lark; else None
    if fast is not None:
        return fast
    return parse_with_lark(text, declared)


def parse_with_lark(text: str, declared: dict[str, Expr]) -> Expr:
    """`parse` by the grammar, for any input (the fast lane's oracle in the tests)."""
    session = _Session(text, declared)
    previous = getattr(_local, "session", None)
    _local.session = session
    try:
        parser = _parser()
        from lark.exceptions import UnexpectedInput
        try:
            return cast(Expr, parser.parse(text))  # the inline transformer builds the Expr
        except UnexpectedInput as error:
            raise _syntax_error(error, session) from None
    finally:
        _local.session = previous


def declared_symbols(shapes: Mapping[str, Shape] | None) -> dict[str, Expr]:
    """The symbols `shapes` declares (an `ArgumentError` for a bad name or shape)."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise ArgumentError(f"shapes must map names to shapes, not {type(shapes).__name__}")
    return {name: symbol(name, shape) for name, shape in canonical_keys(shapes).items()}


# -- per-parse state ------------------------------------------------------------------------------
@dataclass(slots=True)
class _Session:
    """What one call of `parse` knows: its text, declared shapes and the names seen so far."""

    text: str
    declared: dict[str, Expr]
    names: dict[str, Expr] = field(default_factory=dict)
    numbers: dict[str, Expr] = field(default_factory=dict)
    follower_starts: list[tuple[Token, str]] = field(default_factory=list)
    open_brackets: list[Token] = field(default_factory=list)
    functions: dict[int, _Function] = field(default_factory=dict)  # by a token's start_pos
    bound: set[str] = field(default_factory=set)  # names assigned to so far


@dataclass(frozen=True, slots=True)
class _Function:
    """A function name as written: the table name it means, a logarithm's base, a power."""

    name: str
    base: int | float | None = None
    power: int | None = None


@dataclass(frozen=True, slots=True)
class _Bare:
    """A function written without "(" (`sin x`): the product around it supplies its argument."""

    token: Token


@dataclass(frozen=True, slots=True)
class _Slice:
    """A slice in a subscript (`1:`, `::2`): its first ":" and its start, stop and step."""

    colon: Token
    parts: tuple[Expr | None, ...]


@dataclass(frozen=True, slots=True)
class _Binding:
    """The value of a statement `name = expr`: only its position matters to `start`."""

    name: Token


# The Lark object is built once per process and shared; the state of the parse in progress
# lives here, so concurrent parses in several threads do not see each other's names.
_local = threading.local()


def _session() -> _Session:
    return _local.session  # type: ignore[no-any-return]


# -- errors at a position -------------------------------------------------------------------------
# Characters that str.splitlines() would break on, or that print badly, shown as one column each
# so that the caret under the message stays under the offending character.
_DISPLAY = str.maketrans({**{chr(c): "\ufffd" for c in (*range(32), *range(127, 160))},
                          "\n": "\n", "\t": " ", "\r": " ", "\x0b": " ", "\x0c": " ",
                          "\x1c": " ", "\x1d": " ", "\x1e": " ", "\x85": " ",
                          "\u2028": " ", "\u2029": " "})


def _error(kind: type[ParseError], message: str, where: Where) -> ParseError:
    """An error of class `kind` at `where` in the text being parsed."""
    return kind(message, _session().text.translate(_DISPLAY), where[0], where[1])


def _at(token: Token) -> Where:
    return (token.line or 1, token.column or 1)


def _relocated(error: SymgradError, where: Where) -> SymgradError:
    """A builder's error, raised again as the same class at the spot it came from."""
    if isinstance(error, LimitError):
        return error  # a limit is about the work, not the spot: its own class, to be raised
    if isinstance(error, ParseError):
        return error if error.line else _error(type(error), error.message, where)
    return _error(ParseError, str(error), where)


def _build(token: Token, builder: Callable[..., Expr], *args: Any) -> Expr:
    """`builder(*args)`; its errors point at `token`, the operator or name it came from."""
    try:
        return builder(*args)
    except SymgradError as error:
        raise _relocated(error, _at(token)) from error


def _chain(combine: Callable[[list[Expr]], Expr], items: list[Expr], tokens: list[Token]) -> Expr:
    """`combine(items)` in one call; an error points at the operator `tokens[i-1]` before the
    first `items[i]` that cannot join."""
    if len(items) == 1:
        return items[0]
    try:
        return combine(items)
    except SymgradError as error:
        # Only on failure: fold pairwise to find the first operator that cannot apply.
        partial = items[0]
        for item, token in zip(items[1:], tokens):
            partial = _build(token, combine, [partial, item])
        raise _relocated(error, _at(tokens[0])) from error


# -- the builders called at each reduction --------------------------------------------------------
class _Builder:
    """Lark callbacks, one per grammar rule (or alias); each returns the node it builds.

    A function written without "(" arrives as a `_Bare` marker; only `product` gives it its
    argument, and every other callback refuses one with `_operand`.
    """

    def start(self, statements: list[Expr | _Binding | _Bare]) -> Expr:
        if not statements:
            raise _error(ParseError, "empty input: expected an expression", (1, 1))
        result = statements[-1]
        if isinstance(result, _Binding):
            message = (f"the last statement only binds '{result.name}'; "
                       "end with an expression, the result")
            raise _error(ParseError, message, _at(result.name))
        for statement in statements:
            _operand(statement)
        return _operand(result)

    def assign(self, children: list[Any]) -> _Binding:
        name, value = children
        session = _session()
        session.names[canonical_name(str(name))] = _operand(value)
        session.bound.add(canonical_name(str(name)))
        return _Binding(name)

    def compare(self, children: list[Any]) -> Expr:
        left, relation, right = children
        return _build(relation, functions.compare, str(relation), _operand(left), _operand(right))

    def sum(self, children: list[Any]) -> Expr:
        terms = [_operand(children[0])]
        for index in range(1, len(children), 2):
            term = _operand(children[index + 1])
            terms.append(term if children[index].type == "PLUS" else functions.negate(term))
        return _chain(functions.add, terms, children[1::2])

    def product(self, children: list[Any]) -> Expr:
        return _product(children, _follower_positions(children))

    run = product  # `power follower*` after a sign: the same juxtaposition

    def unary(self, children: list[Any]) -> Expr:
        sign, operand = children
        if isinstance(operand, _Bare):  # `2*-sin x`: the sign ends before the argument starts
            name = str(operand.token)
            message = (f"'{name}' is a function: give it an argument; after an operator and a "
                       f"sign write it as {sign}{name}(x)")
            raise _error(NameLookupError, message, _at(operand.token))
        return operand if sign.type == "PLUS" else functions.negate(operand)

    def power(self, children: list[Any]) -> Expr:
        base, operator, exponent = children
        if isinstance(exponent, _Bare):  # e^sin x: the argument would reach past the exponent
            name = str(exponent.token)
            message = (f"'{name}' in an exponent needs parentheses: write e.g. e^{name}(x) "
                       f"or e^({name} x)")
            raise _error(NameLookupError, message, _at(exponent.token))
        return _build(operator, functions.power, _operand(base), _operand(exponent))

    def power_sup(self, children: list[Any]) -> Expr:
        base, exponent = children
        return _build(exponent, functions.power, _operand(base), _superscript(exponent))

    def attribute(self, children: list[Any]) -> Expr:
        operand, dot, name = children
        if name != "T":
            message = f"unknown attribute '.{name}': the only attribute is '.T', the transpose"
            raise _error(ParseError, message, _at(dot))
        return _build(dot, functions.transpose, _operand(operand))

    def subscript(self, children: list[Any]) -> Expr:
        operand, bracket, *items = children
        return _subscript(_operand(operand), bracket, items)

    def slice_item(self, children: list[Any]) -> _Slice:
        parts: list[Expr | None] = [None]
        colons: list[Token] = []
        for child in children:
            if isinstance(child, _Bare) or isinstance(child, Expr):
                parts[-1] = _operand(child)
            else:
                colons.append(child)
                parts.append(None)
        return _Slice(colons[0], tuple(parts))

    def number(self, children: list[Token]) -> Expr:
        return _number(children[0])

    def name(self, children: list[Token]) -> Expr:
        return _name(children[0])

    def call(self, children: list[Any]) -> Expr:
        return _call(children[0], [_operand(child) for child in children[1:]])

    def group(self, children: list[Any]) -> Expr:
        return _operand(children[0])

    def array(self, children: list[Any]) -> Expr:
        return _build(children[0], functions.array, [_operand(child) for child in children[1:]])

    def abs(self, children: list[Any]) -> Expr:
        return _build(children[0], functions.abs, _operand(children[1]))

    def root(self, children: list[Any]) -> Expr:
        sign, operand = children
        operand = _operand(operand)
        if sign == "\u221a":
            return _build(sign, functions.sqrt, operand)
        if sign == "\u221b":
            return _build(sign, functions.cbrt, operand)
        return _build(sign, functions.power, operand, Fraction(1, 4))

    def bare(self, children: list[Token]) -> _Bare:
        return _Bare(children[0])

    # A follower is the right-hand factor of an implicit product; its start and kind are
    # recorded for the `product` that consumes it (products reduce innermost first, so a stack
    # suffices). A "plain" follower (a name, a number, their powers) can be part of the argument
    # of a function written without "(": a call, bracket or function ends that argument.
    def follower_name(self, children: list[Token]) -> Expr:
        _session().follower_starts.append((children[0], "plain"))
        return _name(children[0])

    def follower_call(self, children: list[Any]) -> Expr:
        _session().follower_starts.append((children[0], "closed"))
        return self.call(children)

    def follower_group(self, children: list[Any]) -> Expr:
        _session().follower_starts.append((children[0], "closed"))
        return _operand(children[1])

    def follower_abs(self, children: list[Any]) -> Expr:
        _session().follower_starts.append((children[0], "closed"))
        return self.abs(children)

    def follower_root(self, children: list[Any]) -> Expr:
        _session().follower_starts.append((children[0], "closed"))
        return self.root(children)

    def follower_bare(self, children: list[Token]) -> _Bare:
        _session().follower_starts.append((children[0], "function"))
        return _Bare(children[0])

    def follower_number(self, children: list[Token]) -> Expr:
        _session().follower_starts.append((children[0], "number"))
        return _number(children[0])

    def follower_number_power(self, children: list[Any]) -> Expr:
        _session().follower_starts.append((children[0], "plain"))
        return self.power([_number(children[0]), *children[1:]])

    def follower_number_sup(self, children: list[Token]) -> Expr:
        _session().follower_starts.append((children[0], "plain"))
        return self.power_sup([_number(children[0]), children[1]])


def _operand(value: Any) -> Expr:
    """`value` where an expression must stand: a function without its argument is an error."""
    if isinstance(value, _Bare):
        name = str(value.token)
        message = f"'{name}' is a function: give it an argument, as in {name}(x) or {name} x"
        raise _error(NameLookupError, message, _at(value.token))
    return value  # type: ignore[no-any-return]


def _subscript(operand: Expr, bracket: Token, items: list[Any]) -> Expr:
    """`operand[items]`, the node Python's `operand[...]` builds (numpy's basic indexing)."""
    if operand.shape == ():
        message = f"'{operand}' is a scalar (shape ()): it has no entries to subscript"
        raise _error(ShapeError, message, _at(bracket))
    index = tuple(_index_item(item, bracket) for item in items)
    return _build(bracket, operand.__getitem__, index if len(index) > 1 else index[0])


def _index_item(item: Any, bracket: Token) -> int | slice:
    """One item of a subscript: an integer, or a slice of integers (None where left out)."""
    if not isinstance(item, _Slice):
        return _integer(_operand(item), bracket)
    start, stop, step = (*item.parts, None)[:3]
    bounds = [None if part is None else _integer(part, item.colon) for part in (start, stop, step)]
    if bounds[2] == 0:
        raise _error(ParseError, "a slice step cannot be zero", _at(item.colon))
    return slice(*bounds)


def _integer(expr: Expr, where: Token) -> int:
    """The integer an index expression stands for (a whole-number constant), else an error."""
    exact = expr.kwargs.get("exact") if expr.op == "const" else None
    if isinstance(exact, Fraction) and exact.denominator == 1:  # 2.0 is a decimal: no index
        return int(exact)
    message = f"an index must be an integer, not {expr}"
    raise _error(ParseError, message, _at(where))


_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
                              "\u207a\u207b", "0123456789+-")


def _superscript(token: Token) -> Expr:
    """The integer a run of superscript characters (`²`, `⁻¹`) writes."""
    return constant(int(str(token).translate(_SUPERSCRIPTS)))


def number_constant(text: str) -> Expr:
    """A number literal's constant: exact for an integer (`3`), a decimal for a literal with
    a point or an exponent (`2.5`, `.5`, `2.0`, `1e-3`), as Python and SymPy read them."""
    if text.isdigit():
        if len(text) > MAX_DIGITS:
            raise ParseError(f"a whole number of {len(text)} digits is too long (at most "
                             f"{MAX_DIGITS})")
        return constant(int(text))
    return constant(float(text))


def _number(token: Token) -> Expr:
    numbers = _session().numbers
    node = numbers.get(token)
    if node is None:
        try:
            node = numbers[str(token)] = number_constant(str(token))
        except ParseError as error:
            raise _error(ParseError, error.message, _at(token)) from None
    return node


_CONSTANTS = {"pi": functions.PI, "\u03c0": functions.PI, "e": functions.E, "E": functions.E}


def _name(token: Token) -> Expr:
    """A bound name, a declared symbol, `pi`/`e`, or a new scalar symbol."""
    session = _session()
    name = canonical_name(str(token))  # θ is theta, as \theta is
    node = session.names.get(name)
    if node is None:
        node = session.names[name] = _unbound_name(token, session.declared)
    return node


def _unbound_name(token: Token, declared: dict[str, Expr]) -> Expr:
    name = canonical_name(str(token))
    node = name_value(name, declared)
    if node is not None:
        return node
    if name in functions.CALLS:
        message = f"'{name}' is a function: give it an argument, as in {name}(x) or {name} x"
        raise _error(NameLookupError, message, _at(token))
    head = notation.function_and_letter(name)
    if head is not None:
        rest = name[len(head):]
        message = (f"'{name}' is not read as a name: write {head} {rest} or {head}({rest}) "
                   f"(or declare '{name}' in shapes= to use it as a variable)")
        raise _error(NameLookupError, message, _at(token))
    glued = _glued_factor(name, token)
    if glued is not None:
        message = (f"'{name}' is not read as a name: write {glued} "
                   f"(or declare '{name}' in shapes= to use it as a variable)")
        raise _error(NameLookupError, message, _at(token))
    if not name.isidentifier():
        raise _error(ParseError, f"'{name}' is not a valid name", _at(token))
    return symbol(name)


def name_value(name: str, declared: Mapping[str, Expr]) -> Expr | None:
    """The value a name read as a NAME stands for: a declared symbol, `pi`/`e`, or a new scalar
    symbol; None when it cannot be a value on its own (a function name, a function name and a
    letter such as `sinx`, a letter glued to a function such as `xsin`, a letter and `e` that
    may stand before `^`, not an identifier): `_unbound_name` then decides, with the text around
    the name, whether it is an error."""
    name = canonical_name(name)
    if name in declared:
        return declared[name]
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    if name in functions.CALLS or notation.function_and_letter(name) is not None \
            or notation.letter_and_function(name) is not None or _letter_and_e(name) \
            or not name.isidentifier():
        return None
    return symbol(name)


def _letter_and_e(name: str) -> bool:
    """`xe`, `re`: glued to e when `^` follows (`xe^x`, as students type it), a plain name
    otherwise; `**` keeps it a name, so printed text such as `Re**2` reads back."""
    return len(name) == 2 and name.isascii() and name[1] == "e"


def _glued_factor(name: str, token: Token) -> str | None:
    """How to write a letter glued to a function or to e^ (`xsin`, `xln`, `xe^x`), as the
    student means it; None for a name that is not such a look-alike."""
    pair = notation.letter_and_function(name)
    if pair is not None:
        letter, function = pair
        rest = name[1 + len(function):] or "..."
        return f"{letter} {function} {rest} or {letter}*{function}({rest})"
    end = token.end_pos or 0
    if _letter_and_e(name) and _session().text.startswith("^", end):
        return f"{name[0]} e^... or {name[0]}*e^..."
    return None


def _call(token: Token, arguments: list[Expr]) -> Expr:
    """The function named by `token` applied to `arguments`, checked against the call table."""
    written = str(token)
    function = _session().functions.get(token.start_pos or 0)
    if function is None:
        raise _error(NameLookupError, _unknown_function(written), _at(token))
    if function.base is not None:
        arguments = [*arguments, constant(function.base)]
    name = function.name
    entry = functions.CALLS[name]
    if not entry.min_args <= len(arguments) <= entry.max_args:
        message = f"{written}() takes {_argument_count(entry)} ({len(arguments)} given)"
        raise _error(ArityError, message, _at(token))
    try:
        result = _build(token, entry.build, *arguments)
    except (ValueError, TypeError, IndexError, ArithmeticError) as error:
        if isinstance(error, SymgradError):
            raise
        # A builder that let a numpy error through on odd arguments: still the user's input.
        raise _error(ParseError, f"invalid arguments to {name}(): {error}", _at(token)) from error
    if function.power is not None:
        result = _build(token, functions.power, result, function.power)
    return result


def _unknown_function(name: str) -> str:
    close = notation.suggest(name)
    product = f"to multiply, write {name}*(...)"
    return f"unknown function '{name}' (did you mean '{close}'? {product})" if close else \
        f"unknown function '{name}' ({product})"


def _argument_count(entry: functions.Call) -> str:
    low, high = entry.min_args, entry.max_args
    plural = "argument" if max(low, 1) == 1 and high == low else "arguments"
    if low == high:
        return f"{low} {plural}"
    if high >= 1 << 20:
        return f"at least {low} {plural}"
    return f"{low} to {high} {plural}"


def _follower_positions(children: list[Any]) -> list[tuple[Token, str]]:
    """The first token and kind of each implicit factor of this product, off the session's
    stack."""
    operands = sum(1 for child in children if isinstance(child, (Expr, _Bare)))
    count = 2 * operands - len(children) - 1  # children: first, (op, operand)*, implicit*
    starts = _session().follower_starts
    taken = starts[len(starts) - count:]
    del starts[len(starts) - count:]
    return taken


@dataclass(slots=True)
class _Application:
    """A function written without "(" and the factors gathered so far as its argument."""

    operator: Token | None
    function: _Bare
    factors: list[Expr] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)


def _product(children: list[Any], implicit: list[tuple[Token, str]]) -> Expr:
    """A chain of `* / @` and juxtaposition, left to right as in Python.

    `*`, `/` and implicit factors gather into one n-ary product (`/ c` as the factor c**-1);
    `@` closes the product so far, since a matrix product neither commutes nor flattens.
    A function written without "(" first takes the plain factors after it as its argument.
    """
    terms = _applied(children, implicit)
    factors: list[Expr] = [terms[0][1]]
    tokens: list[Token] = []
    for operator, operand, where in terms[1:]:
        if operator is None or operator.type == "STAR":
            factors.append(operand)
        elif operator.type == "SLASH":
            factors.append(_build(operator, functions.divide, 1, operand))
        else:
            left = _chain(functions.multiply, factors, tokens)
            factors, tokens = [_build(operator, functions.matmul, left, operand)], []
            continue
        tokens.append(where)
    return _chain(functions.multiply, factors, tokens)


Term = tuple["Token | None", Expr, "Token"]  # (operator, or None for juxtaposition; operand; where)


def _applied(children: list[Any], implicit: list[tuple[Token, str]]) -> list[Term]:
    """The chain's operands, each function without "(" applied to the plain factors after it
    (up to the next operator, function, call or bracket)."""
    terms: list[Term] = []
    open_call: _Application | None = None
    index, followers = 0, iter(implicit)
    while index < len(children):
        item = children[index]
        operator: Token | None = None
        kind = "first" if index == 0 else ""
        if index and not isinstance(item, (Expr, _Bare)):
            operator, item = item, children[index + 1]
            index += 2
            kind = "operand"
        else:
            index += 1
        where = operator
        if kind == "":
            where, kind = next(followers)
        if kind == "plain" and _is_exponential(where):  # e^x is a function, as exp(x) is
            kind = "function"
        if open_call is not None and kind in ("plain", "number", "closed") and \
                (kind == "plain" or not open_call.factors):
            open_call.factors.append(item)
            open_call.tokens.append(where)  # type: ignore[arg-type]
            if kind == "closed":  # ln |x|, sin √x: the bracket right after is the argument
                terms.append(_close_call(open_call))
                open_call = None
            continue
        if open_call is not None:
            terms.append(_close_call(open_call))
            open_call = None
        if isinstance(item, _Bare):
            open_call = _Application(operator, item)
            continue
        if kind == "number":
            raise _number_after_factor(where)  # type: ignore[arg-type]
        terms.append((operator, item, where or item))
    if open_call is not None:
        terms.append(_close_call(open_call))
    return terms


def _is_exponential(token: Token | None) -> bool:
    """Whether `token` starts e^...: `cos x e^(sin x)` is cos(x)*e^(sin x), as books mean."""
    if token is None or str(token) != "e" or _is_variable("e", _session()):
        return False
    end = token.end_pos or 0
    return _session().text[end:end + 64].lstrip(" \t").startswith(("^", "**"))


def _close_call(application: _Application) -> Term:
    token = application.function.token
    if not application.factors:
        _operand(application.function)  # raises: nothing to apply it to
    argument = _chain(functions.multiply, application.factors, application.tokens[1:])
    return (application.operator, _call(token, [argument]), token)


def _number_after_factor(token: Token) -> ParseError:
    text = _session().text
    start = token.start_pos or 0
    if str(token).startswith(".") and start and not text[start - 1].isspace():
        message = "unexpected '.': the only attribute is '.T', the transpose"
        return _error(ParseError, message, (token.line or 1, (token.column or 1) + 1))
    message = f"unexpected {_shown(token)}: a number after a factor needs an explicit '*'"
    return _error(ParseError, message, _at(token))


# -- lexing: names, bars and brackets -------------------------------------------------------------
_CLOSING = {"RPAR": "LPAR", "RSQB": "LSQB", "RBAR": "LBAR"}
_OPENING = frozenset(_CLOSING.values())
# After one of these a "|" closes the innermost open bar; elsewhere it opens one.
_OPERAND_END = frozenset({"NAME", "NUMBER", "RPAR", "RSQB", "RBAR", "SUP"})
_SUPERSCRIPT_CHARACTERS = frozenset("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
_PLAIN = frozenset({"NUMBER", "PLUS", "MINUS", "STAR", "SLASH", "POW", "LPAR", "RPAR", "LSQB",
                    "RSQB", "COMMA", "SEMICOLON", "_NL", "DOT", "AT", "COMPARE", "SUP", "ROOT"})
_NOT_IN_NAMES = "\u00b2\u00b3\u00b9\u2070-\u207f"  # superscript digits and signs
# The pieces of a NAME token with a power (`x^2`, `sin^(-1)`, `t ** 3`, `x²`), split back.
_PIECES = re.compile(rf"(?P<SUP>[\u207a\u207b]?[{_NOT_IN_NAMES}]+)|(?P<POW>\^|\*\*)"
                     rf"|(?P<PLUS>\+)|(?P<MINUS>[-\u2212])|(?P<NUMBER>[0-9]+)|(?P<LPAR>\()"
                     rf"|(?P<RPAR>\))|(?P<NAME>[^\W{_NOT_IN_NAMES}]+)|[ \t]+")
_DERIVATIVE_TOP = re.compile(r"d[^\W\d_]?")
_DERIVATIVE_BOTTOM = re.compile(r"d[^\W\d_]\w*")


class _Tokens:
    """The postlexer: reads names against the call table, decides "|", tracks brackets.

    A name is a function (CALLNAME before "(", BAREFUNC otherwise) when the table or
    `notation` knows it and it is not a declared or bound variable. A one-letter name before
    "(" stays a NAME (the parenthesis multiplies). A name with a power (`sin^2`) is a function
    token carrying the power, or, for a variable (`x^2`), is split back into its tokens.
    Newlines inside brackets are dropped.
    """

    always_accept = ("_NL", "NAME", "BAR")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        session = _session()
        open_brackets = session.open_brackets
        before = previous = None  # the last two tokens, to catch d/dx
        for lexed in stream:
            if lexed.type in _PLAIN:  # most tokens: nothing to read or decide
                tokens: list[Token] | tuple[Token] = (lexed,)
            else:
                tokens = self._classify(lexed, session, previous)
            for token in tokens:
                kind = token.type
                if kind in _OPENING:
                    open_brackets.append(token)
                elif kind in _CLOSING:
                    _close(open_brackets, token)
                elif kind == "_NL" and open_brackets:
                    continue
                elif previous is not None and previous.type == "SLASH" and before is not None \
                        and kind in ("NAME", "CALLNAME"):
                    _refuse_derivative(before, previous, token, session)
                before, previous = previous, token
                yield token

    def _classify(self, token: Token, session: _Session, previous: Token | None) -> list[Token]:
        kind = token.type
        if kind == "NAME":
            name = str(token)
            parts = _split_pi(token) if "\u03c0" in name and len(name) > 1 and \
                not _is_variable(name, session) else ()
            if len(parts) > 1:  # 2πr, πx, πcos(πx): π is the constant, not a letter of a name
                return [piece for part in parts
                        for piece in self._classify(part, session, previous)]
            if not name.isidentifier():  # a power, a braced subscript, or x₁
                if "{" in name:  # log_{10} is log_10, x_{1} is x_1
                    name = "".join(name.replace("{", "").replace("}", "").split())
                    token = token.new_borrow_pos("NAME", name, token)
                elif "^" in name or "*" in name or name[-1] in _SUPERSCRIPT_CHARACTERS:
                    return _power_of_name(token, session)
            if _before_parenthesis_follows(token, session):
                return [_before_parenthesis(token, session)]
            resolved = notation.resolve(name) if notation.may_be_function(name) else None
            if resolved is None or _is_variable(name, session) or _assigned(token, session):
                return [token]
            return [_function_token(token, "BAREFUNC", _Function(*resolved))]
        if kind == "BAR":
            open_brackets = session.open_brackets
            closes = (previous is not None and previous.type in _OPERAND_END and open_brackets
                      and open_brackets[-1].type == "LBAR")
            return [token.new_borrow_pos("RBAR" if closes else "LBAR", "|", token)]
        return [token]


# A π next to a letter: the places where a name is split (π_1 and x_π stay names).
_PI_EDGE = re.compile(r"(?<=[^\W\d_])(?=\u03c0)|(?<=\u03c0)(?=[^\W\d_])")


def _split_pi(token: Token) -> list[Token]:
    """A name with π in it split where π meets a letter (`πx^2` is `π` and `x^2`)."""
    text = str(token)
    cuts = [0, *(match.start() for match in _PI_EDGE.finditer(text)), len(text)]
    return [_slice(token, "NAME", start, end) for start, end in zip(cuts, cuts[1:])]


def _before_parenthesis_follows(token: Token, session: _Session) -> bool:
    """Whether "(" comes next after `token`, spaces aside."""
    end = token.end_pos or 0
    following = session.text[end:end + 1]
    if following == "(":
        return True
    return following in (" ", "\t") and session.text[end:end + 64].lstrip(" \t").startswith("(")


def _assigned(token: Token, session: _Session) -> bool:
    """Whether `token` is the target of an assignment (`ln = 2`): "=" but not "==" follows."""
    end = token.end_pos or 0
    rest = session.text[end:end + 64].lstrip(" \t")
    return rest.startswith("=") and not rest.startswith("==")


def _is_variable(name: str, session: _Session) -> bool:
    name = canonical_name(name)
    return name in session.bound or name in session.declared


def _function_token(token: Token, kind: str, function: _Function) -> Token:
    _session().functions[token.start_pos or 0] = function
    return token.new_borrow_pos(kind, str(token), token)


def _before_parenthesis(token: Token, session: _Session) -> Token:
    """A name before "(": a call of a function, a product for a short name or a variable, and
    an unknown function otherwise (an error once its arguments are read)."""
    name = str(token)
    if multiplies_before_parenthesis(name, _is_variable(name, session)):
        return token
    resolved = notation.resolve(name)
    if resolved is None:  # `_call` raises, after lark has read the arguments
        return token.new_borrow_pos("CALLNAME", name, token)
    return _function_token(token, "CALLNAME", _Function(*resolved))


def multiplies_before_parenthesis(name: str, variable: bool) -> bool:
    """Whether `name(...)` is a product: a variable, `pi`/`e`, or a short name (notation)."""
    return variable or name in _CONSTANTS or notation.multiplies_before_parenthesis(name)


def _power_of_name(token: Token, session: _Session) -> list[Token]:
    """`sin^2` or `sin^-1` as one function token; `x^2` split back into its tokens."""
    pieces = [_piece(token, match) for match in _PIECES.finditer(str(token)) if match.lastgroup]
    name = str(pieces[0])
    if name == "e" and not _is_variable(name, session):
        _refuse_glued_exponent(token, pieces, session)
    resolved = notation.resolve(name)
    if resolved is None or _is_variable(name, session):
        return pieces
    exponent = int("".join(str(piece) for piece in pieces[1:] if piece.type in
                           ("PLUS", "MINUS", "NUMBER", "SUP")).translate(_SUPERSCRIPTS)
                   .replace("\u2212", "-"))
    table_name, base = resolved
    power: int | None = exponent
    if exponent == -1 and table_name in notation.INVERSES and base is None:
        table_name, power = notation.INVERSES[table_name], None
    elif exponent < 1:
        message = (f"'{token}' is not read: write {name}(x)^{exponent} for a power"
                   + (f" or {notation.INVERSES[table_name]}(x) for the inverse"
                      if table_name in notation.INVERSES else ""))
        raise _error(ParseError, message, _at(token))
    end = token.end_pos or 0
    rest = session.text[end:end + 64].lstrip(" \t")
    kind = "CALLNAME" if rest.startswith("(") else "BAREFUNC"
    return [_function_token(token, kind, _Function(table_name, base, power))]


_GLUED = re.compile(r"[^\W\d_]+")


def _refuse_glued_exponent(token: Token, pieces: list[Token], session: _Session) -> None:
    """`e^2x` is e^(2x) to a student and e^2*x to Python: an error that asks which."""
    end = token.end_pos or 0
    following = _GLUED.match(session.text, end)
    if following is None:
        return
    written = pieces[2:] or pieces[1:]  # `e^2x`: e, ^, 2; `e²x`: e, ²
    exponent = "".join(str(piece) for piece in written).translate(_SUPERSCRIPTS).strip("() \t") \
        + following.group()
    message = (f"'e^{exponent}' is ambiguous: write e^({exponent}) for the exponential of "
               f"{exponent}, or e^{exponent.replace(following.group(), ' ' + following.group())}"
               f" with a space for a product")
    raise _error(ParseError, message, _at(written[0]))


def _piece(token: Token, match: re.Match[str]) -> Token:
    start, end = match.span()
    return _slice(token, match.lastgroup or "", start, end)


def _slice(token: Token, kind: str, start: int, end: int) -> Token:
    """The characters `start:end` of one-line `token`, as a token of type `kind` at their spot."""
    from lark import Token as LarkToken
    offset, column = token.start_pos or 0, token.column or 1
    return LarkToken(kind, str(token)[start:end], start_pos=offset + start, line=token.line,
                     column=column + start, end_line=token.line, end_column=column + end,
                     end_pos=offset + end)


def may_start_derivative(name: str) -> bool:
    """Whether `name` before "/" may be the top of `d/dx` or `dy/dx` (see `_refuse_derivative`)."""
    return _DERIVATIVE_TOP.fullmatch(name) is not None


def _refuse_derivative(top: Token, slash: Token, bottom: Token, session: _Session) -> None:
    """`d/dx` and `dy/dx` are not products: a ParseError that points to sg.diff."""
    if slash.type != "SLASH" or top.type != "NAME" or _is_variable(str(top), session):
        return
    if may_start_derivative(str(top)) and _DERIVATIVE_BOTTOM.fullmatch(str(bottom)) \
            and not _is_variable(str(bottom), session):
        variable = str(bottom)[1:]
        message = (f"'{top}/{bottom}' is not read as a derivative: use "
                   f"sg.diff(f, '{variable}') (verify drops a claim's left side '... =')")
        raise _error(ParseError, message, _at(top))


def _close(open_brackets: list[Token], closer: Token) -> None:
    if not open_brackets:
        raise _error(ParseError, f"unbalanced '{closer}': nothing to close", _at(closer))
    opener = open_brackets.pop()
    if _CLOSING[closer.type] != opener.type:
        line, column = _at(opener)
        message = f"'{closer}' does not close the '{opener}' at line {line}, column {column}"
        raise _error(ParseError, message, _at(closer))


# -- lark's errors become ours -------------------------------------------------------------------
def _syntax_error(error: UnexpectedInput, session: _Session) -> ParseError:
    """The `ParseError` for a lark error, pointing where a user would look."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    if isinstance(error, UnexpectedCharacters) and _superscript_letter(error.char):
        message = (f"unexpected character {error.char!r}: only superscript digits and signs are "
                   "read (x², x⁻¹); write other exponents with ^, as in e^(-x)")
        return _error(ParseError, message, (error.line, error.column))
    if isinstance(error, UnexpectedCharacters):
        return _error(ParseError, f"unexpected character {error.char!r}",
                      (error.line, error.column))
    if not isinstance(error, UnexpectedToken):
        return _error(ParseError, "invalid input", (error.line or 1, error.column or 1))
    token = error.token
    if token.type == "$END":
        return _end_of_input_error(token, session)
    if token.type in _CLOSING:
        _close(session.open_brackets, token)  # raises when the closer is unbalanced
    return _error(ParseError, _unexpected(token, error.expected), _at(token))


def _superscript_letter(char: str) -> bool:
    """A superscript sign or letter (`⁻`, `ˣ`, `ⁿ`): exponents that are not read."""
    import unicodedata
    name = unicodedata.name(char, "")
    return "SUPERSCRIPT" in name or "MODIFIER LETTER SMALL" in name


def _unexpected(token: Token, expected: set[str]) -> str:
    """What is wrong with `token` where the parser `expected` one of some terminals."""
    message = f"unexpected {_shown(token)}"
    if "NUMBER" in expected and "STAR" not in expected:  # an operand was due
        return message + ": expected a number, a name or '('"
    if expected - {"_NL"} == {"NAME"}:  # after '.'
        return message + ": the only attribute is '.T', the transpose"
    if token.type == "NUMBER":
        return message + ": a number after a factor needs an explicit '*'"
    if token.type == "LSQB":
        return message + ": a subscript follows a name, a call or a parenthesis, as in x[0]"
    if token.type == "COMPARE":
        return message + ": comparisons cannot be chained"
    if token.type == "EQUAL":
        return message + ": only a plain name can be assigned to (== compares)"
    return message


def _end_of_input_error(token: Token, session: _Session) -> ParseError:
    if session.open_brackets:
        opener = session.open_brackets[-1]
        closer = {"LPAR": ")", "LSQB": "]"}.get(opener.type, "|")
        return _error(ParseError, f"unbalanced '{opener}': no '{closer}' closes it", _at(opener))
    text = session.text
    end = (text.count("\n") + 1, len(text) - text.rfind("\n"))
    last = text[token.start_pos:token.end_pos] if token.end_pos else ""
    after = f" after '{last}'" if last.strip() else ""
    return _error(ParseError, f"unexpected end of input{after}", end)


def _shown(token: Token) -> str:
    if token.type == "_NL":
        return "end of line"
    value = str(token)
    return repr(value if len(value) <= 20 else value[:20] + "...")


# -- the parser, built once per process ----------------------------------------------------------
# The LALR tables ship inside the package (parser_tables.py, written by `write_parser_tables`
# from the grammar): loading them is plain data, ~10x faster than building them, and there is
# no cache file in a user directory that someone else could plant code in (lark's cache is a
# pickle). If the grammar or lark changed since they were written, the parser is built instead.
_parser = tables.Once(lambda: _shipped_parser() or build_parser())


def build_parser() -> Lark:
    """A new Lark LALR parser for the grammar with our builders, its tables built now."""
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", transformer=_Builder(),
                postlex=_Tokens(), maybe_placeholders=False)


def _shipped_parser() -> Lark | None:
    """The parser from the tables in parser_tables.py, if they match this grammar and lark."""
    from . import parser_tables
    return tables.load(parser_tables, _grammar_text(), _Builder(), _Tokens())


def parser_tables_source() -> str:
    """The text of parser_tables.py for the current grammar and lark version."""
    return tables.source(build_parser(), "grammar/symgrad.lark",
                         "symgrad.language.parse.parser_tables_source()", _grammar_text())


def _grammar_digest() -> str:
    return tables.digest(_grammar_text())


def _grammar_text() -> str:
    return tables.grammar_text("symgrad.lark")


# The left side of a claimed derivative: f'(x) =, y' =, y'' =, dy/dx =, d/dx (x^2) =.
_LEFT_SIDE = re.compile(r"""\s*(?:
      [^\W\d]\w*\s*'+\s*(?:\([^()=]*\))?        # f'(x), y', f''(x)
    | d[^\W\d_]?\s*/\s*d[^\W\d_]\w*[^=<>!]*     # dy/dx, d/dx ... (up to the "=")
    )\s*=(?!=)""", re.VERBOSE)


def strip_left_side(text: str) -> str:
    """`text` without a derivative's left-hand side (`f'(x) = `, `dy/dx = `, `d/dx x^2 = `),
    blanked out so that error columns still match the text as written."""
    match = _LEFT_SIDE.match(text)
    if match is None or "\n" in match.group():
        return text
    return " " * match.end() + text[match.end():]


def as_expression(expr: Any, shapes: Mapping[str, tuple[int, ...]] | None = None) -> Expr:
    """An Expr from an Expr, a string (parsed), a SymPy expression, an eager tensor (its
    `.expr`) or a number."""
    if isinstance(expr, str):
        return parse(expr, shapes=shapes)
    if type(expr).__module__.startswith("sympy."):
        return from_sympy(expr)
    if not isinstance(expr, Expr) and hasattr(expr, "expr"):
        expr = expr.expr
    return as_expr(expr)


def write_parser_tables() -> None:
    """Rewrite parser_tables.py after a change of the grammar or of lark's version."""
    Path(__file__).with_name("parser_tables.py").write_text(parser_tables_source(), "utf-8")
