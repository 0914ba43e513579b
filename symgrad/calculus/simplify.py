"""A simplifier built as a rewrite table: local rules applied bottom-up to a fixed point.

Each `Rule` matches one op and maps a node to a smaller equal node, or None. `rewrite` walks
the DAG in topological order (iteratively, any depth), rebuilds each node from its rewritten
arguments, tries the rules for its op, and repeats whole passes until nothing changes. It
returns the input itself when the result would not be smaller, so it never grows a DAG.

Values: a rule keeps the expression's value wherever the original is defined, and may only
turn nan into a number on a set of measure zero (x * x**-1 is 1 at x = 0, as SymPy and the
builders already take it). Such cancellations are done only for factors made of analytic
operations (`_ANALYTIC`): a factor like relu(x), zero on a half-line, is never cancelled.
The algebraic rules work on scalar nodes with scalar constants only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
import math
import weakref
from typing import Callable, MutableMapping

import numpy as np

from ..core.expr import Expr, apply, constant, constant_value, exact_value, is_number, rebuild
from ..core.traverse import topological
from ..language.sympy_bridge import simplify as sympy_simplify
from ..ops.arithmetic import build_add, build_mul, build_pow


@dataclass(frozen=True)
class Rule:
    """One entry of the rewrite table: `apply(node)` for a node of op `op` gives an equal,
    smaller expression, or None when the rule does not fire."""

    name: str
    op: str
    apply: Callable[[Expr], Expr | None]
    note: str


# -- sizes ------------------------------------------------------------------------------------------
_ALGEBRA = frozenset({"add", "mul", "pow"})
# The algebraic rules skip nodes whose sum-and-product layer is larger: bounded work per node.
LOCAL_LIMIT = 400


def local_size(expr: Expr, limit: int = LOCAL_LIMIT) -> int | None:
    """Distinct nodes of `expr`'s sum/product/power layer, each other node counted once as a
    leaf (its inside is shared, unchanged, by a rewrite); None past `limit`."""
    seen = {expr}
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.op not in _ALGEBRA:
            continue
        for arg in node.args:
            if arg not in seen:
                seen.add(arg)
                if len(seen) > limit:
                    return None
                stack.append(arg)
    return len(seen)


def _smaller(candidate: Expr | None, node: Expr) -> Expr | None:
    if candidate is None or candidate is node:
        return None
    before = local_size(node)
    after = local_size(candidate)
    if before is None or after is None or after >= before:
        return None
    return candidate


# -- where cancelling is honest ----------------------------------------------------------------------
# Operations that are analytic on the open set where they are defined: a non-zero expression
# built from them vanishes only on a set of measure zero, so cancelling it against its
# reciprocal changes a value only there. Piecewise ops (relu, where, clamp, sign, max, ...)
# can vanish on whole intervals and are left alone.
_ANALYTIC = frozenset({
    "symbol", "const", "add", "mul", "pow", "power", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sqrt", "cbrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin",
    "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "erf", "abs",
})


# Whether a node is analytic never changes: kept across rules and passes while the node lives.
_ANALYTIC_MEMO: MutableMapping[Expr, bool] = weakref.WeakKeyDictionary()


def _analytic(node: Expr, memo: MutableMapping[Expr, bool]) -> bool:
    """Whether `node` is built from `_ANALYTIC` ops only (iterative; memoised per run)."""
    if node in memo:
        return memo[node]
    for item in topological([node], lambda n: [a for a in n.args if a not in memo]):
        memo[item] = item.op in _ANALYTIC and all(memo[arg] for arg in item.args)
    return memo[node]


# -- monomials: a coefficient times integer powers of bases ----------------------------------------
Monomial = tuple["Fraction | float", dict[Expr, int]]
_MAX_MONOMIALS = 32
_MAX_EXPANDED_TERMS = 8


class _Abort(Exception):
    """A rewrite that would be dishonest or too large: the rule does not fire."""


# Coefficients combine exactly: exact numbers (Fractions) by rational arithmetic, decimals only
# where float arithmetic is exact (1 + 2, 0.5 * 4), so a rule never rounds a constant and a
# rewritten expression has exactly the original's value.
Number = Fraction | float


def _number(node: Expr) -> Number:
    """A number constant's value: its Fraction when exact, else its float."""
    exact = exact_value(node)
    return exact if exact is not None else float(constant_value(node))


