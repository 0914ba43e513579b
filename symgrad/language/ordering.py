"""SymPy's order of a product's factors and a sum's terms, for the printers.

SymPy sorts a product's factors by `sort_key` (the kind of the factor first: numbers, symbols,
sums and products, functions, with exp and log before the trigonometric ones; then its
arguments, exponent and coefficient) and a sum's terms by their monomials over the sorted
bases, highest first (`Expr.as_ordered_terms`). `ORDERING` computes the same keys on the DAG,
each node's key once from its arguments' keys, and keeps them (and the orders of long sums)
while their nodes live, for every printer. Keys nest only DEPTH deep: a deeper argument stands
in by its node's stable digest, so comparing two keys is bounded however deep the DAG.
"""

from __future__ import annotations

from fractions import Fraction
import weakref
from typing import Any, Callable, Hashable, MutableMapping, Union

from ..core.expr import Expr, constant_name, exact_value
from ..core.traverse import topological

Number = Union[float, Fraction, int]
Key = tuple[Any, ...]
DEPTH = 8

# SymPy's class_key of each kind of node: (group, rank, class name)
_NUMBER, _SYMBOL, _MUL, _ADD = (1, 0, "Number"), (2, 0, "Symbol"), (3, 0, "Mul"), (3, 1, "Add")
_DEEP = (2, 0, "~")  # an argument past DEPTH, compared by its text
_FUNCTION_RANK = {"exp": 10, "log": 11, "sin": 20, "cos": 21, "tan": 22, "cot": 23, "sinh": 30,
                  "cosh": 31, "tanh": 32, "coth": 33}
_LATTICE = {"max": "Max", "min": "Min"}  # SymPy's Max and Min are not Functions
_SYMPY_NAME = {"abs": "Abs"}
_NAMED = {"pi": "Pi", "E": "Exp1"}


def number_key(value: Number) -> Key:
    return (_NUMBER, (0, ()), (), value)


ONE = number_key(Fraction(1))


def _number(node: Expr) -> Number:
    exact = exact_value(node)
    return exact if exact is not None else float(node.value)  # type: ignore[arg-type]


def is_number(node: Expr) -> bool:
    """A scalar constant that is a plain number (not pi or e)."""
    return node.op == "const" and node.shape == () and constant_name(node) is None


