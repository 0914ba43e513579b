"""Shipped LALR tables: a lark parser's tables written as a Python module of the package, and
loaded back (with lark's own loader of serialized tables, no pickle) when they were written
from the same grammar text by the same lark version. `parse` and `latex` each ship theirs."""

from __future__ import annotations

import hashlib
import importlib.resources
import threading
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # lark is imported on the first parse, not with symgrad
    from lark import Lark


def digest(grammar_text: str) -> str:
    """The SHA-256 of a grammar's text, recorded with its tables."""
    return hashlib.sha256(grammar_text.encode("utf-8")).hexdigest()


def load(tables: ModuleType, grammar_text: str, transformer: Any, postlex: Any) -> Lark | None:
    """The parser from `tables`, or None when they do not match the grammar or lark."""
    from lark import Lark
    from lark import __version__ as lark_version
    if (tables.LARK_VERSION, tables.GRAMMAR_SHA256) != (lark_version, digest(grammar_text)):
        return None
    load_tables = Lark._load_from_dict
    parser: Lark = load_tables(tables.DATA, tables.MEMO,  # type: ignore[no-untyped-call]
                               transformer=transformer, postlex=postlex)
    return parser


def source(parser: Lark, grammar_file: str, writer: str, grammar_text: str) -> str:
    """The text of the tables module of `parser` (built from `grammar_file` by `writer`)."""
    from lark import __version__ as lark_version
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    # The builder objects are passed again when loading; the rest is plain data.
    data["options"] = {key: value for key, value in data["options"].items()
                       if key not in ("transformer", "postlex")}
    return (f'"""LALR tables of {grammar_file}, written by {writer}; do not edit."""\n\n'
            f"LARK_VERSION = {lark_version!r}\nGRAMMAR_SHA256 = {digest(grammar_text)!r}\n"
            f"DATA = {data!r}\nMEMO = {memo!r}\n")


def grammar_text(name: str) -> str:
    """The text of grammar `name` (`symgrad.lark`, `latex.lark`), shipped as symgrad.grammar."""
    try:
        return (importlib.resources.files("symgrad.grammar") / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout where the grammar/ directory is not mapped into the package yet.
        return (Path(__file__).parents[2] / "grammar" / name).read_text("utf-8")


class Once:
    """A parser made on first use, once per process, whichever thread asks first."""

    def __init__(self, make: Callable[[], Lark]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._instance: Lark | None = None

    def __call__(self) -> Lark:
        if self._instance is None:
            with self._lock:
                if self._instance is None:
                    self._instance = self._make()
        return self._instance