def _exact_product(a: Number, b: Number) -> Number:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a * b
    a, b = float(a), float(b)
    result = a * b
    if a in (1.0, -1.0) or b in (1.0, -1.0):  # the common case, and surely exact
        return result
    if Fraction(a) * Fraction(b) != Fraction(result):
        raise _Abort
    return result


def _exact_reciprocal(a: Number) -> Number:
    if isinstance(a, Fraction):
        if a == 0:
            raise _Abort
        return 1 / a
    if a == 0.0 or not np.isfinite(a) or Fraction(1.0 / a) * Fraction(a) != 1:
        raise _Abort
    return 1.0 / a


def _exact_sum(a: Number, b: Number) -> Number:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    a, b = float(a), float(b)
    result = a + b
    if a == 0.0 or b == 0.0:
        return result
    if Fraction(a) + Fraction(b) != Fraction(result):
        raise _Abort
    return result


def _integer_power(node: Expr) -> tuple[Expr, int] | None:
    if node.op != "pow":
        return None
    exponent = float(node.params[0][1])
    return (node.args[0], int(exponent)) if exponent.is_integer() else None


def _monomial(node: Expr, memo: MutableMapping[Expr, bool]) -> Monomial:
    """`node` as coefficient * prod base**k, splitting products and integer powers of products
    (opposite powers of one base cancel only for an analytic base)."""
    coefficient: Number = Fraction(1)
    powers: dict[Expr, int] = {}
    stack: list[tuple[Expr, int]] = [(node, 1)]
    budget = LOCAL_LIMIT
    while stack:
        item, times = stack.pop()
        budget -= 1
        if budget < 0:
            raise _Abort
        if item.op == "const" and is_number(item):  # pi and e are bases, never folded
            if item.shape != ():
                raise _Abort
            value = _number(item)
            for _ in range(abs(times)):
                coefficient = _exact_product(coefficient, value if times > 0 else _exact_reciprocal(value))
        elif item.op == "mul":
            stack.extend((factor, times) for factor in item.args)
        elif (power := _integer_power(item)) is not None:
            stack.append((power[0], power[1] * times))
        else:
            old = powers.get(item, 0)
            if old and (old > 0) != (times > 0) and not _analytic(item, memo):
                raise _Abort
            powers[item] = old + times
    return coefficient, {base: k for base, k in powers.items() if k != 0}


def _times(left: Monomial, right: Monomial, memo: MutableMapping[Expr, bool]) -> Monomial:
    """The product, cancelling opposite powers only of analytic bases."""
    powers = dict(left[1])
    for base, k in right[1].items():
        old = powers.get(base, 0)
        if old and (old > 0) != (k > 0) and not _analytic(base, memo):
            raise _Abort
        if old + k:
            powers[base] = old + k
        else:
            powers.pop(base, None)
    return _exact_product(left[0], right[0]), powers


def _expandable(base: Expr, k: int) -> bool:
    return base.op == "add" and 0 < k <= 3 and len(base.args) <= _MAX_EXPANDED_TERMS


def _pick_sum(monomial: Monomial, memo: MutableMapping[Expr, bool]) -> Expr | None:
    """The sum to multiply out next: first one whose terms cancel against the monomial."""
    sums = [base for base, k in monomial[1].items() if _expandable(base, k)]
    for base in sums:
        for term in base.args:
            if term.op in ("mul", "pow") and any(
                    k < 0 and monomial[1].get(b, 0) > 0 for b, k in _monomial(term, memo)[1].items()):
                return base
    return sums[0] if sums else None


def _expanded(monomials: list[Monomial], memo: MutableMapping[Expr, bool]) -> list[Monomial]:
    """Products of sums multiplied out (small sums, small powers, at most _MAX_MONOMIALS)."""
    done: list[Monomial] = []
    work = list(monomials)
    while work:
        monomial = work.pop()
        chosen = _pick_sum(monomial, memo)
        if chosen is None:
            done.append(monomial)
            continue
        rest = dict(monomial[1])
        rest[chosen] -= 1
        if not rest[chosen]:
            del rest[chosen]
        for term in chosen.args:
            work.append(_times((monomial[0], rest), _monomial(term, memo), memo))
        if len(work) + len(done) > _MAX_MONOMIALS:
            raise _Abort
    return done


def _collected(monomials: list[Monomial]) -> list[Monomial]:
    totals: dict[frozenset[tuple[Expr, int]], Number] = {}
    for coefficient, powers in monomials:
        key = frozenset(powers.items())
        totals[key] = _exact_sum(totals.get(key, Fraction(0)), coefficient)
    return [(c, dict(key)) for key, c in totals.items() if c != 0.0]


