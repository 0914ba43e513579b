"""LaTeX to expressions: the LALR grammar in `grammar/latex.lark` and the builders it calls.

The nodes are those `sg.parse` builds for the same mathematics (numbers and constants come
from `sg.parse` itself, functions from the same call table through `notation`), built at each
reduction: nothing recurses over the depth of the input. Lark's errors become `ParseError`s
with 1-based line and column, at one boundary, as in `parse.py`.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, cast

from ..core.errors import (ArgumentError, ArityError, LimitError, NameLookupError, ParseError,
                           SymgradError)
from ..core.expr import Expr, constant_value, symbol
from ..core.shapes import Shape
from ..ops import functions
from . import notation, tables
from .parse import parse

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

Where = tuple[int, int]  # (line, column), both 1-based


def parse_latex(text: str, shapes: Mapping[str, Shape] | None = None) -> Expr:
    r"""The expression the LaTeX `text` describes, as `sg.parse` would build it.

    Reads what textbooks and learning systems print: `\frac{a}{b}` (`\dfrac`, `\tfrac`),
    `\sqrt{x}`, `\sqrt[n]{x}`, `x^{...}`, `x^2`, `x_{1}`, `\sin x`, `\sin^2 x`,
    `\sin^{-1} x`, `\arcsin`, `\ln`, `\log_{b}`, `e^{...}`, `\exp`, `\left( \right)`,
    `\left| \right|`, `|x|`, `\cdot`, `\times`, `\div`, `\pi`, Greek letters,
    `\operatorname{sech}` (any function of `sg.parse`), `\mathrm{...}`, braces as grouping,
    implicit multiplication (`2x`, `x y`, `xy`: one letter is one variable, as TeX sets it),
    spacing (`\,` `\;` `\!`). A function without parentheses takes the implicit product after
    it, up to the next function, operator or bracket, as in `sg.parse`: `\sin 2x \cos x` is
    sin(2x)cos(x). A superscript or argument without braces is one character (`x^23` is an
    error, not x^2*3). A derivative's left-hand side (`f'(x) =`, `f^{\prime}(x) =`, `y' =`,
    `\frac{dy}{dx} =`) is dropped. `shapes` declares symbols as in `sg.parse`.

    Raises `ParseError` (with `.line` and `.column`) or its subclasses.
    """
    if not isinstance(text, str):
        raise ArgumentError(f"parse_latex takes a str, not {type(text).__name__}")
    declared = {} if shapes is None else _declared(shapes)
    session = _Session(text, declared)
    previous = getattr(_local, "session", None)
    _local.session = session
    try:
        from lark.exceptions import UnexpectedInput
        try:
            return cast(Expr, _parser().parse(_without_left_side(text)))
        except UnexpectedInput as error:
            raise _syntax_error(error, session) from None
    finally:
        _local.session = previous


def _declared(shapes: Mapping[str, Shape]) -> dict[str, Expr]:
    if not isinstance(shapes, Mapping):
        raise ArgumentError(f"shapes must map names to shapes, not {type(shapes).__name__}")
    return {name: symbol(name, shape) for name, shape in shapes.items()}


@dataclass(slots=True)
class _Session:
    """What one call of `parse_latex` knows: its text, declared shapes, open brackets."""

    text: str
    declared: dict[str, Expr]
    open_brackets: list[Token] = field(default_factory=list)
    functions: dict[int, _Function] = field(default_factory=dict)  # by a token's start_pos
    awaiting: Token | None = None  # the last \frac, \sqrt or ^, for "missing argument"


@dataclass(frozen=True, slots=True)
class _Function:
    """A function command as written: the table name it means, a logarithm's base."""

    name: str
    base: Expr | None = None


_local = threading.local()


def _session() -> _Session:
    return _local.session  # type: ignore[no-any-return]


# -- errors at a position -------------------------------------------------------------------------
def _error(kind: type[ParseError], message: str, where: Where) -> ParseError:
    text = _session().text.replace("\t", " ").replace("\r", " ")
    return kind(message, text, where[0], where[1])


def _at(token: Token | None) -> Where:
    return (1, 1) if token is None else (token.line or 1, token.column or 1)