class Ordering:
    """Sort keys of nodes, each computed once (arguments first), and the orders they give."""

    def __init__(self) -> None:
        self.keys: MutableMapping[Expr, tuple[Key, int]] = weakref.WeakKeyDictionary()
        self.terms: MutableMapping[Expr, list[Expr]] = weakref.WeakKeyDictionary()

    # -- keys ------------------------------------------------------------------------------------
    def key(self, node: Expr) -> Key:
        known = self.keys.get(node)
        if known is None:
            # arguments first, from an explicit stack: any depth, no recursion
            for item in topological([node], lambda n: [a for a in n.args if a not in self.keys]):
                self.keys[item] = self._computed(item)
            known = self.keys[node]
        return known[0]

    def _arg(self, node: Expr) -> tuple[Key, int]:
        self.key(node)
        key, depth = self.keys[node]
        if depth >= DEPTH:
            return (_DEEP, (1, (node.digest,)), ONE, 1), 1
        return key, depth

    def _computed(self, node: Expr) -> tuple[Key, int]:
        op = node.op
        if op == "symbol":
            return (_SYMBOL, (1, (node.name or "",)), ONE, 1), 1
        if op == "const":
            name = constant_name(node)
            if name is not None:
                return ((2, 0, _NAMED[name]), (1, (name,)), ONE, 1), 1
            if node.shape == ():
                return number_key(_number(node)), 1
            return ((2, 0, "Array"), (1, (node.digest,)), ONE, 1), 1
        if op == "pow":
            return self._power(node.args[0], number_key(node.params[0][1]))
        if op == "sqrt":
            return self._power(node.args[0], number_key(Fraction(1, 2)))
        if op == "power":
            exponent, depth = self._arg(node.args[1])
            base, base_depth = self._arg(node.args[0])
            return (base[0], base[1], exponent, 1), max(depth, base_depth) + 1
        if op == "mul":
            coefficient, factors = split_coefficient(node)
            return self._product(coefficient, factors)
        if op == "add":
            keys = [self._arg(term) for term in self.ordered_terms(node)]
            return self._compound(_ADD, keys)
        name = _LATTICE.get(op)
        kind = (5, 0, name) if name else (4, _FUNCTION_RANK.get(op, 10_000), _SYMPY_NAME.get(op, op))
        return self._compound(kind, [self._arg(arg) for arg in node.args])

    @staticmethod
    def _compound(kind: tuple[int, int, str], keys: list[tuple[Key, int]]) -> tuple[Key, int]:
        depth = max((d for _, d in keys), default=0) + 1
        return (kind, (len(keys), tuple(k for k, _ in keys)), ONE, 1), depth

    def _power(self, base: Expr, exponent: Key) -> tuple[Key, int]:
        if base.op == "sqrt":  # 1/sqrt(x) is x**(-1/2)
            inner = exponent[3] * Fraction(1, 2) if isinstance(exponent[3], Fraction) \
                else exponent[3] / 2
            return self._power(base.args[0], number_key(inner))
        key, depth = self._arg(base)
        return (key[0], key[1], exponent, 1), depth + 1

    def _product(self, coefficient: Number, factors: list[Expr]) -> tuple[Key, int]:
        if len(factors) == 1:
            key, depth = self._arg(factors[0])
            return (key[0], key[1], key[2], coefficient), depth
        keys = sorted((self._arg(f) for f in factors), key=lambda item: item[0])
        key, depth = self._compound(_MUL, keys)
        return (key[0], key[1], key[2], coefficient), depth

    # -- orders ----------------------------------------------------------------------------------
    def ordered_factors(self, factors: list[Expr]) -> list[Expr]:
        return sorted(factors, key=self.key)

    def ordered_terms(self, node: Expr) -> list[Expr]:
        """A sum's terms as SymPy's printer orders them (`as_ordered_terms`)."""
        known = self.terms.get(node)
        if known is None:
            known = self._ordered_terms(node.args)
            if len(known) > 2:  # kept only for long sums: a deep chain of short ones stays lean
                self.terms[node] = known
        return known

    def _ordered_terms(self, terms: tuple[Expr, ...]) -> list[Expr]:
        if len(terms) == 2:
            special = _number_first(terms)
            if special is not None:
                return special
        monomials: list[tuple[float, dict[Hashable, Number]]] = []
        generators: dict[Hashable, Callable[[], Key]] = {}
        for term in terms:
            coefficient, monomial = self._monomial(term, generators)
            monomials.append((coefficient, monomial))
        # keys are computed only to order two or more bases (a long chain of `f(...) + 1`
        # needs none)
        order = list(generators) if len(generators) < 2 else \
            sorted(generators, key=lambda g: generators[g]())
        rank = {g: position for position, g in enumerate(order)}
        keys = [(_Monomial(sorted((rank[g], -e) for g, e in monomial.items() if e)), coefficient)
                for coefficient, monomial in monomials]
        ranked = sorted(range(len(terms)), key=lambda i: keys[i])
        return [terms[i] for i in ranked]

    def _monomial(self, term: Expr, generators: dict[Hashable, Callable[[], Key]]
                  ) -> tuple[float, dict[Hashable, Number]]:
        """SymPy's `as_terms` of one term: its numeric coefficient (pi and e count as numbers)
        and the exponents of its bases (`decompose_power`); each base's key, to compute on
        demand, into `generators`."""
        if term.op == "mul":
            coefficient, factors = split_coefficient(term)
        else:
            coefficient, factors = Fraction(1), [term]
        value = float(coefficient)
        monomial: dict[Hashable, Number] = {}
        for factor in factors:
            if factor.op == "const" and factor.shape == ():
                value *= float(factor.value)  # type: ignore[arg-type]
                continue
            base, key, exponent = self._decomposed(factor)
            generators.setdefault(base, key)
            monomial[base] = monomial.get(base, 0) + exponent
        return value, monomial

    def _decomposed(self, factor: Expr) -> tuple[Hashable, Callable[[], Key], Number]:
        """(the base, its key, an integer exponent): x**(2/3) is (x**(1/3), 2), exp(-2*x) is
        (exp(x), -2), sqrt(x) is (sqrt(x), 1), as SymPy's decompose_power gives them."""
        if factor.op == "pow":
            exponent = factor.params[0][1]
            base = factor.args[0]
            if base.op == "sqrt":
                base, exponent = base.args[0], Fraction(exponent) / 2
            if type(exponent) is Fraction and exponent.denominator != 1:
                root = Fraction(1, exponent.denominator)
                return ("root", base, root), \
                    lambda: self._power(base, number_key(root))[0], exponent.numerator
            if type(exponent) is Fraction or float(exponent).is_integer():
                return base, lambda: self.key(base), int(exponent)
        elif factor.op == "exp" and factor.args[0].op == "mul":
            coefficient, rest = split_coefficient(factor.args[0])
            if type(coefficient) is Fraction and coefficient != 1:
                inner = Fraction(1, coefficient.denominator)
                kind = (4, _FUNCTION_RANK["exp"], "exp")
                return ("exp", tuple(rest), inner), \
                    lambda: self._compound(kind, [self._product(inner, rest)])[0], \
                    coefficient.numerator
        return factor, lambda: self.key(factor), 1


class _Monomial:
    """Negated exponents by base rank, only the non-zero ones, compared as the dense tuples
    they stand for (a missing base is exponent 0): highest powers of the first bases first."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[int, Number]]) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Monomial) and self.items == other.items

    def __lt__(self, other: _Monomial) -> bool:
        mine, theirs = self.items, other.items
        i = j = 0
        while i < len(mine) or j < len(theirs):
            a = mine[i] if i < len(mine) else None
            b = theirs[j] if j < len(theirs) else None
            if b is None or (a is not None and a[0] < b[0]):
                return a[1] < 0  # type: ignore[index]  # other has exponent 0 there
            if a is None or b[0] < a[0]:
                return b[1] > 0
            if a[1] != b[1]:
                return a[1] < b[1]
            i, j = i + 1, j + 1
        return False


ORDERING = Ordering()


def split_coefficient(node: Expr) -> tuple[Number, list[Expr]]:
    """A product's number factor (exact 1 if none) and its other factors."""
    factors = list(node.args)
    if factors and is_number(factors[0]):
        return _number(factors.pop(0)), factors
    return Fraction(1), factors


def _number_first(terms: tuple[Expr, ...]) -> list[Expr] | None:
    """SymPy's special case `1 - x` (not `-x + 1`): a positive number (or pi, e) and a product
    of a negative number with one other factor."""
    for number, other in (terms, terms[::-1]):
        if number.op == "const" and number.shape == () and _number(number) > 0 \
                and other.op == "mul" and len(other.args) == 2 and is_number(other.args[0]) \
                and _number(other.args[0]) < 0:
            return [number, other]
    return None