def _built(monomial: Monomial) -> Expr:
    coefficient, powers = monomial
    factors = [build_pow(base, k) for base, k in powers.items()]
    return build_mul(constant(coefficient), *factors)


def _sum_built(monomials: list[Monomial]) -> Expr:
    if not monomials:
        return constant(0)
    return build_add(*(_built(m) for m in monomials))


def _common_part(monomials: list[Monomial]) -> dict[Expr, int]:
    """The powers every monomial has (same sign), at their smallest size."""
    common = dict(monomials[0][1])
    for _, powers in monomials[1:]:
        for base, k in list(common.items()):
            other = powers.get(base, 0)
            if other == 0 or (other > 0) != (k > 0):
                del common[base]
            else:
                common[base] = min(k, other) if k > 0 else max(k, other)
    return common


def _factored(monomials: list[Monomial]) -> Expr | None:
    if len(monomials) < 2:
        return None
    common = _common_part(monomials)
    if not common:
        return None
    inner = [(c, {b: k - common.get(b, 0) for b, k in p.items() if k != common.get(b, 0)})
             for c, p in monomials]
    return build_mul(_built((Fraction(1), common)), _sum_built(inner))


def _best(node: Expr, monomials: list[Monomial]) -> Expr | None:
    try:
        collected = _collected(monomials)
    except _Abort:
        return None
    candidates = [_factored(collected), _sum_built(collected)]  # factored first: shares more
    found = [c for c in candidates if c is not None and _smaller(c, node) is not None]
    return min(found, key=lambda c: local_size(c) or 0) if found else None


def _scalar(node: Expr) -> bool:
    return node.shape == ()


# -- the rules ----------------------------------------------------------------------------------
def cancel_reciprocal(node: Expr) -> Expr | None:
    """x * (x*y)**-1 -> y**-1: a factor against the reciprocal of a product holding it."""
    if not _scalar(node) or not any(
            (p := _integer_power(f)) is not None and p[0].op == "mul" for f in node.args):
        return None
    try:
        return _smaller(_built(_monomial(node, {})), node)
    except _Abort:
        return None


def _negative_power(node: Expr) -> bool:
    return node.op == "pow" and float(node.params[0][1]) < 0


def _holds_reciprocal(term: Expr) -> bool:
    return _negative_power(term) or (term.op == "mul" and any(_negative_power(f) for f in term.args))


def _sum_factor(node: Expr) -> bool:
    return node.op == "add" or (node.op == "pow" and node.args[0].op == "add"
                                and float(node.params[0][1]) in (1.0, 2.0, 3.0))


def distribute_cancel(node: Expr) -> Expr | None:
    """p*(1-p)*((1-y)/(1-p) - y/p) -> p - y: multiply out a sum whose terms hold reciprocals
    of the other factors, cancel, collect like terms and take out a common factor."""
    if not _scalar(node) or not any(
            factor.op == "add" and any(_holds_reciprocal(t) for t in factor.args)
            for factor in node.args):
        return None
    memo: dict[Expr, bool] = {}
    try:
        monomial = _monomial(node, memo)
        chosen = _pick_sum(monomial, memo)
        if chosen is None or not any(
                k < 0 and monomial[1].get(b, 0) > 0
                for term in chosen.args for b, k in _monomial(term, memo)[1].items()):
            return None
        return _best(node, _expanded([monomial], memo))
    except _Abort:
        return None


def _plain_factors(term: Expr) -> tuple[Expr, ...]:
    """A term's factors without its constant coefficient."""
    if term.op == "mul":
        return tuple(f for f in term.args if f.op != "const")
    return (term,)


def collect_terms(node: Expr) -> Expr | None:
    """x*s*(1 - y) - x*y*(1 - s) -> x*(s - y): multiply out small products of sums, collect
    like terms, take out what every term shares."""
    if not _scalar(node) or len(node.args) > _MAX_MONOMIALS:
        return None
    if not any(term.op == "mul" and any(_sum_factor(f) for f in term.args) for term in node.args) \
            and len({_plain_factors(term) for term in node.args}) == len(node.args):
        return None
    memo: dict[Expr, bool] = {}
    try:
        monomials = [_monomial(term, memo) for term in node.args]
        if not any(_pick_sum(m, memo) is not None for m in monomials) and len(
                {frozenset(p.items()) for _, p in monomials}) == len(monomials):
            return None
        expanded = _expanded(monomials, memo)
    except _Abort:
        return None
    if not _merges(expanded) or _term_count(expanded) > len(node.args):
        return None
    return _best(node, expanded)