def _build(token: Token | None, builder: Any, *args: Any) -> Expr:
    """`builder(*args)`; its errors point at `token`, the command or operator it came from."""
    try:
        return cast(Expr, builder(*args))
    except SymgradError as error:
        if isinstance(error, LimitError) or isinstance(error, ParseError) and error.line:
            raise  # a limit is about the work, not the spot
        kind = type(error) if isinstance(error, ParseError) else ParseError
        message = error.message if isinstance(error, ParseError) else str(error)
        raise _error(kind, message, _at(token)) from error


# -- the left-hand side of a claimed derivative ---------------------------------------------------
_PRIME = r"(?:'+|\^\s*\{?\s*(?:\\prime\s*)+\}?|\^\s*\{\s*\(\s*[0-9]+\s*\)\s*\})"
_VARIABLE = r"(?:\(\s*[A-Za-z]\s*\)|\\left\s*\(\s*[A-Za-z]\s*\\right\s*\))"
_D = r"(?:d|\\mathrm\s*\{\s*d\s*\}|\\text\s*\{\s*d\s*\})"
_LEFT_SIDE = re.compile(rf"""\s*(?:
      [A-Za-z]\s*{_PRIME}\s*{_VARIABLE}?                              # f'(x), y', f^{{\prime}}(x)
    | \\[dt]?frac\s*\{{\s*{_D}\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?[A-Za-z]?\s*\}}
      \s*\{{\s*{_D}\s*[A-Za-z]\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?\}}[^=]{{0,400}}   # dy/dx, d/dx ...
    )\s*=""", re.VERBOSE)


def _without_left_side(text: str) -> str:
    """`text` with a derivative's left-hand side blanked out (columns stay as written)."""
    match = _LEFT_SIDE.match(text)
    if match is None or "\n" in match.group():
        return text
    return " " * match.end() + text[match.end():]


# -- commands ---------------------------------------------------------------------------------------
# LaTeX's own operator commands (\sin, \log, ...); those the call table knows are read as
# functions. The reciprocal and inverse trigonometric and hyperbolic names (\sech, \arcsec,
# \arsinh) are macros of many course pages, read too; any other function is \operatorname{...}.
_LATEX_OPERATORS = frozenset("""arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd
    hom inf ker lg lim liminf limsup ln log max min Pr sec sin sinh sup tan tanh""".split())
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_TIMES = frozenset({"cdot", "times", "ast"})
_SKIPPED = frozenset({"displaystyle", "textstyle", "left.", "quad", "qquad", "limits", "big",
                      "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"})
_GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi omicron rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega""".split())


@functools.cache
def _command_functions() -> frozenset[str]:
    """The function names readable as `\\name`: LaTeX's operators and the trigonometric and
    hyperbolic family of the table (its inverse pairs and their synonyms)."""
    family = {*notation.INVERSES, *notation.SYNONYMS}
    names = {name for name in _LATEX_OPERATORS | family if notation.resolve(name) is not None}
    return frozenset(names)


@functools.lru_cache(maxsize=512)
def _literal(text: str) -> Expr:
    """A number or constant exactly as `sg.parse` reads it (so both give the same node)."""
    return parse(text)


def _known_commands() -> list[str]:
    return sorted({*_command_functions(), *_FRACTIONS, *_TIMES, *_GREEK, "sqrt", "pi", "div",
                   "left", "right", "operatorname", "mathrm", "lvert", "rvert"})


class _Tokens:
    """The postlexer: reads commands, decides "|", pairs brackets (`\\left(` with `\\right)`)."""

    always_accept = ("CMD", "OPNAME", "LEFT", "RIGHT", "BAR")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        session = _session()
        previous: Token | None = None
        for lexed in stream:
            for token in self._classify(lexed, session, previous):
                kind = token.type
                if kind in _OPENING:
                    session.open_brackets.append(token)
                elif kind in _CLOSING:
                    _close(session.open_brackets, token)
                elif kind in ("FRAC", "SQRT", "POW"):
                    session.awaiting = token
                previous = token
                yield token

    def _classify(self, token: Token, session: _Session, previous: Token | None) -> list[Token]:
        kind = token.type
        if kind == "NUMBER" and previous is not None and previous.type == "FRAC" \
                and len(token) == 2 and "." not in token:
            return _split_digits(token)  # \frac12 is \frac{1}{2}, as TeX reads it
        if kind == "CMD" and str(token) in ("\\vert", "\\mid"):
            token, kind = _retyped(token, "BAR"), "BAR"
        if kind == "CMD":
            return _command(token, session)
        if kind == "OPNAME":
            return _operator_name(token, session)
        if kind in ("LEFT", "RIGHT"):
            return [_delimiter(token)]
        if kind == "BAR":
            closes = (previous is not None and previous.type in _OPERAND_END
                      and session.open_brackets and session.open_brackets[-1].type == "LBAR")
            return [_retyped(token, "RBAR" if closes else "LBAR")]
        return [token]


def _retyped(token: Token, kind: str) -> Token:
    return token.new_borrow_pos(kind, str(token), token)


def _split_digits(token: Token) -> list[Token]:
    from lark import Token as LarkToken
    start, column = token.start_pos or 0, token.column or 1
    return [LarkToken("NUMBER", digit, start_pos=start + index, line=token.line,
                      column=column + index, end_line=token.line, end_column=column + index + 1,
                      end_pos=start + index + 1) for index, digit in enumerate(str(token))]


def _name_and_subscript(written: str) -> tuple[str, str | None]:
    """`\\log_{10}` -> ("log", "10"); `x_1` -> ("x", "1"); `\\theta` -> ("theta", None)."""
    head, underscore, subscript = written.lstrip("\\").partition("_")
    cleaned = "".join(subscript.replace("{", "").replace("}", "").split())
    return head.strip(), (cleaned if underscore else None)


def _command(token: Token, session: _Session) -> list[Token]:
    """A `\\name`: a function, \\frac, \\sqrt, an operator, a constant or Greek letter."""
    name, subscript = _name_and_subscript(str(token))
    if name in _SKIPPED:
        return []
    if subscript is None:
        if name in _FRACTIONS:
            _refuse_derivative(token, session)
            return [_retyped(token, "FRAC")]
        if name == "sqrt":
            return [_retyped(token, "SQRT")]
        if name in _TIMES:
            return [_retyped(token, "STAR")]
        if name == "div":
            return [_retyped(token, "SLASH")]
        if name in ("lvert", "rvert"):
            return [_retyped(token, "LBAR" if name == "lvert" else "RBAR")]
    if name in _command_functions():
        return [_function(token, name, subscript, session)]
    if name == "pi" or name in _GREEK:
        return [_retyped(token, "NAMED")]
    if name in ("left", "right"):
        message = (f"'\\{name}' must be followed by a bracket: \\{name}( \\{name}[ "
                   f"\\{name}| (\\left. is not read)")
        raise _error(ParseError, message, _at(token))
    raise _error(NameLookupError, _unknown_command(name), _at(token))


_DERIVATIVE = re.compile(rf"\\[dt]?frac\s*\{{\s*{_D}\s*(?:\^\s*\{{?\s*[0-9]+\s*\}}?\s*)?"
                         rf"[A-Za-z]?\s*\}}\s*\{{\s*{_D}\s*[A-Za-z]")


def _refuse_derivative(token: Token, session: _Session) -> None:
    """`\\frac{d}{dx}` and `\\frac{dy}{dx}` are not quotients: an error pointing to sg.diff
    (a derivative's left-hand side before "=" is dropped before lexing)."""
    if "d" in session.declared:
        return
    if _DERIVATIVE.match(session.text, token.start_pos or 0):
        message = ("a derivative d/dx is not read here: use sg.diff(f, 'x') "
                   "(a left-hand side such as \\frac{dy}{dx} = ... is dropped)")
        raise _error(ParseError, message, _at(token))


def _unknown_command(name: str) -> str:
    message = f"unknown command '\\{name}'"
    if notation.resolve(name) is not None:
        return message + f": write \\operatorname{{{name}}}"
    import difflib  # only on this error path, keeping `import symgrad` light
    close = difflib.get_close_matches(name, _known_commands(), n=1, cutoff=0.6)
    return message + (f" (did you mean '\\{close[0]}'?)" if close else "")


def _operator_name(token: Token, session: _Session) -> list[Token]:
    """`\\operatorname{sech}`, `\\mathrm{e}`, `\\mathrm{x}`: a function, a constant or a letter."""
    written = str(token)
    inner = written[written.index("{") + 1:written.index("}")].strip()
    _, subscript = _name_and_subscript(written[written.index("}") + 1:])
    if notation.resolve(inner) is not None and inner not in session.declared:
        return [_function(token, inner, subscript, session)]
    if subscript is None and (len(inner) == 1 or inner in session.declared):
        return [token.new_borrow_pos("LETTER", inner, token)]
    message = f"unknown function '{inner}'"
    close = notation.suggest(inner)
    raise _error(NameLookupError, message + (f" (did you mean '{close}'?)" if close else ""),
                 _at(token))


def _function(token: Token, name: str, subscript: str | None, session: _Session) -> Token:
    """A function token: CALLFUNC when "(" or "\\left(" follows (a power between allowed),
    BAREFUNC otherwise; a subscript is a logarithm's base."""
    resolved = notation.resolve(name)
    if resolved is None or resolved[1] is not None:  # log_2 is written \log_{2}
        raise _error(NameLookupError, _unknown_command(name), _at(token))
    table_name, base = resolved[0], None
    if subscript is not None:
        if table_name != "log":
            message = f"'\\{name}' takes no subscript (only \\log_{{b}} has a base)"
            raise _error(ParseError, message, _at(token))
        if subscript == "e":
            base = None
        elif _NUMERIC.fullmatch(subscript):
            base = _literal(subscript)
        else:
            base = session.declared.get(subscript) or symbol(subscript)
    session.functions[token.start_pos or 0] = _Function(table_name, base)
    end = token.end_pos or 0
    calls = _CALL_AHEAD.match(session.text, end, min(len(session.text), end + 200))
    return _retyped(token, "CALLFUNC" if calls else "BAREFUNC")


_NUMERIC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# What makes a function a call: "(" or "\left(" next, after an optional power (\sin^{2}(x)).
_CALL_AHEAD = re.compile(r"(?:\s|\\[,;:! ])*(?:\^\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[^\s{}\\])"
                         r"(?:\s|\\[,;:! ])*)?(?:\(|\\left\s*\()")
_DELIMITERS = {"(": "PAR", "[": "SQB", "|": "BAR", "\\{": "BRACE", "\\}": "BRACE", ")": "PAR",
               "]": "SQB", "\\lvert": "BAR", "\\rvert": "BAR", "\\vert": "BAR",
               "\\lbrack": "SQB", "\\rbrack": "SQB"}


def _delimiter(token: Token) -> Token:
    """`\\left(` is LPAR, `\\right|` is RBAR: the side is known, unlike a plain "|"."""
    written = str(token)
    side = "L" if written.startswith("\\left") else "R"
    delimiter = written[len("\\left" if side == "L" else "\\right"):].strip()
    return _retyped(token, side + _DELIMITERS[delimiter])


# -- brackets ---------------------------------------------------------------------------------------
_CLOSING = {"RPAR": "LPAR", "RSQB": "LSQB", "RBRACE": "LBRACE", "RBAR": "LBAR"}
_OPENING = frozenset(_CLOSING.values())
_OPERAND_END = frozenset({"LETTER", "NUMBER", "NAMED", "RPAR", "RSQB", "RBRACE", "RBAR"})


def _closer_for(opener: Token) -> str:
    written = str(opener)
    pairs = {"(": ")", "[": "]", "{": "}", "|": "|", "\\{": "\\}", "\\lvert": "\\rvert",
             "\\vert": "\\vert", "\\lbrack": "\\rbrack"}
    if written.startswith("\\left"):
        return "\\right" + pairs[written[5:].strip()]
    return pairs.get(written, "|")


def _close(open_brackets: list[Token], closer: Token) -> None:
    if not open_brackets:
        raise _error(ParseError, f"unbalanced '{closer}': nothing to close", _at(closer))
    opener = open_brackets.pop()
    sized = str(opener).startswith("\\left") or str(opener) == "\\lvert"
    if _CLOSING[closer.type] != opener.type or sized != (str(closer).startswith("\\right")
                                                         or str(closer) == "\\rvert"):
        line, column = _at(opener)
        message = (f"'{closer}' does not close the '{opener}' at line {line}, column {column}"
                   f" (close it with '{_closer_for(opener)}')")
        raise _error(ParseError, message, _at(closer))


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


# -- lark's errors become ours -------------------------------------------------------------------


def _syntax_error(error: UnexpectedInput, session: _Session) -> ParseError:
    """The `ParseError` for a lark error, pointing where a user would look."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    if isinstance(error, UnexpectedCharacters):
        char = error.char
        hint = {"'": ": a prime is read only in a left-hand side such as f'(x) =",
                "=": ": only a derivative's left-hand side (f'(x) =, \\frac{dy}{dx} =) is read",
                "\\": ": not a command symgrad reads"}.get(char, "")
        return _error(ParseError, f"unexpected character {char!r}{hint}",
                      (error.line, error.column))
    if not isinstance(error, UnexpectedToken):
        return _error(ParseError, "invalid input", (error.line or 1, error.column or 1))
    token = error.token
    script_due = "LBRACE" in error.expected and "PLUS" not in error.expected and \
        "STAR" not in error.expected
    if token.type == "$END" and session.open_brackets and not script_due:
        opener = session.open_brackets[-1]
        return _error(ParseError, f"unbalanced '{opener}': no '{_closer_for(opener)}' closes it",
                      _at(opener))
    where = _at(token) if token.type != "$END" else _end(session.text)
    shown = "end of input" if token.type == "$END" else repr(str(token))
    if script_due:
        command = session.awaiting
        what = {"FRAC": "\\frac takes two arguments, as in \\frac{a}{b}",
                "SQRT": "\\sqrt takes an argument, as in \\sqrt{x}",
                "POW": "^ takes a superscript: one character or a group in braces, as in x^{-1}"}
        detail = what.get(command.type, "an argument is due") if command is not None else \
            "an argument is due"
        return _error(ParseError, f"missing argument at {shown}: {detail}", where)
    if "NUMBER" in error.expected and "STAR" not in error.expected:
        return _error(ParseError, f"unexpected {shown}: expected a number, a letter or a bracket",
                      where)
    if token.type == "COMMA":
        return _error(ParseError, "unexpected ',': commas separate a function's arguments only",
                      where)
    if token.type == "POW":
        return _error(ParseError, "unexpected '^': a double superscript needs braces, as in "
                      "{x^{2}}^{3}", where)
    return _error(ParseError, f"unexpected {shown}", where)


def _end(text: str) -> Where:
    return (text.count("\n") + 1, len(text) - text.rfind("\n"))


# -- the parser, built once per process ----------------------------------------------------------
# Its LALR tables ship inside the package (latex_tables.py, written by `write_latex_tables`),
# as parse.py's do: plain data, no pickle cache. A stale table is rebuilt instead.
_parser = tables.Once(lambda: _shipped_parser() or build_latex_parser())


def build_latex_parser() -> Lark:
    """A new Lark LALR parser for grammar/latex.lark with our builders, its tables built now."""
    from lark import Lark
    return Lark(_grammar_text(), parser="lalr", lexer="basic", transformer=_Builder(),
                postlex=_Tokens(), maybe_placeholders=False)


def _shipped_parser() -> Lark | None:
    try:
        from . import latex_tables
    except ImportError:  # not written yet: write_latex_tables() makes it
        return None
    return tables.load(latex_tables, _grammar_text(), _Builder(), _Tokens())


def latex_tables_source() -> str:
    """The text of latex_tables.py for the current grammar and lark version."""
    return tables.source(build_latex_parser(), "grammar/latex.lark",
                         "symgrad.language.latex.latex_tables_source()", _grammar_text())


def write_latex_tables() -> None:
    """Rewrite latex_tables.py after a change of grammar/latex.lark or of lark's version."""
    Path(__file__).with_name("latex_tables.py").write_text(latex_tables_source(), "utf-8")


def grammar_digest() -> str:
    """The SHA-256 of grammar/latex.lark, recorded with the shipped tables."""
    return tables.digest(_grammar_text())


def _grammar_text() -> str:
    return tables.grammar_text("latex.lark")
