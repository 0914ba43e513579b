"""The fast lane of `sg.parse`: plain operator text read without lark, to the same nodes.

Most machine-written input (printed expressions, generated sums) uses only numbers, names,
`+ - * / ** ^ @`, unary signs, parentheses, calls of table functions and one comparison. For
that subset one regular expression splits the text in C and an operator-precedence loop with
explicit stacks (no recursion over depth) calls the builders the lark callbacks call, in the
same grouping, so hash-consing returns the very node the grammar would.

Anything else, or anything questionable, is declined (`parse_plain` returns None) and read by
lark: implicit products, textbook notation (`sin x`, `sin^2`, `ln`, `|x|`, unicode, `log_2`),
newlines and statements, arrays, attributes, a name that the postlexer reads specially, and
every error, so that errors keep lark's positions and messages. Names are classified by the
grammar path's own rules (`parse.name_value`, `parse.multiplies_before_parenthesis`,
`notation`), not by a copy of them.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

from ..core.errors import SymgradError
from ..core.expr import Expr
from ..ops import functions
from . import notation, parse

# Tokens without groups, so that `findall` hands back plain strings: a name, with the "(" after
# it when it is called (up to 63 blanks between, as far as the postlexer looks ahead); a number
# as the grammar's NUMBER; an operator; or any other character, which declines the text. Blanks
# between tokens are skipped; other whitespace (newlines, \f, no-break spaces) is a token.
_TOKEN = re.compile(r"""
      [A-Za-z_][A-Za-z0-9_]*(?:[ \t]{0,63}\()?
    | (?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
    | \*\*|[<>=!]=|[-+*/^()<>,@]
    | [^ \t]
    """, re.VERBOSE | re.ASCII)
# A character no token of the subset has: the text is declined before anything is built.
_OUTSIDE = re.compile(r"[^A-Za-z0-9_ \t.+\-*/^()<>=!,@]")
_RELATIONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
_END = ""  # appended to the tokens; `findall` never yields an empty token


class _Decline(Exception):
    """The text is outside the fast lane's subset, or an error that lark should report."""


def tokens(text: str) -> list[str]:
    """The fast lane's tokens of `text` (blanks dropped), as strings."""
    return _TOKEN.findall(text)


def parse_plain(text: str, declared: Mapping[str, Expr]) -> Expr | None:
    """The Expr `sg.parse(text)` gives, when `text` is in the fast lane's subset; else None."""
    if _OUTSIDE.search(text) is not None:  # newlines, unicode, "|", "[", "#", ...
        return None
    found = tokens(text)
    found.append(_END)
    try:
        return _read(found, declared)
    except _Decline:
        return None
    except (SymgradError, ValueError, TypeError, IndexError, ArithmeticError):
        return None  # a builder refused: lark builds again and reports it at its position


_Frame = tuple[list[Expr], list[Expr], bool, str, int, list[tuple[int, Expr]], "Expr | None", str,
              "functions.Call | None", list[Expr]]


def _read(found: list[str], declared: Mapping[str, Expr]) -> Expr:
    """The node of the tokens `found` (ending in `_END`), or `_Decline`.

    One loop with its state in locals, since it runs once per token. At each nesting level
    (the whole text, a group, a call's argument): `terms` of the sum so far, `minus` for the
    product being read, its `factors` and the operator `mulop` before the next factor, and for
    the power being read the signs before it (`negs`) and the bases waiting for their exponent
    (`chain`, with the signs before each). `atom` is the operand just read, None while an
    operand is due. A "(" or a call saves the level in a frame; ")" and "," close it.
    """
    add, multiply, negate = functions.add, functions.multiply, functions.negate
    divide, power = functions.divide, functions.power
    values: dict[str, Expr] = {}
    frames: list[_Frame] = []
    terms: list[Expr] = []
    factors: list[Expr] = []
    minus = False
    mulop = ""
    negs = 0
    chain: list[tuple[int, Expr]] = []
    left: Expr | None = None
    relation = ""
    atom: Expr | None = None
    last = ""  # the last operand's token, for d/dx
    for token in found:
        if atom is None:  # an operand is due
            atom = values.get(token)
            if atom is not None:
                last = token
                continue
            if token == "-":
                negs += 1
                continue
            if token == "+":
                continue
            if token == "(" or token[-1:] == "(":
                callee = None if token == "(" else _callee(token, declared)
                frames.append((terms, factors, minus, mulop, negs, chain, left, relation,
                               callee, []))
                terms, factors, minus, mulop, negs, chain, left, relation = \
                    [], [], False, "", 0, [], None, ""
                continue
            atom = values[token] = _operand(token, declared)
            last = token
            continue
        if token == "**" or token == "^":
            chain.append((negs, atom))
            negs, atom = 0, None
            continue
        if negs or chain:
            atom = _power(atom, negs, chain, negate, power)
            negs = 0
        if mulop == "*":  # the power is complete: it joins the product
            factors.append(atom)
        elif not mulop:
            factors = [atom]
        elif mulop == "/":
            factors.append(divide(1, atom))
        else:  # "@" closes the product so far, as in parse._product
            factors = [functions.matmul(factors[0] if len(factors) == 1 else multiply(factors),
                                        atom)]
        atom = None
        if token == "*" or token == "@":
            mulop = token
            continue
        if token == "/":
            if parse.may_start_derivative(last):  # d/dx: lark refuses it with a message
                raise _Decline
            mulop = token
            continue
        product = factors[0] if len(factors) == 1 else multiply(factors)
        terms.append(negate(product) if minus else product)
        mulop = ""
        if token == "+" or token == "-":
            minus = token == "-"
            continue
        value = terms[0] if len(terms) == 1 else add(terms)  # the sum is complete
        if relation:
            value = functions.compare(relation, left, value)
        if token in _RELATIONS:
            if relation:  # chained comparisons are an error
                raise _Decline
            terms, minus, left, relation = [], False, value, token
            continue
        if token == ")" and frames:
            (terms, factors, minus, mulop, negs, chain, left, relation, callee,
             arguments) = frames.pop()
            atom = value if callee is None else _call(callee, [*arguments, value])
            last = token
            continue
        if token == "," and frames and frames[-1][8] is not None:
            frames[-1][9].append(value)
            terms, minus, left, relation = [], False, None, ""
            continue
        if token is _END and not frames:
            return value
        raise _Decline
    raise _Decline  # the text ended where an operand was due


def _operand(token: str, declared: Mapping[str, Expr]) -> Expr:
    """The node of a number or name token seen for the first time in this text."""
    first = token[:1]
    if "0" <= first <= "9" or (first == "." and token != "."):
        return parse.number_constant(token)
    if not ("a" <= first <= "z" or "A" <= first <= "Z" or first == "_"):
        raise _Decline  # an operator, the end, or a character outside the subset (unicode)
    if token not in declared and notation.may_be_function(token):
        raise _Decline  # a function without "(": textbook notation, or an error
    node = parse.name_value(token, declared)
    if node is None:
        raise _Decline  # a look-alike such as `sinx`: lark explains it
    return node


def _callee(token: str, declared: Mapping[str, Expr]) -> functions.Call:
    """The table entry a name before "(" calls; declines products and other spellings."""
    name = token[:-1].rstrip(" \t")
    if parse.multiplies_before_parenthesis(name, name in declared):
        raise _Decline  # `x(x + 1)`: an implicit product
    resolved = notation.resolve(name)
    if resolved is None or resolved[1] is not None:
        raise _Decline  # an unknown function (an error), or a logarithm's base: lark's
    return functions.CALLS[resolved[0]]


def _call(entry: functions.Call, arguments: list[Expr]) -> Expr:
    """`entry` applied to `arguments`, as `parse._call` builds it."""
    if not entry.min_args <= len(arguments) <= entry.max_args:
        raise _Decline  # lark reports the ArityError at the name
    return entry.build(*arguments)


def _power(atom: Expr, negs: int, chain: list[tuple[int, Expr]],
           negate: Callable[[Expr], Expr], power: Callable[[Expr, Expr], Expr]) -> Expr:
    """The signed power ending in `atom`: right-associative, each sign around its own power
    (`-a**-b` is -(a**(-b))). Empties `chain`."""
    for _ in range(negs):
        atom = negate(atom)
    while chain:
        signs, base = chain.pop()
        atom = power(base, atom)
        for _ in range(signs):
            atom = negate(atom)
    return atom