def _term_count(monomials: list[Monomial]) -> int:
    """How many terms the collected sum has (len(monomials) when a coefficient is inexact):
    multiplying out pays for readability only when terms cancel, so that the sum gets no
    longer ((2*x - 1)/u - (2*x + 1)*(x**2 - x)/u**2 stays as the quotient rule wrote it)."""
    try:
        return len(_collected(monomials))
    except _Abort:
        return len(monomials)


def _merges(monomials: list[Monomial]) -> bool:
    """Whether two non-constant monomials are alike: only then can collecting them pay off
    (multiplying out c*(1 - t**2) + d*(1 - u**2) merges only constants, and would unshare
    the sums)."""
    keys = [frozenset(p.items()) for _, p in monomials if p]
    return len(set(keys)) < len(keys)


def common_denominator(node: Expr) -> Expr | None:
    """a/d + b/d + c -> (a + b)/d + c: take out a factor (a denominator, often) that several
    terms share. Values are unchanged: nothing is cancelled."""
    if not _scalar(node) or len(node.args) > _MAX_MONOMIALS:
        return None
    denominators = [f for term in node.args for f in _plain_factors(term) if _negative_power(f)]
    if len(set(denominators)) == len(denominators):
        return None
    try:
        monomials = [_monomial(term, {}) for term in node.args]
    except _Abort:
        return None
    counts: dict[tuple[Expr, int], int] = {}
    for _, powers in monomials:
        for item in powers.items():
            counts[item] = counts.get(item, 0) + 1
    shared = [item for item, count in counts.items() if count >= 2]
    if not shared:
        return None
    best: Expr | None = None
    for base, k in sorted(shared, key=lambda item: (-counts[item], item[1] > 0)):
        inside = [(c, {b: e for b, e in p.items() if b is not base}) for c, p in monomials
                  if p.get(base) == k]
        outside = [m for m in monomials if m[1].get(base) != k]
        candidate = build_add(build_mul(build_pow(base, k), _sum_built(inside)),
                              *(_built(m) for m in outside))
        if _smaller(candidate, best or node) is not None:
            best = candidate
    return best


def log_of_exp(node: Expr) -> Expr | None:
    """log(exp(u)) -> u, for every real u (exp never is 0 or negative)."""
    return node.args[0].args[0] if node.args[0].op == "exp" else None


_NEVER_NEGATIVE = frozenset({"exp", "abs", "cosh", "sigmoid", "softplus", "relu", "sqrt"})


def exp_of_log(node: Expr) -> Expr | None:
    """exp(log(u)) -> u only where u can never be negative (exp, sigmoid, abs, sqrt, ...,
    positive constants): there both are equal everywhere, at u = 0 too (exp(-inf) = 0). For
    other u, exp(log(u)) is nan for u < 0 while u is not, so the rule does not apply."""
    inner = node.args[0]
    if inner.op != "log":
        return None
    u = inner.args[0]
    if u.op in _NEVER_NEGATIVE or (u.op == "const" and bool(np.all(constant_value(u) >= 0))):
        return u
    return None


def _negated(node: Expr) -> Expr | None:
    if node.op == "mul" and len(node.args) == 2 and node.args[0].op == "const" \
            and node.args[0].shape == () and is_number(node.args[0]) \
            and _number(node.args[0]) == -1:
        return node.args[1]
    return None


def sigmoid_complement(node: Expr) -> Expr | None:
    """1 - sigmoid(-u) -> sigmoid(u) within a sum: only for a negated argument, where it
    surely shrinks (the constant term loses 1; it must be exact)."""
    constants = [t for t in node.args if t.op == "const" and t.shape == () and is_number(t)]
    if not constants:
        return None
    for term in node.args:
        inner = _negated(term)
        argument = _negated(inner.args[0]) if inner is not None and inner.op == "sigmoid" else None
        if argument is None:
            continue
        try:
            rest = _exact_sum(_number(constants[0]), Fraction(-1))
        except _Abort:
            return None
        others = [t for t in node.args if t is not term and t is not constants[0]]
        return build_add(constant(rest), apply("sigmoid", argument), *others)
    return None


# -- normal forms: SymPy's shape of a result at no cost in size -------------------------------------
def _not_larger(candidate: Expr | None, node: Expr) -> Expr | None:
    """`candidate` when it differs from `node` and its local size (constants not counted: they
    are shared leaves) is at most `node`'s."""
    if candidate is None or candidate is node:
        return None
    before, after = local_size(node), local_size(candidate)
    if before is None or after is None:
        return None
    constants = [sum(1 for n in _local_nodes(e) if n.op == "const") for e in (node, candidate)]
    return candidate if after - constants[1] <= before - constants[0] else None


