"""LaTeX to expressions: the LALR grammar in `grammar/latex.lark` and the builders it calls.

The nodes are those `sg.parse` builds for the same mathematics (numbers and constants come
from `sg.parse` itself, functions from the same call table through `notation`), built at each
reduction: nothing recurses over the depth of the input. Lark's errors become `ParseError`s
with 1-based line and column, at one boundary, as in `parse.py`.

This module holds `parse_latex` and the parser; the parts are modules of their own:
`latex_state` (one call's state, errors at a position), `latex_commands` (what a `\\name`
means, a derivative's left-hand side), `latex_tokens` (the postlexer and brackets),
`latex_build` (the builders) and `latex_errors` (lark's errors as `ParseError`s).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping, cast

from ..core.errors import ArgumentError
from ..core.expr import Expr
from ..core.shapes import Shape
from . import tables
from .latex_build import _Builder
from .latex_commands import _without_left_side
from .latex_errors import _syntax_error
from .latex_state import _Session, _local
from .parse import declared_symbols
from .latex_tokens import _Tokens

if TYPE_CHECKING:  # lark is imported on the first parse
    from lark import Lark


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
    declared = declared_symbols(shapes)
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
