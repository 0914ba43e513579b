"""Text to expressions: the LALR grammar in `grammar/symgrad.lark` and the builders it calls.

Nodes are built at each reduction by the transformer handed to `Lark(...)`: there is no parse
tree and nothing recurses over the depth of the input. Lark's errors become `ParseError`s here,
at one boundary, with 1-based line and column and tokens named as a user types them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Union

from ..ops import functions
from ..core.errors import ArgumentError, ArityError, NameLookupError, ParseError, SymgradError
from ..core.expr import Expr, as_expr, constant, symbol
from ..core.shapes import Shape

if TYPE_CHECKING:  # lark is imported on the first parse, keeping `import symgrad` light
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

Where = tuple[int, int]  # (line, column), both 1-based
Value = Union[Expr, "Token"]


def parse(text: str, shapes: Mapping[str, Shape] | None = None) -> Expr:
    """The expression `text` describes, as a node of the symbolic DAG.

    `shapes` declares symbols and their shapes, e.g. `{"x": (3,)}`; other names are scalar
    symbols. `pi` and `e` are the constants (Euler's number) unless they are keys of `shapes`:
    `parse("e*t", shapes={"e": ()})` has a symbol `e`. Likewise a function name such as `sum`
    can only be used as a variable when it is a key of `shapes`.

    Several statements, separated by newlines or `;`, may bind names (`p = sigmoid(z)`) that
    later statements use; the last statement is the result. A bound name shadows a symbol.

    Multiplication may be implicit, with the precedence of `*`: `3x^2`, `2(x+1)`,
    `(x+1)(x-1)`, `2x cos(x^2)`, `x y` (but `xy` is one name, `2e3` a number, and `x -1` a
    subtraction). A leading sign covers the juxtaposed factors after it: `-2x` is `-(2*x)`.
    A name directly followed by `(` is a call, `sin(x)`; with a space, `x (y + 1)` is a product.
    Newlines inside brackets continue the statement; `#` starts a comment.

    Raises `ParseError` (with `.line` and `.column`), or its subclasses `NameLookupError`
    (unknown function), `ArityError` (wrong number of arguments) and `ShapeError`.
    """
    if not isinstance(text, str):
        raise ArgumentError(f"parse takes a str, not {type(text).__name__}")
    session = _Session(text, _declared(shapes))
    previous = getattr(_local, "session", None)
    _local.session = session
    try:
        parser = _parser()
        from lark.exceptions import UnexpectedInput
        try:
            return parser.parse(text)
        except UnexpectedInput as error:
            raise _syntax_error(error, session) from None
    finally:
        _local.session = previous


def _declared(shapes: Mapping[str, Shape] | None) -> dict[str, Expr]:
    """The symbols `shapes` declares (an `ArgumentError` for a bad name or shape)."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise ArgumentError(f"shapes must map names to shapes, not {type(shapes).__name__}")
    return {name: symbol(name, shape) for name, shape in shapes.items()}


# -- per-parse state ------------------------------------------------------------------------------
@dataclass(slots=True)
class _Session:
    """What one call of `parse` knows: its text, declared shapes and the names seen so far."""

    text: str
    declared: dict[str, Expr]
    names: dict[str, Expr] = field(default_factory=dict)
    numbers: dict[str, Expr] = field(default_factory=dict)
    follower_starts: list[Token] = field(default_factory=list)
    open_brackets: list[Token] = field(default_factory=list)


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
    """Lark callbacks, one per grammar rule (or alias); each returns the node it builds."""

    def start(self, statements: list[Expr | _Binding]) -> Expr:
        if not statements:
            raise _error(ParseError, "empty input: expected an expression", (1, 1))
        result = statements[-1]
        if isinstance(result, _Binding):
            message = (f"the last statement only binds '{result.name}'; "
                       "end with an expression, the result")
            raise _error(ParseError, message, _at(result.name))
        return result

    def assign(self, children: list[Any]) -> _Binding:
        name, value = children
        _session().names[str(name)] = value
        return _Binding(name)

    def compare(self, children: list[Any]) -> Expr:
        left, relation, right = children
        return _build(relation, functions.compare, str(relation), left, right)

    def sum(self, children: list[Any]) -> Expr:
        terms = [children[0]]
        for index in range(1, len(children), 2):
            term = children[index + 1]
            terms.append(term if children[index] == "+" else functions.negate(term))
        return _chain(functions.add, terms, children[1::2])

    def product(self, children: list[Any]) -> Expr:
        return _product(children, _follower_positions(children))

    run = product  # `power follower*` after a sign: the same juxtaposition

    def unary(self, children: list[Any]) -> Expr:
        sign, operand = children
        return operand if sign == "+" else functions.negate(operand)

    def power(self, children: list[Any]) -> Expr:
        base, operator, exponent = children
        return _build(operator, functions.power, base, exponent)

    def attribute(self, children: list[Any]) -> Expr:
        operand, dot, name = children
        if name != "T":
            message = f"unknown attribute '.{name}': the only attribute is '.T', the transpose"
            raise _error(ParseError, message, _at(dot))
        return _build(dot, functions.transpose, operand)

    def number(self, children: list[Token]) -> Expr:
        return _number(children[0])

    def name(self, children: list[Token]) -> Expr:
        return _name(children[0])

    def call(self, children: list[Any]) -> Expr:
        return _call(children[0], children[1:])

    def array(self, children: list[Any]) -> Expr:
        return _build(children[0], functions.array, children[1:])

    # A follower is the right-hand factor of an implicit product; its start is recorded for
    # the `product` that consumes it (products reduce innermost first, so a stack suffices).
    def follower_name(self, children: list[Token]) -> Expr:
        _session().follower_starts.append(children[0])
        return _name(children[0])

    def follower_call(self, children: list[Any]) -> Expr:
        _session().follower_starts.append(children[0])
        return _call(children[0], children[1:])

    def follower_group(self, children: list[Any]) -> Expr:
        _session().follower_starts.append(children[0])
        return children[1]  # type: ignore[no-any-return]


def _number(token: Token) -> Expr:
    numbers = _session().numbers
    node = numbers.get(token)
    if node is None:
        node = numbers[str(token)] = constant(float(token))
    return node


_CONSTANTS = {"pi": functions.PI, "e": functions.E}


def _name(token: Token) -> Expr:
    """A bound name, a declared symbol, `pi`/`e`, or a new scalar symbol."""
    session = _session()
    node = session.names.get(token)
    if node is None:
        node = session.names[str(token)] = _unbound_name(token, session.declared)
    return node


def _unbound_name(token: Token, declared: dict[str, Expr]) -> Expr:
    name = str(token)
    if name in declared:
        return declared[name]
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    if name in functions.CALLS:
        message = f"'{name}' is a function: call it as {name}(...) with no space before '('"
        raise _error(NameLookupError, message, _at(token))
    if not name.isidentifier():
        raise _error(ParseError, f"'{name}' is not a valid name", _at(token))
    return symbol(name)


def _call(token: Token, arguments: list[Expr]) -> Expr:
    """The function named by `token` applied to `arguments`, checked against the call table."""
    name = str(token)
    entry = functions.CALLS.get(name)
    if entry is None:
        close = functions.suggest(name)
        hint = (f"did you mean '{close}'?" if close else
                f"to multiply, write {name}*(...) or {name} (...)")
        raise _error(NameLookupError, f"unknown function '{name}' ({hint})", _at(token))
    if not entry.min_args <= len(arguments) <= entry.max_args:
        message = f"{name}() takes {_argument_count(entry)} ({len(arguments)} given)"
        raise _error(ArityError, message, _at(token))
    try:
        return _build(token, entry.build, *arguments)
    except (ValueError, TypeError, IndexError, ArithmeticError) as error:
        if isinstance(error, SymgradError):
            raise
        # A builder that let a numpy error through on odd arguments: still the user's input.
        raise _error(ParseError, f"invalid arguments to {name}(): {error}", _at(token)) from error


def _argument_count(entry: functions.Call) -> str:
    low, high = entry.min_args, entry.max_args
    plural = "argument" if max(low, 1) == 1 and high == low else "arguments"
    if low == high:
        return f"{low} {plural}"
    if high >= 1 << 20:
        return f"at least {low} {plural}"
    return f"{low} to {high} {plural}"


def _follower_positions(children: list[Value]) -> list[Token]:
    """The first token of each implicit factor of this product, off the session's stack."""
    operands = sum(1 for child in children if isinstance(child, Expr))
    count = 2 * operands - len(children) - 1  # children: first, (op, operand)*, implicit*
    starts = _session().follower_starts
    taken = starts[len(starts) - count:]
    del starts[len(starts) - count:]
    return taken


def _product(children: list[Value], implicit: list[Token]) -> Expr:
    """A chain of `* / @` and juxtaposition, left to right as in Python.

    `*`, `/` and implicit factors gather into one n-ary product (`/ c` as the factor c**-1);
    `@` closes the product so far, since a matrix product neither commutes nor flattens.
    """
    factors: list[Expr] = [children[0]]  # type: ignore[list-item]
    tokens: list[Token] = []
    index, next_implicit = 1, iter(implicit)
    while index < len(children):
        item = children[index]
        if isinstance(item, Expr):
            factors.append(item)
            tokens.append(next(next_implicit))
            index += 1
            continue
        operand: Expr = children[index + 1]  # type: ignore[assignment]
        index += 2
        if item == "*":
            factors.append(operand)
        elif item == "/":
            factors.append(_build(item, functions.divide, 1.0, operand))
        else:
            left = _chain(functions.multiply, factors, tokens)
            factors, tokens = [_build(item, functions.matmul, left, operand)], []
            continue
        tokens.append(item)
    return _chain(functions.multiply, factors, tokens)


# -- lexing: brackets ----------------------------------------------------------------------------
_CLOSING = {"RPAR": "LPAR", "RSQB": "LSQB"}
_OPENING = frozenset(_CLOSING.values())


class _Brackets:
    """Drops newlines inside brackets (the statement goes on) and catches a stray closer."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        open_brackets = _session().open_brackets
        for token in stream:
            kind = token.type
            if kind in _OPENING:
                open_brackets.append(token)
            elif kind in _CLOSING:
                _close(open_brackets, token)
            elif kind == "_NL" and open_brackets:
                continue
            yield token


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


def _unexpected(token: Token, expected: set[str]) -> str:
    """What is wrong with `token` where the parser `expected` one of some terminals."""
    message = f"unexpected {_shown(token)}"
    if "NUMBER" in expected:  # an operand was due
        return message + ": expected a number, a name or '('"
    if expected - {"_NL"} == {"NAME"}:  # after '.'
        return message + ": the only attribute is '.T', the transpose"
    if token.type == "NUMBER":
        return message + ": a number after a factor needs an explicit '*'"
    if token.type == "LSQB":
        return message + ": indexing is written index(x, i)"
    if token.type == "COMPARE":
        return message + ": comparisons cannot be chained"
    if token.type == "EQUAL":
        return message + ": only a plain name can be assigned to (== compares)"
    return message


def _end_of_input_error(token: Token, session: _Session) -> ParseError:
    if session.open_brackets:
        opener = session.open_brackets[-1]
        closer = ")" if opener.type == "LPAR" else "]"
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
_lock = threading.Lock()
_instance: Lark | None = None


def _parser() -> Lark:
    """The shared Lark parser, loaded from the shipped tables (or built) on first use."""
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = _shipped_parser() or build_parser()
    return _instance


def build_parser() -> Lark:
    """A new Lark LALR parser for the grammar with our builders, its tables built now."""
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", transformer=_Builder(),
                postlex=_Brackets(), maybe_placeholders=False)


def _shipped_parser() -> Lark | None:
    """The parser from the tables in parser_tables.py, if they match this grammar and lark."""
    from lark import Lark
    from lark import __version__ as lark_version
    from . import parser_tables
    if (parser_tables.LARK_VERSION, parser_tables.GRAMMAR_SHA256) != \
            (lark_version, _grammar_digest()):
        return None
    # lark's loader of serialized tables (what its standalone parsers use; no pickle).
    load = Lark._load_from_dict
    parser: Lark = load(parser_tables.DATA, parser_tables.MEMO,  # type: ignore[no-untyped-call]
                        transformer=_Builder(), postlex=_Brackets())
    return parser


def parser_tables_source() -> str:
    """The text of parser_tables.py for the current grammar and lark version."""
    from lark import __version__ as lark_version
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    data, memo = build_parser().memo_serialize([TerminalDef, Rule])
    # Our builder objects are passed again when loading; the rest is plain data.
    data["options"] = {key: value for key, value in data["options"].items()
                       if key not in ("transformer", "postlex")}
    return ('"""LALR tables of grammar/symgrad.lark, written by '
            'symgrad.language.parse.parser_tables_source(); do not edit."""\n\n'
            f"LARK_VERSION = {lark_version!r}\nGRAMMAR_SHA256 = {_grammar_digest()!r}\n"
            f"DATA = {data!r}\nMEMO = {memo!r}\n")


def _grammar_digest() -> str:
    return hashlib.sha256(_grammar_text().encode("utf-8")).hexdigest()


def _grammar_text() -> str:
    try:
        resource = importlib.resources.files("symgrad.grammar") / "symgrad.lark"
        return resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout where the grammar/ directory is not mapped into the package yet.
        return (Path(__file__).parents[2] / "grammar" / "symgrad.lark").read_text("utf-8")


def as_expression(expr: Any, shapes: Mapping[str, tuple[int, ...]] | None = None) -> Expr:
    """An Expr from an Expr, a string (parsed), an eager tensor (its `.expr`) or a number."""
    if isinstance(expr, str):
        return parse(expr, shapes=shapes)
    if not isinstance(expr, Expr) and hasattr(expr, "expr"):
        expr = expr.expr
    return as_expr(expr)


def write_parser_tables() -> None:
    """Rewrite parser_tables.py after a change of the grammar or of lark's version."""
    Path(__file__).with_name("parser_tables.py").write_text(parser_tables_source(), "utf-8")