def _local_nodes(expr: Expr) -> set[Expr]:
    seen = {expr}
    stack = [expr]
    while stack:
        item = stack.pop()
        if item.op in _ALGEBRA:
            for arg in item.args:
                if arg not in seen:
                    seen.add(arg)
                    stack.append(arg)
    return seen


def _symbolic(node: Expr) -> bool:
    """A symbol or a power of one: a factor SymPy keeps apart from a sum (2*x*(x + 1))."""
    while node.op == "pow":
        node = node.args[0]
    return node.op == "symbol"


def distribute_number(node: Expr) -> Expr | None:
    """3*(tan(x)**2 + 1) -> 3*tan(x)**2 + 3, 2*(t**2 + 1)*t -> (2*t**2 + 2)*t,
    -(t**2 + 1) -> -t**2 - 1: a number times one sum goes into the sum, as SymPy's product does
    it (not beside a symbol: 2*x*(x + 1))."""
    if not _scalar(node) or node.args[0].op != "const" or not is_number(node.args[0]):
        return None
    coefficient, rest = node.args[0], node.args[1:]
    sums = [f for f in rest if f.op == "add"]
    value = _number(coefficient)
    # -1 goes in only when the sum is the sole other factor (-(t**2 + 1) -> -t**2 - 1), as
    # SymPy's product of a number and a sum: -(x - y)/(x + y)**2 keeps its parentheses.
    if len(sums) != 1 or value == 1 or (value == -1 and len(rest) > 1) \
            or any(_symbolic(f) for f in rest):
        return None
    if not all(scales_exactly(coefficient, term) for term in sums[0].args):
        return None  # 1.4*(0.7*x + 2.0) stays: 1.4*0.7 would round
    inner = build_add(*(build_mul(coefficient, term) for term in sums[0].args))
    others = [f for f in rest if f is not sums[0]]
    return _not_larger(build_mul(inner, *others) if others else inner, node)


def scales_exactly(number: Expr, term: Expr) -> bool:
    """Whether a number constant times the number `term` holds (its coefficient, or itself) is
    exact, so multiplying it into the term rounds nothing."""
    lead = term.args[0] if term.op == "mul" else term
    if lead.op != "const" or not is_number(lead):
        return True
    try:
        _exact_product(_number(number), _number(lead))
    except _Abort:
        return False
    return True


def _symbolic_powers(term: Expr) -> list[Expr]:
    return [f for f in (term.args if term.op == "mul" else (term,)) if f.op == "power"]


def merge_power(node: Expr) -> Expr | None:
    """x * x**(x - 1) -> x**x: a factor joins a symbolic power of itself when the exponent
    gets simpler (1 instead of nan at x = 0, a set of measure zero)."""
    if not _scalar(node):
        return None
    for power in _symbolic_powers(node):
        base, exponent = power.args
        if base not in node.args or exponent.op != "add":
            continue
        raised = build_add(exponent, constant(Fraction(1)))
        if (local_size(raised) or LOCAL_LIMIT) >= (local_size(exponent) or 0) \
                or not _analytic(base, _ANALYTIC_MEMO):
            continue
        others = [f for f in node.args if f is not power and f is not base]
        return apply("power", base, raised) if not others else \
            build_mul(apply("power", base, raised), *others)
    return None


def factor_power(node: Expr) -> Expr | None:
    """x**x*log(x) + x**x -> x**x*(log(x) + 1): a symbolic power that every term holds is
    taken out, the form SymPy's derivative of a power has; no larger, constants aside."""
    if not _scalar(node):
        return None
    shared = set(_symbolic_powers(node.args[0]))
    for term in node.args[1:]:
        shared &= set(_symbolic_powers(term))
    if not shared:
        return None
    power = min(shared, key=lambda p: p.digest)
    rest = [build_mul(*(f for f in term.args if f is not power)) if term.op == "mul"
            else constant(Fraction(1)) for term in node.args]
    return _not_larger(build_mul(power, build_add(*rest)), node)


def clear_nested_reciprocal(node: Expr) -> Expr | None:
    """x**-2*(1 + x**-2)**-1 -> (x**2 + 1)**-1: a reciprocal power beside the reciprocal of
    a sum that holds it multiplies into the sum (no 1/(1/x**2 + 1) nesting)."""
    if not _scalar(node):
        return None
    memo = _ANALYTIC_MEMO
    for outer in node.args:
        if not (outer.op == "pow" and outer.args[0].op == "add" and outer.params[0][1] == -1):
            continue
        total = outer.args[0]
        for factor in node.args:
            split = _integer_power(factor)
            if split is None or split[1] >= 0:
                continue
            base, k = split
            # cheap test first: the base must stand in a term of the sum, as a reciprocal
            if not any(f is factor or (_negative_power(f) and f.args[0] is base)
                       for term in total.args for f in _plain_factors(term)) \
                    or not _analytic(base, memo):
                continue
            try:
                monomials = [_times(_monomial(term, memo), (Fraction(1), {base: -k}), memo)
                             for term in total.args]
            except _Abort:
                return None
            if any(m[1].get(base, 0) < 0 for m in monomials) or \
                    all(m[1].get(base, 0) >= -k for m in monomials):
                continue
            others = [f for f in node.args if f is not outer and f is not factor]
            return _not_larger(build_mul(*others, build_pow(_sum_built(monomials), -1)), node)
    return None


RULES: tuple[Rule, ...] = (
    Rule("log_of_exp", "log", log_of_exp, "log(exp(u)) = u for all real u"),
    Rule("exp_of_log", "exp", exp_of_log,
         "exp(log(u)) = u where u is never negative; not applied otherwise (nan for u < 0)"),
    Rule("cancel_reciprocal", "mul", cancel_reciprocal,
         "x*(x*y)**-1 = 1/y; 1 instead of nan at x = 0 (measure zero, analytic x only)"),
    Rule("distribute_cancel", "mul", distribute_cancel,
         "p*(1-p)*((1-y)/(1-p) - y/p) = p - y (the logistic-loss gradient); analytic factors only"),
    Rule("collect_terms", "add", collect_terms,
         "small products of sums multiplied out, like terms collected, common factor taken out"),
    Rule("common_denominator", "add", common_denominator,
         "a/d + b/d = (a + b)/d, a shared factor taken out of several terms; no cancellation"),
    Rule("sigmoid_complement", "add", sigmoid_complement, "1 - sigmoid(-u) = sigmoid(u)"),
    Rule("distribute_number", "mul", distribute_number,
         "c*(a + b) = c*a + c*b where no larger (SymPy's product does this)"),
    Rule("merge_power", "mul", merge_power,
         "x*x**(x - 1) = x**x; 1 instead of nan at x = 0 (analytic x only)"),
    Rule("factor_power", "add", factor_power, "t*a + t*b = t*(a + b) for a symbolic power t"),
    Rule("clear_nested_reciprocal", "mul", clear_nested_reciprocal,
         "x**-2/(1 + x**-2) = 1/(x**2 + 1); 1 instead of nan at x = 0 (analytic x only)"),
)

MAX_PASSES = 8
_MAX_RULE_STEPS = 8


def _rules_by_op(rules: tuple[Rule, ...]) -> dict[str, list[Rule]]:
    table: dict[str, list[Rule]] = {}
    for rule in rules:
        table.setdefault(rule.op, []).append(rule)
    return table


# A rewrite may add this many nodes beyond those it frees: a shared result (p - y in every
# partial of the logistic loss) costs its nodes once, then frees nodes at every other use.
# Whatever the local choices, `rewrite_all` returns its input unless the whole DAG shrinks.
SHARED_SLACK = 2


class _Pass:
    """One bottom-up pass: the DAG's parent counts decide what a rewrite frees and adds."""

    def __init__(self, roots: list[Expr], table: dict[str, list[Rule]],
                 memo: dict[Expr, Expr]) -> None:
        self.table = table
        self.memo = memo  # node -> its rewrite in an earlier pass: unchanged parts cost O(1)
        self.order = topological(roots)
        self._parents: dict[Expr, int] | None = None  # built when a rule first fires
        self.done: dict[Expr, Expr] = {}
        self.added: set[Expr] = set()

    @property
    def parents(self) -> dict[Expr, int]:
        if self._parents is None:
            self._parents = {}
            for node in self.order:
                for arg in set(node.args):
                    self._parents[arg] = self._parents.get(arg, 0) + 1
        return self._parents

    def run(self, roots: list[Expr]) -> list[Expr]:
        for node in self.order:
            known = self.memo.get(node)
            if known is not None:
                self.done[node] = known
                continue
            current = rebuild(node, tuple(self.done[arg] for arg in node.args)) if node.args else node
            for _ in range(_MAX_RULE_STEPS):
                for rule in self.table.get(current.op, ()):
                    result = rule.apply(current)
                    if result is not None and self._worth_it(result, current):
                        current = result
                        break
                else:
                    break
            self.done[node] = self.memo[node] = current
            if current is not node:
                self.added.add(current)
        return [self.done[root] for root in roots]

    def _owned(self, node: Expr) -> int:
        """Nodes freed when `node` goes: itself and what only it uses (bounded)."""
        count, stack, seen = 0, [node], {node}
        while stack and count <= LOCAL_LIMIT:
            item = stack.pop()
            count += 1
            for arg in item.args:
                if arg not in seen and self.parents.get(arg, 1) == 1 and arg.op != "const":
                    seen.add(arg)
                    stack.append(arg)
        return count

    def _added(self, candidate: Expr) -> int:
        """Nodes of `candidate` not in the DAG yet (bounded)."""
        count, stack, seen = 0, [candidate], {candidate}
        while stack and count <= LOCAL_LIMIT:
            item = stack.pop()
            if item.op == "const" or item in self.parents or item in self.added:
                continue
            count += 1
            for arg in item.args:
                if arg not in seen:
                    seen.add(arg)
                    stack.append(arg)
        return count

    def _worth_it(self, candidate: Expr, node: Expr) -> bool:
        return self._added(candidate) <= self._owned(node) + SHARED_SLACK


def rewrite(expr: Expr, rules: tuple[Rule, ...] = RULES, max_passes: int = MAX_PASSES) -> Expr:
    """`expr` with the rewrite table applied bottom-up to a fixed point (or `max_passes`
    passes); `expr` itself unless the result has fewer DAG nodes."""
    return rewrite_all([expr], rules, max_passes)[0]


def rewrite_all(exprs: list[Expr], rules: tuple[Rule, ...] = RULES,
                max_passes: int = MAX_PASSES, limit: int | None = None) -> list[Expr]:
    """`rewrite` of several expressions over their shared DAG: the results, or `exprs`
    themselves unless the results together have fewer distinct nodes (or when the DAG has
    more than `limit` nodes)."""
    table = _rules_by_op(rules)
    memo: dict[Expr, Expr] = {}
    current = list(exprs)
    size_before = size_after = -1
    for _ in range(max_passes):
        sweep = _Pass(current, table, memo)
        size_after = len(sweep.order)
        if size_before < 0:
            size_before = size_after
            if limit is not None and size_before > limit:
                return list(exprs)
        following = sweep.run(current)
        if all(new is old for new, old in zip(following, current)):
            break
        current = following
    else:
        size_after = len(topological(current))
    # Equal size is kept too: the normal-form rules give SymPy's shape at no cost.
    return current if size_after <= size_before else list(exprs)


# -- repeated derivatives: the number and powers all terms share, taken out --------------------------
def _content(coefficients: list[Number]) -> Fraction:
    """The largest positive rational that divides every coefficient a whole number of times
    (1 when one is a decimal: a float's content is not exact)."""
    exact = [c for c in coefficients if isinstance(c, Fraction)]
    if len(exact) != len(coefficients) or not any(exact):
        return Fraction(1)
    numerator = math.gcd(*(c.numerator for c in exact))
    # SymPy's factor_terms (clear=False) keeps a denominator in the sum when a term would be
    # left a whole number: 3*x/2 + 3*y is 3*(x/2 + y), x/4 + y/2 is (x + 2*y)/4.
    if any((c / numerator).denominator == 1 for c in exact):
        return Fraction(numerator)
    return Fraction(numerator, math.lcm(*(c.denominator for c in exact)))


_Term = tuple[Number, dict[Expr, Fraction]]


def _split_term(term: Expr) -> _Term:
    """`term` as coefficient * prod base**r for exact r (sqrt(u) is u**(1/2)); a base met twice
    or a decimal exponent aborts (joining them would cancel, which this step never does)."""
    coefficient: Number = Fraction(1)
    powers: dict[Expr, Fraction] = {}
    for factor in term.args if term.op == "mul" else (term,):
        if factor.op == "const" and is_number(factor) and factor.shape == ():
            coefficient = _exact_product(coefficient, _number(factor))
            continue
        base, exponent = factor, Fraction(1)
        if base.op == "pow":
            raw = base.params[0][1]
            if not isinstance(raw, (int, Fraction)):
                raise _Abort
            base, exponent = base.args[0], Fraction(raw)
        # sqrt(u)**3 is u**(3/2) (both nan for u < 0), but sqrt(u)**2 is not u: a whole
        # power of u would be a number where the sum is nan, so sqrt(u) stays its own base.
        if base.op == "sqrt" and (exponent / 2).denominator != 1:
            base, exponent = base.args[0], exponent / 2
        if base in powers:
            raise _Abort
        powers[base] = exponent
    return coefficient, powers


def _term_built(coefficient: Number, powers: dict[Expr, Fraction]) -> Expr:
    return build_mul(constant(coefficient), *(build_pow(b, r) for b, r in powers.items() if r))


def factor_terms(node: Expr) -> Expr:
    """x*exp(x) + 2*exp(x) -> (x + 2)*exp(x), -4*x**2/(x**2 + 1)**2 + 2/(x**2 + 1) ->
    2*(-2*x**2/(x**2 + 1) + 1)/(x**2 + 1): a sum's common number and the powers all its terms
    share (same sign, the smaller size; sqrt(u) as u**(1/2)) taken out, as SymPy prints a
    derivative of order 2 and more (its `factor_terms`). `node` itself when nothing is shared
    or the result is larger. Values are unchanged: nothing is cancelled. As SymPy's, it also
    works one level in: the sums a product (or a term) multiplies ((2*tan(x)**2 + 2)*tan(x) ->
    2*(tan(x)**2 + 1)*tan(x))."""
    if node.op == "mul" and _scalar(node):
        return _not_larger(_inner_sums_factored(node), node) or node
    if node.op != "add" or not _scalar(node) or len(node.args) > _MAX_MONOMIALS:
        return node
    args = [_inner_sums_factored(term) if term.op == "mul" else term for term in node.args]
    inner_done = build_add(*args)
    shared = _shared_taken_out(args)
    return _not_larger(shared, node) or _not_larger(inner_done, node) or node


def _inner_sums_factored(product: Expr) -> Expr:
    """`product` with each sum among its factors written with its common number and powers
    taken out (only one level deep: the cost stays that of the product's own factors)."""
    return build_mul(*(_sum_factored(f) for f in product.args))


def _sum_factored(factor: Expr) -> Expr:
    if factor.op != "add" or not _scalar(factor) or len(factor.args) > _MAX_MONOMIALS:
        return factor
    return _shared_taken_out(list(factor.args)) or factor


def _shared_taken_out(args: list[Expr]) -> Expr | None:
    """The sum of `args` with what its terms share taken out, or None when nothing is."""
    try:
        terms = [_split_term(term) for term in args]
    except _Abort:
        return None
    content = _content([c for c, _ in terms])
    common = dict(terms[0][1])
    for _, powers in terms[1:]:
        for base, r in list(common.items()):
            other = powers.get(base, Fraction(0))
            if other == 0 or (other > 0) != (r > 0):
                del common[base]
            else:
                common[base] = min(r, other) if r > 0 else max(r, other)
    if content == 1 and not common:
        return None
    # SymPy takes out a common -1 too: -(x + 2)*exp(x), not (-x - 2)*exp(x).
    if all(isinstance(c, Fraction) and c < 0 for c, _ in terms):
        content = -content
    inner = [_term_built(c / content if isinstance(c, Fraction) else c,
                         {b: r - common.get(b, Fraction(0)) for b, r in p.items()})
             for c, p in terms]
    return build_mul(constant(content), *(build_pow(b, r) for b, r in common.items()),
                     build_add(*inner))


# Derivatives larger than this (distinct nodes) are returned as built: the rewrite's cost
# grows with the DAG (about +30-100% of the build time) while its gains are local, so big
# gradients skip it (measured in the README).
DERIVATIVE_LIMIT = 2_000


def simplify_derivatives(partials: list[Expr]) -> list[Expr]:
    """The rewrite applied to freshly built derivatives (`diff` and `grad` do this): never a
    larger DAG; skipped past DERIVATIVE_LIMIT nodes."""
    return rewrite_all(partials, limit=DERIVATIVE_LIMIT)


def simplify(expr: Expr) -> Expr:
    """The rewrite table first, then SymPy's simplify on its result; SymPy's answer only when
    it is strictly smaller (`Expr.simplify`)."""
    rewritten = rewrite(expr)
    if expr.shape != ():
        return sympy_simplify(expr)  # raises the contract's ShapeError
    through_sympy = sympy_simplify(rewritten)
    return through_sympy if through_sympy.size < rewritten.size else rewritten
